"""SBFL plus tracebacks on small buggy projects (tests/data/buggy/*): each holds one module with
one planted single-point bug and a test file. ``bug.json`` names the target, the planted line,
its fix and the rank each formula is expected to give it (1 = first, ties counted against)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from coderemask.signals.localize import FORMULAS, localize
from coderemask.signals.tests import TestRun, run_tests
from coderemask.source import Target, load_target

BUGGY = Path(__file__).parent / "data" / "buggy"
PROGRAMS = sorted(p.name for p in BUGGY.iterdir() if (p / "bug.json").is_file())


def bug(name: str) -> dict[str, Any]:
    return json.loads((BUGGY / name / "bug.json").read_text(encoding="utf-8"))


def target_of(name: str) -> Target:
    file, _, func = bug(name)["target"].partition("::")
    return load_target(f"{BUGGY / name / file}::{func}")[0]


@cache
def buggy_run(name: str) -> TestRun:
    target = target_of(name)
    return run_tests(
        BUGGY / name,
        target_file=bug(name)["target"].partition("::")[0],
        target_lines=(target.start_line, target.end_line),
        plugin_autoload=False,
    )


def test_there_are_enough_programs_and_most_put_the_bug_first() -> None:
    assert len(PROGRAMS) >= 5
    first = [name for name in PROGRAMS if bug(name)["rank"]["ochiai"] == 1]
    assert len(first) >= 4, first


@pytest.mark.parametrize("formula", list(FORMULAS))
@pytest.mark.parametrize("name", PROGRAMS)
def test_planted_line_ranks_as_expected(name: str, formula: str) -> None:
    info, target = bug(name), target_of(name)
    run = buggy_run(name)
    assert run.status == "ok" and run.failing and run.passing, run.message
    loc = localize(run, target, formula=formula)
    table = [(s.line, round(s.score, 3), s.code) for s in loc.ranked]
    assert loc.rank(info["line"]) == info["rank"][formula], table
    assert loc.ranked[0].score == 1.0
    if info["rank"][formula] == 1:
        assert loc.ranked[0].line == info["line"] and loc.ranked[1].score < 1.0


@pytest.mark.parametrize("name", PROGRAMS)
def test_each_bug_is_one_line_and_its_fix_passes_every_test(name: str) -> None:
    info, target = bug(name), target_of(name)
    file = info["target"].partition("::")[0]
    lines = (BUGGY / name / file).read_text(encoding="utf-8").splitlines(keepends=True)
    assert target.start_line <= info["line"] <= target.end_line
    assert lines[info["line"] - 1].strip() != info["fix"].strip()
    lines[info["line"] - 1] = info["fix"] + "\n"
    fixed = run_tests(
        BUGGY / name, target_file=file, overlay={file: "".join(lines)}, coverage=False, plugin_autoload=False
    )
    assert fixed.all_passed, [(t.nodeid, t.message) for t in fixed.failing]
