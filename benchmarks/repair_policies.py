"""Fix single-point bugs with each remask policy; print solve rate, median NFE and seconds.

    python benchmarks/repair_policies.py --set examples/humaneval_bugs.jsonl --limit 40

Each record's ``buggy_solution`` is repaired by ``coderemask.repair.repair`` with the same model,
budget and seed under each policy; the hidden ``check`` decides (never fed to the loop unless
``--feedback full``, the HumanEvalFix setting). Prints a Markdown table; --out writes JSONL.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from coderemask.evaluation.humaneval_tasks import judge, record_task
from coderemask.model import load_model
from coderemask.repair import RepairConfig
from coderemask.results import Budget
from coderemask.tasks import run_task


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", type=Path, default=Path("examples/humaneval_bugs.jsonl"))
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--policies", default="confidence,syntax,tests,combined")
    ap.add_argument("--feedback", choices=["public", "full"], default="full")
    ap.add_argument("--limit", type=int, default=40, help="seeded subset of records (0 = all)")
    ap.add_argument("--max-nfe", type=int, default=256)
    ap.add_argument("--max-rounds", type=int, default=6)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--candidates", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)

    records = [json.loads(line) for line in args.set.read_text().splitlines() if line.strip()]
    if args.limit and args.limit < len(records):
        idx = sorted(np.random.default_rng(args.seed).choice(len(records), args.limit, replace=False).tolist())
        records = [records[i] for i in idx]
    model = load_model(args.model)
    budget = Budget(max_nfe=args.max_nfe, max_rounds=args.max_rounds, max_seconds=args.timeout)
    rows = []
    out = args.out.open("w") if args.out else None
    for policy in args.policies.split(","):
        cfg = RepairConfig(policy=policy, budget=budget, candidates=args.candidates, seed=args.seed)
        tasks, finals, nfes, secs, statuses = [], [], [], [], []
        for rec in records:
            task = record_task(rec, body=rec["buggy_solution"], feedback=args.feedback)
            t0 = time.time()
            done = run_task(task, "repair", model, cfg)
            result = done.result
            tasks.append(task)
            finals.append(done.code)
            nfes.append(result.nfe)
            secs.append(time.time() - t0)
            statuses.append(result.status)
        solved = judge(tasks, finals)
        for rec, code, ok, nfe, sec, status in zip(records, finals, solved, nfes, secs, statuses):
            if out:
                out.write(
                    json.dumps(
                        {
                            "policy": policy,
                            "task_id": rec["task_id"],
                            "mutation": rec.get("mutation"),
                            "passed": ok,
                            "status": status,
                            "nfe": nfe,
                            "seconds": round(sec, 2),
                            "code": code,
                        }
                    )
                    + "\n"
                )
        rows.append((policy, sum(solved) / len(solved), statistics.median(nfes), statistics.median(secs), len(solved)))
        print(f"{policy}: {sum(solved)}/{len(solved)} solved", file=sys.stderr, flush=True)
    print(
        f"model {args.model}, feedback {args.feedback}, budget NFE {args.max_nfe} / rounds {args.max_rounds}, "
        f"{args.candidates} candidates, seed {args.seed}, set {args.set} ({len(records)} records)\n"
    )
    print("| policy | solve rate | median NFE | median seconds | n |")
    print("|---|---|---|---|---|")
    for policy, rate, nfe, sec, n in rows:
        print(f"| {policy} | {rate:.3f} | {nfe:.0f} | {sec:.1f} | {n} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
