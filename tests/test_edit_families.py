"""What each edit family yields on small snippets (data-driven), and the registry.

A case: the function's text, the accused lines, the family, lines that some edit must produce
(holes filled with ``<F>``) and lines that no edit may produce.
"""

from __future__ import annotations

import pytest

from coderemask.edits.families import FAMILIES, EditContext, generate, get_families
from coderemask.edits.scope import ModuleScope
from coderemask.errors import ConfigError

MODULE = """
import math

LIMIT = 10


class Rect:
    def __init__(self, width, height):
        self.width = width
        self.height = height

    def area(self):
        return self.width * self.height
"""

CASES = [
    # (id, code, accused lines, family, must, must_not)
    (
        "builtin-callee",
        "def best(xs):\n    return min(xs)\n",
        [2],
        "identifier",
        ["return max(xs)", "return sum(xs)"],
        ["return True(xs)", "return xs(xs)"],
    ),
    (
        "local-name",
        "def f(a, b):\n    c = a + 1\n    return a\n",
        [3],
        "identifier",
        ["return b", "return c", "return None", "return LIMIT"],
        ["return min"],
    ),
    (
        "keyword-argument-names-stay",
        "def f(xs):\n    return sorted(xs, reverse=False)\n",
        [2],
        "identifier",
        ["return sorted(xs, reverse=True)"],
        ["return sorted(xs, xs=False)"],
    ),
    (
        "attribute",
        "def perimeter(self):\n    return 2 * (self.width + self.width)\n",
        [2],
        "attribute",
        ["return 2 * (self.width + self.height)"],
        ["return 2 * (self.width + self.self)"],
    ),
    ("look-alike-method", "def f(s, p):\n    return s.startswith(p)\n", [2], "attribute", ["return s.endswith(p)"], []),
    (
        "comparison",
        "def f(a, b):\n    if a < b:\n        return 1\n",
        [2],
        "operator",
        ["if a <= b:", "if a > b:", "if a != b:"],
        ["if a + b:"],
    ),
    ("augmented", "def f(x):\n    x += 1\n    return x\n", [2], "operator", ["x -= 1", "x *= 1"], ["x &= 1"]),
    ("bitwise-augmented", "def f(x, m):\n    x &= m\n    return x\n", [2], "operator", ["x |= m", "x ^= m"], []),
    (
        "is-and-in",
        "def f(a, s):\n    return a is None and a in s\n",
        [2],
        "operator",
        ["return a is not None and a in s", "return a is None and a not in s", "return a is None or a in s"],
        [],
    ),
    ("unary-not-dropped", "def f(ok):\n    return not ok\n", [2], "operator", ["return ok"], []),
    (
        "operator-on-its-whole-line",
        "def overlaps(a, b):\n    return a[0] < b[1] and b[0] < a[1]\n",
        [2],
        "operator",
        ["return a[0] <= b[1] and b[0] <= a[1]", "return a[0] <= b[1] and b[0] < a[1]"],
        ["return a[0] <= b[1] or b[0] <= a[1]", "return a[0] + b[1] and b[0] + a[1]"],
    ),
    (
        "composite-operator-on-its-whole-line",
        "def f(a, b, s):\n    return a not in s and b not in s\n",
        [2],
        "operator",
        ["return a in s and b in s"],
        [],
    ),
    (
        "int-and-bounds",
        "def f(s, n):\n    return s[:n] + [2]\n",
        [2],
        "literal",
        ["return s[:n + 1] + [2]", "return s[:n - 1] + [2]", "return s[:n] + [1]", "return s[:n] + [3]"],
        [],
    ),
    (
        "range-and-len",
        "def f(xs):\n    for i in range(len(xs)):\n        pass\n",
        [2],
        "literal",
        ["for i in range(len(xs) + 1):", "for i in range(len(xs) - 1):"],
        [],
    ),
    ("returned-literal", 'def f(x):\n    return ""\n', [2], "literal", ["return None", "return []", "return 0"], []),
    ("swap-arguments", "def f(a, b):\n    return g(a, b)\n", [2], "swap", ["return g(b, a)"], []),
    ("swap-operands", "def f(a, b):\n    return a - b\n", [2], "swap", ["return b - a"], []),
    ("swap-nested-subscript", "def f(g, r, c):\n    return g[c][r]\n", [2], "swap", ["return g[r][c]"], []),
    ("swap-subscript-tuple", "def f(d, i, j):\n    return d[i, j]\n", [2], "swap", ["return d[j, i]"], []),
    (
        "condition",
        "def f(x, y):\n    if x > 0 and y:\n        return 1\n",
        [2],
        "condition",
        ["if x > 0:", "if y:", "if not (x > 0 and y):", "if x > 0 and y and <F>:", "if (x > 0 and y) or <F>:"],
        [],
    ),
    ("un-negate", "def f(x):\n    while not x:\n        x = 1\n", [2], "condition", ["while x:"], []),
    (
        "wrap",
        "def f(a, b):\n    return a - b\n",
        [2],
        "wrap",
        [
            "return abs(a - b)",
            "return max(<F>, a - b)",
            "return min(a - b, <F>)",
            "return a",
            "return b",
            "return len(a) - b",
        ],
        [],
    ),
    ("unwrap", "def f(a, b):\n    return int(a / b)\n", [2], "wrap", ["return a / b"], []),
    ("unwrap-clamp", "def f(x):\n    return max(0, x)\n", [2], "wrap", ["return x", "return 0"], []),
    (
        "statement",
        "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n    return out\n",
        [3, 4, 5],
        "statement",
        [
            "    <F>\n    for x in xs:",
            "        <F>\n        out.append(x)",
            "        out.append(x)\n        <F>",
            "return <F>",
        ],
        [],
    ),
    (
        "delete-statement",
        "def f(x):\n    x = x.lower()\n    return x\n",
        [2],
        "statement",
        ["DELETED:    x = x.lower()"],
        [],
    ),
    ("whole-line", "def f(a, b):\n    c = a + b\n    return c\n", [2], "whole_line", ["    <F>\n    return c"], []),
    ("missing-colon", "def f(x):\n    if x > 0\n        return 1\n", [2], "syntax", ["if x > 0:"], []),
    ("missing-paren", "def f(x):\n    return g((x)\n", [2], "syntax", ["return g((x))"], []),
]


def _results(code: str, lines: list[int], family: str) -> list[str]:
    ctx = EditContext(code, {line: 1.0 for line in lines}, ModuleScope.of(MODULE + "\n" + code))
    return [e.apply(code, ["<F>"] * e.holes) for e in generate(ctx, get_families([family]))]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_family_yields(case) -> None:
    _, code, lines, family, must, must_not = case
    results = _results(code, lines, family)
    assert results, f"{family} yielded nothing"
    for want in must:
        if want.startswith("DELETED:"):  # the line gone, the rest intact
            assert code.replace(want[len("DELETED:") :] + "\n", "") in results
        else:
            assert any(want in r for r in results), f"no edit gives {want!r}; got {results[:12]}"
    for unwanted in must_not:
        assert not any(unwanted in r for r in results), f"an edit gives {unwanted!r}"


@pytest.mark.parametrize("family", list(FAMILIES))
def test_edits_touch_only_accused_lines_and_keep_the_rest_byte_identical(family: str) -> None:
    code = (
        "def f(a, b, xs):\n    total = 0\n    for x in xs[1:]:\n        if x > a and not b:\n"
        "            total += abs(x - a)\n    return total\n"
    )
    ctx = EditContext(code, {4: 1.0}, ModuleScope.of(code))
    line4 = (code.index("        if x"), code.index("            total +="))  # line 4 and its line break
    edits = generate(ctx, get_families([family]))
    for edit in edits:
        assert edit.family == family and edit.line == 4
        # inside line 4 (a statement family may insert at the start of line 4 or 5, or delete line 4)
        assert line4[0] <= edit.start and edit.end <= line4[1] + 1, (edit, code[edit.start : edit.end])


def test_nothing_on_lines_not_accused_and_no_identity_edit() -> None:
    code = "def f(a):\n    b = a + 1\n    return b\n"
    edits = generate(EditContext(code, {3: 1.0}, ModuleScope.of(code)))
    assert edits and all(e.line == 3 for e in edits)
    assert all(e.holes or e.apply(code) != code for e in edits)


def test_a_method_indented_in_its_class_is_edited_in_place() -> None:
    code = "    def area(self):\n        return self.width + self.height\n"
    results = _results(code, [2], "operator")
    assert "    def area(self):\n        return self.width * self.height\n" in results


def test_registry_names_and_unknown_family() -> None:
    assert list(FAMILIES) == [
        "identifier",
        "attribute",
        "operator",
        "literal",
        "swap",
        "condition",
        "wrap",
        "statement",
        "whole_line",
        "syntax",
    ]
    assert all(f.description for f in FAMILIES.values())
    with pytest.raises(ConfigError, match="unknown edit family 'nope'"):
        get_families(["nope"])
