"""`coderemask locate FILE::FUNC`: run the tests, rank the function's suspicious lines, print why.

Thin: find the target (``coderemask.source``), the project root and the tests, run them in the
sandbox with coverage of the function (``coderemask.signals.tests``), score the lines
(``coderemask.signals.localize``) and print them as text or JSON. Exit 0 when some line is
suspicious, 1 when there is nothing to report (no failing test runs the function), 2 for bad
input (missing or undecodable file, unknown function, syntax error, unknown test id, tests that
fail to collect, a pytest that refuses to run).

With ``--detector`` it also asks the model's bug-detector head (``detector/`` beside the model)
which lines look changed, and prints that ranking apart, as the model's opinion: the tests'
ranking above is evidence, the detector's is a guess from the text alone. Only then does it load
a model (torch). It does not know repair, and never changes the user's files: the tests run on a
copy.
The environment's ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` is honoured, as pytest itself would.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coderemask.frontends.common import (
    EXIT_NOT_SOLVED,
    EXIT_OK,
    Command,
    UsageError,
    add_model_arguments,
    add_python_argument,
    load_model_from_args,
)
from coderemask.frontends.numbers import SECONDS
from coderemask.interpreter import test_python
from coderemask.project import check_test_run, select_project
from coderemask.results import schema
from coderemask.signals.detector import LineOpinion, line_opinions
from coderemask.signals.localize import FORMULAS, Localization, localize
from coderemask.signals.tests import TestRun, run_tests

if TYPE_CHECKING:
    from coderemask.source import Target

SCHEMA = schema("locate")


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", metavar="FILE::FUNC", help="the function, e.g. pkg/mod.py::Class.method (or FILE:LINE)")
    p.add_argument(
        "--test",
        action="append",
        default=[],
        metavar="NODEID",
        help="a test to run (repeatable); default: all of the project's tests, keeping those that run the function",
    )
    p.add_argument("--formula", choices=list(FORMULAS), default="ochiai", help="spectrum formula (default: ochiai)")
    p.add_argument("--json", action="store_true", help="print one JSON object (schema " + SCHEMA + ")")
    p.add_argument(
        "--project",
        type=Path,
        metavar="DIR",
        help="project root (default: pytest's rootdir for FILE and the --test ids run from here)",
    )
    p.add_argument("--timeout", type=SECONDS.arg, default=300.0, help="seconds for the whole test run (default 300)")
    p.add_argument("--test-timeout", type=SECONDS.arg, default=10.0, help="seconds per test (default 10)")
    add_python_argument(p)
    p.add_argument(
        "--detector",
        action="store_true",
        help="also rank the function's lines by the model's bug-detector head (its opinion, printed apart; "
        "loads --model, which needs a detector/ folder)",
    )
    add_model_arguments(p)


DETECTOR_LINES = 5
"""Lines of the detector's ranking printed as text (JSON has them all)."""


def detector_ranking(args: argparse.Namespace, target: Target) -> list[LineOpinion]:
    """The detector's opinion of each line of the target function (1-based file lines), most
    suspect first; UsageError when the model has no detector."""
    from coderemask.model.detector import detector_of

    model = load_model_from_args(args)
    detector = detector_of(model)
    if detector is None:
        raise UsageError(
            f"--detector: the model {args.model!r} has no detector/ folder "
            "(train one with `coderemask train --corrupt-share 0.3 --detector`)"
        )
    offsets, probabilities = detector.score_text(target.text)  # the whole function; its code lines are ranked
    return [
        LineOpinion(o.line + target.start_line - 1, o.probability, target.absolute(o.token))
        for o in line_opinions(target.text, offsets, probabilities, region=target.relative(target.code_span))
    ]


def _opinion_json(target: Target, opinions: list[LineOpinion]) -> list[dict[str, Any]]:
    """Line numbers and token spans of ``opinions`` are the file's."""
    lines = target.text.splitlines()
    return [
        {
            "line": o.line,
            "code": lines[o.line - target.start_line].strip(),
            "probability": round(o.probability, 4),
            "token": target.text[target.relative(o.token).start : target.relative(o.token).end].strip(),
        }
        for o in opinions
    ]


# ----------------------------------------------------------------------------- inputs


# ----------------------------------------------------------------------------- output


def _report(
    target: Target, project: Path, file: str, run: TestRun, loc: Localization, opinions: list[LineOpinion] | None
) -> dict[str, Any]:
    """The JSON object (and the data the text output prints)."""
    relevant = {t.nodeid for t in loc.tests}
    report = {
        "schema": SCHEMA,
        "target": {
            "file": file,
            "qualname": target.qualname,
            "start_line": target.start_line,
            "end_line": target.end_line,
            "project": str(project),
        },
        "formula": loc.formula,
        "weights": loc.weights.as_dict(),
        "run": {
            "status": run.status,
            "message": run.message,
            "seconds": round(run.seconds, 3),
            "warnings": list(run.warnings),
        },
        "tests": [
            {
                "nodeid": t.nodeid,
                "outcome": t.outcome,
                "runs_target": t.nodeid in relevant,
                "exc_type": t.exc_type,
                "message": t.message,
            }
            for t in run.tests
        ],
        "found": bool(loc.ranked),
        "reason": loc.reason,
        "lines": [
            {
                "line": s.line,
                "code": s.code,
                "score": round(s.score, 4),
                "spectrum": {
                    "formula": loc.formula,
                    "value": None if math.isinf(s.raw) else round(s.raw, 4),
                    **s.spectrum._asdict(),
                },
                "parts": {k: round(v, 4) for k, v in s.parts.items()},
                "failing_tests": list(s.failing_tests),
                "reasons": list(s.reasons),
            }
            for s in loc.ranked
        ],
    }
    if opinions is not None:
        report["detector"] = {
            "note": "the model's opinion from the text alone, not evidence from the tests",
            "lines": _opinion_json(target, opinions),
        }
    return report


def _print_text(target: Target, run: TestRun, loc: Localization, opinions: list[LineOpinion] | None) -> None:
    counted = len(loc.tests)
    failing = len(loc.failing)
    print(f"{target.qualname} in {target.path} (lines {target.start_line}-{target.end_line}), {loc.formula}")
    print(f"tests: {len(run.tests)} run, {counted} ran {target.name}: {failing} failing, {counted - failing} passing")
    if opinions is not None:
        _print_opinions(target, opinions)
    if not loc.ranked:
        print(loc.reason)
        return
    width = max(len(str(s.line)) for s in loc.ranked)
    print(f"{'score':>5}  {'line':>{width}}  code")
    pad = " " * (5 + 2 + width + 2)
    for s in loc.ranked:
        print(f"{s.score:5.2f}  {s.line:>{width}}  {s.code}")
        for reason in s.reasons:
            print(f"{pad}- {reason}")
    print("failing tests:")
    for t in loc.failing:
        first = t.message.strip().splitlines()[0] if t.message.strip() else ""
        print(f"  {t.nodeid}: {t.exc_type or t.outcome}: {first}")


def _print_opinions(target: Target, opinions: list[LineOpinion]) -> None:
    print(f"the detector's opinion (the model's guess from the text alone, not evidence), top {DETECTOR_LINES}:")
    for row in _opinion_json(target, opinions[:DETECTOR_LINES]):
        print(f"  P={row['probability']:.2f}  line {row['line']}  {row['code']}   <- {row['token']!r}")


def _run(args: argparse.Namespace) -> int:
    from coderemask.source import load_target  # libcst: imported only when locate runs (~0.7 s)

    target, _ = load_target(args.target)
    file = Path(str(target.path)).resolve()
    selection = select_project(file, args.test, project=args.project, cwd=Path.cwd())
    project, tests = selection.root, selection.tests
    run = run_tests(
        project,
        target_file=file,
        tests=tests or None,
        target_lines=(target.start_line, target.end_line),
        timeout=args.timeout,
        test_timeout=args.test_timeout,
        plugin_autoload=not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"),
        python=test_python(args.python),
    )
    check_test_run(run, tests, project)
    opinions = detector_ranking(args, target) if args.detector else None
    loc = localize(run, target, formula=args.formula)
    if not loc.ranked and loc.status in ("no_failures", "not_covered"):
        loc = replace(loc, reason=f"no failing test covers {target.qualname}: {loc.reason}")
    if run.status in ("timeout", "crashed"):
        print(f"coderemask locate: warning: the test run {run.status}: {run.message}", file=sys.stderr)
    for warning in run.warnings:
        print(f"coderemask locate: warning: {warning}", file=sys.stderr)
    if args.json:
        report = _report(target, project, file.relative_to(project).as_posix(), run, loc, opinions)
        print(json.dumps(report, indent=2))
    else:
        _print_text(target, run, loc, opinions)
    return EXIT_OK if loc.ranked else EXIT_NOT_SOLVED


COMMAND = Command("locate", "rank the suspicious lines of a function from its failing tests", _add_arguments, _run)
