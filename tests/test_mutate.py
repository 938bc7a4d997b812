"""Mutation operators on small hand-written functions, and bug-set building on tiny tasks."""

from __future__ import annotations

import ast
import json

import pytest

from coderemask.errors import ConfigError
from coderemask.evaluation.datasets import Task, dump_jsonl
from coderemask.evaluation.mutate import (
    MUTATORS,
    MutationError,
    get_mutators,
    make_bugs,
    mutants,
    parse_types,
)
from coderemask.signals.sandbox import Candidate, CandidateResult, run_batch
from coderemask.signals.units import TextOffsets

# ------------------------------------------------------------------------------ operators

CMP = "def f(a, b):\n    # größer? 😀\n    if a  <  b:   # cmp\n        return a\n    return b\n"
ARITH = 'def f(a, b):\n    s = "😀é→" + a  # ünï\n    return (a + b) * 2\n'
BOOL = "def f(a, b):\n    x = 0\n    x += 1\n    if a is not None:\n        return a and (b)\n    return x\n"
RANGES = "def f(xs, n, c):\n    for i in range(1, n):\n        xs = xs[i:]\n    return [range(n if c else 2)] + xs[0]\n"
NAMES = "def f(a, b):\n    c = a\n    return c + b\n"
CONDS = (
    "def f(ok, a, b, xs):\n    if ok:\n        a = 1\n    elif not ok:\n        b = 2\n"
    "    if a or b:\n        return [x for x in xs if x > 0]\n    return a if ok else b\n"
)
RETURNS = "def f(xs):\n    total = 0\n    if not xs:\n        return True\n    return total\n"
CALLS = "def f(a, b, g):\n    g(*a, b)\n    return pow(a, b) + g((a), b)\n"
STMTS = (
    "def f(xs):\n    total = 0\n    for x in xs:\n        total += x  # add\n"
    "    print(total); print(xs)\n    return total\n# end\n"
)
BUILTINS = (
    "def f(xs, ys, x, s, min):\n    a = max(xs, key=abs) + min(ys)  # min: a parameter\n"
    "    b = any(xs) or all(ys)\n    return int(x / 2) + int(s) + round(x) + round(x, 2) + int(float(s))\n"
)
ATTRS = (
    "import math\n\n\nclass Box:\n    def area(self):\n        return self.width * self.height\n\n\n"
    "def f(p, s, xs):\n    if s.startswith('#') and p.x > 0:\n        xs.append(s.lower())\n"
    "    return math.floor(p.y) + xs.__len__()\n"
)
WRAPS = (
    "def f(xs, n, s):\n    k = max(0, n - 1) + min(n, -1) + max(n, len(xs))\n"
    "    if len(set(xs)) > k and len(s):\n        return sorted(xs, key=len)\n"
    "    return abs(n - k) * 2 + int(s) + float('inf')\n"
)
SUBSCRIPTS = "def f(g, d, i, j):\n    g[i][j] = g[i][i] + d[i, j] + d[i, :] + g[i][1:]\n    return g[i][j][0]\n"
BOUNDS = (
    "def f(s, n, i):\n    for k in range(n + 1):\n        s = s[i - 1: n + 2] + s[1 + i:] + s[: k + 1: 2]\n"
    "    return range(0, n - 1, n + 1), s[i + 1], s[(m := n) + 1:]\n"
)

CASES = [  # (type, source, expected mutants present, mutants that must be absent)
    ("op_swap", CMP, ["    if a  <=  b:   # cmp\n", "    if a  >  b:   # cmp\n"], []),
    (
        "op_swap",
        ARITH,
        [
            '    s = "😀é→" - a  # ünï\n',
            "    return (a + b) / 2\n",
            "    return (a - b) * 2\n",
            "    return (a + b) + 2\n",
        ],
        [],
    ),
    ("op_swap", BOOL, ["    x -= 1\n", "    if a is None:\n", "        return a or (b)\n"], []),
    (
        "off_by_one",
        RANGES,
        [
            "    for i in range(2, n):\n",
            "    for i in range(0, n):\n",
            "    for i in range(1, n + 1):\n",
            "    for i in range(1, n - 1):\n",
            "        xs = xs[i + 1:]\n",
            "    return [range((n if c else 2) + 1)] + xs[0]\n",
            "    return [range(n if c else 2)] + xs[1]\n",
        ],
        ["xs[-1]"],
    ),
    ("wrong_variable", NAMES, ["    return a + b\n", "    return c + a\n", "    c = b\n"], ["    c = c\n"]),
    (
        "negate_condition",
        CONDS,
        ["    if not ok:\n", "    elif ok:\n", "    if not (a or b):\n", "    return a if not ok else b\n"],
        [],
    ),
    (
        "drop_condition",
        CONDS,
        [
            "    if True:\n        a = 1\n",
            "    elif True:\n",
            "    if b:\n",
            "    if a:\n",
            "        return [x for x in xs if True]\n",
        ],
        [],
    ),
    (
        "wrong_return",
        RETURNS,
        ["        return False\n", "    return xs\n", "    return None\n"],
        ["        return xs\n", "        return total\n"],
    ),
    ("swap_args", CALLS, ["    return pow(b, a) + g((a), b)\n", "    return pow(a, b) + g((b), a)\n"], ["g(b, *a)"]),
    (
        "missing_statement",
        STMTS,
        ["def f(xs):\n    for x in xs:\n", "        pass  # add\n", "    print(total); print(xs)\n# end\n"],
        ["    print(xs)\n"],
    ),
    (
        "wrong_builtin",
        BUILTINS,
        ["    a = min(xs, key=abs) + min(ys)  # min", "    b = all(xs) or all(ys)\n", "return round(x / 2) + int(s)"],
        ["max(ys)", "round(s)", "int(x, 2)"],
    ),
    (
        "wrong_attribute",
        ATTRS,
        [
            "    if s.endswith('#') and p.x > 0:\n",
            "    if s.startswith('#') and p.width > 0:\n",
            "        xs.extend(s.lower())\n",
            "        xs.append(s.upper())\n",
            "    return math.ceil(p.y) + xs.__len__()\n",
        ],
        ["self.height * self.height", "xs.__len__(s.lower())", "xs.lower(", "math.append("],
    ),
    (
        "drop_wrap",
        WRAPS,
        [
            "    k = (n - 1) + min(n, -1)",
            "    if set(xs) > k and len(s):\n",
            "        return xs\n",
            "    return (n - k) * 2 + int(s)",
        ],
        ["and s:", "+ 'inf'"],
    ),
    (
        "swap_subscript",
        SUBSCRIPTS,
        ["    g[j][i] = g[i][i]", "    return g[j][i][0]\n", "    return g[i][0][j]\n"],
        ["d[i, :] + g[1:][i]"],
    ),
    (
        "off_by_one_bound",
        BOUNDS,
        ["    for k in range(n):\n", "s[: k: 2]", "s[(m := n):]"],
        ["s[i]", "range(0, n - 1, n)"],
    ),
]

EXACT = [  # (type, source, every mutant as (replaced text, new text), in order)
    (
        "wrong_builtin",
        BUILTINS,
        [("max", "min"), ("any", "all"), ("all", "any"), ("int", "round"), ("round", "int"), ("int", "round")],
    ),
    (
        "wrong_attribute",
        ATTRS,
        [
            ("startswith", "endswith"),
            ("startswith", "lower"),
            ("x", "height"),
            ("x", "width"),
            ("x", "y"),
            ("append", "extend"),
            ("lower", "startswith"),
            ("lower", "upper"),
            ("floor", "ceil"),
            ("y", "height"),
            ("y", "width"),
            ("y", "x"),
        ],
    ),
    (
        "drop_wrap",
        WRAPS,
        [
            ("max(0, n - 1)", "(n - 1)"),
            ("min(n, -1)", "n"),
            ("len(set(xs))", "set(xs)"),
            ("set(xs)", "xs"),
            ("sorted(xs, key=len)", "xs"),
            ("abs(n - k)", "(n - k)"),
            ("int(s)", "s"),
        ],
    ),
    ("swap_subscript", SUBSCRIPTS, [("i][j", "j][i"), ("i, j", "j, i"), ("i][j", "j][i"), ("j][0", "0][j")]),
    (
        "off_by_one_bound",
        BOUNDS,
        [("n + 1", "n"), ("i - 1", "i"), ("1 + i", "i"), ("k + 1", "k"), ("n - 1", "n"), ("(m := n) + 1", "(m := n)")],
    ),
]


@pytest.mark.parametrize(
    ("kind", "source", "present", "absent"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_operator(kind: str, source: str, present: list[str], absent: list[str]) -> None:
    found = mutants(source, "f", types=[kind])
    assert found and {m.kind for m in found} == {kind}
    for expected in present:
        assert any(expected in m.source for m in found), (expected, [m.source for m in found])
    for unwanted in absent:
        assert not any(unwanted in m.source for m in found), unwanted
    offsets = TextOffsets(source)
    trees = {ast.dump(ast.parse(source))}
    for m in found:
        tree = ast.dump(ast.parse(m.source))  # parses, differs from the original and the others
        assert tree not in trees
        trees.add(tree)
        start, end = m.edit.start, m.edit.end  # one place: all before and after it kept as is
        assert m.source[:start] == source[:start] and m.source[start + len(m.edit.text) :] == source[end:]
        last = offsets.line_of(max(start, end - 1))
        assert offsets.line_of(start) == m.line and last - m.line <= m.original.count("\n")
        assert m.original == source[offsets.line_starts[m.line - 1] : offsets.line_end(last)].strip()


@pytest.mark.parametrize(("kind", "source", "expected"), EXACT, ids=[c[0] for c in EXACT])
def test_operator_yields_exactly(kind: str, source: str, expected: list[tuple[str, str]]) -> None:
    found = mutants(source, "f", types=[kind])
    assert [(source[m.edit.start : m.edit.end], m.edit.text) for m in found] == expected


def test_snippets_and_line_of_a_mutant() -> None:
    m = next(m for m in mutants(CMP, "f", types=["op_swap"]) if "<=" in m.source)
    assert (m.line, m.original, m.mutated) == (3, "if a  <  b:   # cmp", "if a  <=  b:   # cmp")
    gone = next(m for m in mutants(STMTS, "f", types=["missing_statement"]) if "total = 0" not in m.source)
    assert (gone.line, gone.original, gone.mutated) == (2, "total = 0", "")


def test_only_the_body_after_region_start_and_not_inside_f_strings() -> None:
    prompt = 'def helper(n=1):\n    return n + 1\n\n\ndef f(x, k=1):\n    """Doc: 1 < 2 and x."""\n'
    body = '    y = f"{x + 1}"\n    return helper(x) + k\n'
    found = mutants(prompt + body, "f", region_start=len(prompt))
    assert found
    assert all(m.source.startswith(prompt) and m.edit.start >= len(prompt) for m in found)
    assert all('f"{x + 1}"' in m.source or m.kind == "missing_statement" for m in found)


def test_registry_and_bad_input() -> None:
    assert list(MUTATORS) == [
        "op_swap",
        "off_by_one",
        "wrong_variable",
        "negate_condition",
        "drop_condition",
        "wrong_return",
        "swap_args",
        "missing_statement",
        "wrong_builtin",
        "wrong_attribute",
        "drop_wrap",
        "swap_subscript",
        "off_by_one_bound",
    ]
    assert all(m.name == name and m.description for name, m in MUTATORS.items())
    assert parse_types(" off_by_one,op_swap ") == ["op_swap", "off_by_one"]  # registry order
    assert parse_types("off_by_one_bound,drop_wrap,wrong_builtin") == ["wrong_builtin", "drop_wrap", "off_by_one_bound"]
    with pytest.raises(ConfigError, match="unknown mutation type 'nope'; known: op_swap"):
        get_mutators(["op_swap", "nope"])
    with pytest.raises(ConfigError, match="no mutation type"):
        parse_types(" , ")
    with pytest.raises(MutationError, match="does not parse"):
        mutants("def f(:\n", "f")
    with pytest.raises(MutationError, match="entry point: .f."):
        mutants("def g():\n    return 1\n", "f")


# ------------------------------------------------------------------------------ bug sets


def _task(task_id: str, prompt: str, solution: str, checks: list[str]) -> Task:
    entry = prompt.split("def ", 1)[1].split("(", 1)[0]
    test = "def check(candidate):\n" + "".join(f"    assert {c}\n" for c in checks)
    record = {"task_id": task_id, "prompt": prompt, "entry_point": entry, "canonical_solution": solution, "test": test}
    return Task(task_id, prompt, entry, solution, test, record)


ADD = _task(
    "T/add", 'def add(a, b):\n    """Sum."""\n', "    return a + b\n", ["candidate(2, 3) == 5", "candidate(-1, 1) == 0"]
)
BIGGEST = _task(
    "T/biggest",
    'def biggest(a, b):\n    """The larger."""\n',
    "    return max(a, b)\n",
    ["candidate(1, 2) == 2", "candidate(5, 3) == 5"],
)
BROKEN = _task("T/broken", 'def add(a, b):\n    """Sum."""\n', "    return a - b\n", ["candidate(2, 3) == 5"])
TOTAL = _task(
    "T/total",
    'def total(xs, start):\n    """Sum from start."""\n',
    "    acc = 0\n    for i in range(start, len(xs)):\n        if xs[i] > 0:\n            acc += xs[i]\n"
    "    return acc\n",
    ["candidate([1, 2, -3, 4], 0) == 7", "candidate([1, 2, 3], 1) == 5", "candidate([], 0) == 0"],
)


def _in_process(candidates: list[Candidate], timeout: float) -> list[CandidateResult]:
    """A fast runner for selection tests: exec code and test in one dict (trusted code only)."""
    out = []
    for i, c in enumerate(candidates):
        namespace: dict = {}
        try:
            exec(c.code, namespace)  # noqa: S102
            exec(c.test, namespace)  # noqa: S102
            status = "passed"
        except Exception:  # noqa: BLE001
            status = "failed"
        out.append(CandidateResult(i, c.name, status))
    return out


def test_keeps_only_mutants_that_fail_in_the_sandbox() -> None:
    bugs = make_bugs([ADD, BIGGEST, BROKEN], seed=0, per_task=20)
    assert {s.task_id: s.reason for s in bugs.skipped} == {"T/broken": "canonical solution fails its tests"}
    assert bugs.dropped.get("passed", 0) >= 1  # max(b, a) passes the tests
    assert not any("max(b, a)" in r["buggy_solution"] for r in bugs.records)
    by_task = {t.task_id: t for t in (ADD, BIGGEST)}
    results = run_batch(
        [
            Candidate(r["prompt"] + r["buggy_solution"], by_task[r["task_id"].rsplit("/", 2)[0]].test_program)
            for r in bugs.records
        ]
    ).results
    assert results and not any(r.passed for r in results)
    for r in bugs.records:
        base, kind, n = r["task_id"].rsplit("/", 2)
        assert kind == r["mutation"] and int(n) >= 1 and base in by_task
        original = by_task[base]
        assert r["prompt"] == original.prompt and r["buggy_solution"] != original.canonical_solution
        lines = (r["prompt"] + r["buggy_solution"]).splitlines()
        assert r["bug_mutated"] == "" or r["bug_mutated"] in lines[r["bug_line"] - 1]
    assert sum(bugs.counts.values()) == len(bugs.records)


def test_same_seed_same_bytes_and_lookahead_does_not_matter() -> None:
    def dump(**kw: object) -> str:
        return dump_jsonl(make_bugs([TOTAL, ADD], run=_in_process, **kw).records)  # type: ignore[arg-type]

    first = dump(seed=3, per_task=3)
    assert first == dump(seed=3, per_task=3) == dump(seed=3, per_task=3, lookahead=7)
    assert len({dump(seed=s, per_task=3) for s in range(4)}) > 1
    records = [json.loads(line) for line in first.splitlines()]
    total = [r for r in records if r["task_id"].startswith("T/total/")]
    assert len(total) == 3 and len({r["mutation"] for r in total}) == 3  # round-robin over types


def test_types_filter_and_skips() -> None:
    bugs = make_bugs([BIGGEST, ADD], seed=0, per_task=2, types=["swap_args"], run=_in_process)
    assert bugs.records == []
    assert [(s.task_id, s.reason) for s in bugs.skipped] == [
        ("T/biggest", "no mutant fails the tests"),
        ("T/add", "no place to mutate for these types"),
    ]
    bad = _task("T/indent", "def f(x):\n    '''Doc.'''\n", "  return x\n", ["candidate(1) == 1"])
    skipped = make_bugs([bad], run=_in_process).skipped
    assert skipped[0].reason == "prompt + canonical_solution does not parse"


def test_mutants_of_a_slow_task_get_more_time() -> None:
    limits: dict[str, float] = {}

    def timed(candidates: list[Candidate], timeout: float) -> list[CandidateResult]:
        for c in candidates:
            limits[c.name.split("/")[-1]] = timeout
        slow = {"T/total/canonical": 4.0}
        return [
            CandidateResult(i, c.name, r.status, seconds=slow.get(c.name, 0.01))
            for i, (c, r) in enumerate(zip(candidates, _in_process(candidates, timeout)))
        ]

    make_bugs([TOTAL], per_task=1, timeout=2.0, run=timed)
    assert limits.pop("canonical") == 20.0 and set(limits.values()) == {12.0}
