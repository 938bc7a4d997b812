"""Sample lines -> the numbers a run reports: pass@k, solve rates, NFE and seconds, per setting,
NFE budget and mutation type; as a summary JSON, Markdown tables, a scaling CSV and a PNG plot.

``summarize`` is pure (lines in, dicts out); the writers only format and save. This module does
not run anything.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from coderemask.evaluation.passk import mean_pass_at_k
from coderemask.evaluation.runner import EvalPlan
from coderemask.writeback import replace_file

Row = dict[str, Any]


def _stats(values: Sequence[float]) -> tuple[float, float]:
    return (statistics.fmean(values), statistics.median(values)) if values else (0.0, 0.0)


def summarize(plan: EvalPlan, lines: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Rows per (setting, max NFE) in the plan's order, and per mutation type when records have one.

    pass@k comes from the hidden tests; ``solved`` is the loop's own verdict (its public tests
    passed or, without tests, it parsed and converged), within the budget.
    """
    groups: dict[tuple[str, int], list[Mapping[str, Any]]] = defaultdict(list)
    for line in lines:
        groups[(line["setting"], int(line["max_nfe"]))].append(line)
    rows: list[Row] = []
    mutations: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for setting in plan.settings:
        for budget in plan.budgets:
            mine = groups.get((setting, budget), [])
            per_task: dict[str, list[bool]] = defaultdict(list)
            for line in mine:
                per_task[line["task_id"]].append(bool(line["passed"]))
            counts = [(len(v), sum(v)) for v in per_task.values()]
            nfe_mean, nfe_median = _stats([float(line["nfe"]) for line in mine])
            sec_mean, sec_median = _stats([float(line["seconds"]) for line in mine])
            row: Row = {"setting": setting, "max_nfe": budget, "tasks": len(per_task), "samples": len(mine)}
            for k in plan.ks:
                usable = [(n, c) for n, c in counts if n >= k]
                row[f"pass@{k}"] = round(mean_pass_at_k(usable, k), 4)
            row.update(
                solved=round(sum(line["status"] == "solved" for line in mine) / len(mine), 4) if mine else 0.0,
                errors=sum(line["status"] == "error" for line in mine),
                nfe_mean=round(nfe_mean, 1),
                nfe_median=round(nfe_median, 1),
                seconds_mean=round(sec_mean, 2),
                seconds_median=round(sec_median, 2),
            )
            rows.append(row)
            if budget == max(plan.budgets):
                for line in mine:
                    if line.get("mutation"):
                        tally = mutations[line["mutation"]][setting]
                        tally[0] += bool(line["passed"])
                        tally[1] += 1
    by_mutation = {
        m: {s: {"passed": p, "samples": n} for s, (p, n) in per.items()} for m, per in sorted(mutations.items())
    }
    return {"plan": plan.to_dict(), "rows": rows, "by_mutation": by_mutation}


def markdown(summary: Mapping[str, Any]) -> str:
    """The summary as Markdown: the settings table, then the per-mutation table if any."""
    plan = summary["plan"]
    ks = plan["ks"]
    head = (
        f"set `{plan['set_name']}` ({plan['mode']}, feedback {plan['feedback']}), model `{plan['model']}`, "
        f"{plan['n']} sample(s) per task, {plan['candidates']} candidates per round, "
        f"at most {plan['max_rounds']} rounds, seed {plan['seed']}"
    )
    cols = [
        "setting",
        "max NFE",
        "tasks",
        *[f"pass@{k}" for k in ks],
        "solved (loop)",
        "mean NFE",
        "median NFE",
        "mean s",
        "median s",
        "errors",
    ]
    legend = (
        "pass@k: the hidden tests decide; solved (loop): the loop's own verdict within the budget (its "
        "public tests pass, or without tests: it parses and settles)"
    )
    out = [head, "", legend, "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in summary["rows"]:
        cells = [
            r["setting"],
            r["max_nfe"],
            r["tasks"],
            *[f"{r[f'pass@{k}']:.3f}" for k in ks],
            f"{r['solved']:.3f}",
            f"{r['nfe_mean']:.1f}",
            f"{r['nfe_median']:.0f}",
            f"{r['seconds_mean']:.1f}",
            f"{r['seconds_median']:.1f}",
            r["errors"],
        ]
        out.append("| " + " | ".join(map(str, cells)) + " |")
    if summary["by_mutation"]:
        settings = list(dict.fromkeys(s for per in summary["by_mutation"].values() for s in per))
        out += [
            "",
            f"Hidden-test pass rate per mutation type (max NFE {max(plan['budgets'])}):",
            "",
            "| mutation | " + " | ".join(settings) + " |",
            "|---|" + "---|" * len(settings),
        ]
        for mutation, per in summary["by_mutation"].items():
            cells = [f"{per[s]['passed']}/{per[s]['samples']}" if s in per else "-" for s in settings]
            out.append(f"| {mutation} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def scaling_csv(summary: Mapping[str, Any]) -> str:
    """setting, max_nfe, pass@1, solved, mean NFE, mean seconds: one row per point."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["setting", "max_nfe", "pass@1", "solved", "nfe_mean", "seconds_mean", "tasks"])
    for r in summary["rows"]:
        writer.writerow(
            [r["setting"], r["max_nfe"], r["pass@1"], r["solved"], r["nfe_mean"], r["seconds_mean"], r["tasks"]]
        )
    return buf.getvalue()


def plot_scaling(summary: Mapping[str, Any], path: Path) -> Path | None:
    """pass@1 against the NFE budget (log scale), one line per setting; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for setting in summary["plan"]["settings"]:
        points = sorted((r["max_nfe"], r["pass@1"]) for r in summary["rows"] if r["setting"] == setting)
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=setting)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("max NFE per task")
    ax.set_ylabel("pass@1 (hidden tests)")
    plan = summary["plan"]
    ax.set_title(f"{plan['set_name']} ({plan['mode']}), {plan['model']}")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_reports(summary: Mapping[str, Any], folder: Path, *, scaling: bool) -> list[Path]:
    """summary.json and summary.md (and scaling.csv / scaling.png when ``scaling``) in ``folder``."""
    written = []
    for name, text in (("summary.json", json.dumps(summary, indent=2) + "\n"), ("summary.md", markdown(summary))):
        replace_file(folder / name, text)
        written.append(folder / name)
    if scaling:
        replace_file(folder / "scaling.csv", scaling_csv(summary))
        written.append(folder / "scaling.csv")
        png = plot_scaling(summary, folder / "scaling.png")
        if png is not None:
            written.append(png)
    return written
