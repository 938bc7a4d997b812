"""Consistency of the buggy-module development set in examples/bugs (manifest.json).

Static checks only (no subprocesses, no test runs): examples/bugs/verify.py runs the tests.
"""

from __future__ import annotations

import ast
import importlib.util
import json
from pathlib import Path

import pytest

BUGS = Path(__file__).resolve().parent.parent / "examples" / "bugs"
_spec = importlib.util.spec_from_file_location("devset_verify", BUGS / "verify.py")
_verify = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_verify)  # type: ignore[union-attr]
function_span = _verify.function_span  # one definition, shared with the verifier
MANIFEST = json.loads((BUGS / "manifest.json").read_text())
FAMILIES = {"identifier", "attribute", "operator", "literal", "swap", "condition", "wrap", "statement"}


def paths(entry: dict) -> tuple[Path, Path, Path]:
    buggy = BUGS / entry["file"]
    return buggy, buggy.with_name(buggy.name + ".fixed"), buggy.with_name("test_" + buggy.name)


def test_manifest_size_and_mix():
    assert len(MANIFEST) >= 30
    assert sum(e["bugs"] for e in MANIFEST) >= 34
    assert sum(e["bugs"] == 2 for e in MANIFEST) >= 3
    assert sum(e["hangs"] for e in MANIFEST) >= 3


def test_ids_and_module_names_are_unique():
    ids = [e["id"] for e in MANIFEST]
    modules = [Path(e["file"]).name for e in MANIFEST]
    assert len(set(ids)) == len(ids)
    assert len(set(modules)) == len(modules)


def test_no_package_or_conftest_files():
    assert not list(BUGS.rglob("conftest.py"))
    assert not list(BUGS.rglob("__init__.py"))


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["id"] for e in MANIFEST])
def test_entry(entry):
    assert set(entry) == {"id", "file", "function", "families", "bugs", "hangs", "description"}
    assert Path(entry["file"]).parent.as_posix() == entry["id"]
    assert entry["families"] and set(entry["families"]) <= FAMILIES
    assert entry["bugs"] in (1, 2) and len(entry["families"]) <= entry["bugs"]
    assert isinstance(entry["hangs"], bool)
    assert entry["description"].strip()

    buggy_path, fixed_path, test_path = paths(entry)
    for path in (buggy_path, fixed_path, test_path):
        assert path.is_file(), path
    buggy, fixed = buggy_path.read_text(), fixed_path.read_text()
    assert buggy != fixed

    span_b = function_span(buggy, entry["function"])
    span_f = function_span(fixed, entry["function"])
    assert span_b is not None, "function missing from the buggy module"
    assert span_f is not None, "function missing from the fixed module"
    lines_b, lines_f = buggy.splitlines(), fixed.splitlines()
    assert lines_b[: span_b[0] - 1] == lines_f[: span_f[0] - 1], "differs before the function"
    assert lines_b[span_b[1] :] == lines_f[span_f[1] :], "differs after the function"

    test_tree = ast.parse(test_path.read_text())
    tests = [n for n in test_tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    assert 4 <= len(tests) <= 10
    module = buggy_path.stem
    assert any(isinstance(n, ast.ImportFrom) and n.module == module for n in test_tree.body)
