"""A docstring's examples as test snippets: the public evidence a stub or a prompt carries.

Two kinds of example are read:

- doctest examples (``>>> f(2)`` then the expected output), compared like doctest does or,
  failing that, as values when the expected output is a literal (``"21"`` for ``'21'``); a
  comparison with no output (``>>> f(2) == 4``) must be true;
- informal examples, one per line, that call the function and state the result:
  ``f(2) => 4``, ``f(2) -> 4``, ``f(2) ➞ 4``, ``f(2) == 4``, ``f(2) should return 4``,
  (and ``f(1, 2) -> 19 - 5 - 6 = 8``: the last ``=`` gives the value). The arguments and the
  expected value must be Python literals; the result is compared with ``==`` (floats within 1e-6).

Each snippet runs after the module that defines the function, in the sandbox (``checkers.py``).
This module only reads text; it runs nothing.
"""

from __future__ import annotations

import ast
import doctest
import re

_SEPARATORS = ("==>", "=>", "->", "➞", "→", "==", "should return", "should be", "returns")
# No bare "=": docstrings use ``f(1) = 3`` for definitions and recurrences more than for examples.
_BULLET = re.compile(r"^(?:[-*•]|\d+[.)])\s+")


def doctest_tests(docstring: str | None) -> list[str]:
    """Test snippets, one per ``>>>`` example of a docstring (output compared like doctest)."""
    if not docstring:
        return []
    try:
        examples = doctest.DocTestParser().get_examples(docstring)
    except ValueError:
        return []
    tests = []
    for ex in examples:
        if not ex.want.strip() and _is_comparison(ex.source):  # ">>> f(1) == 2" with no output: a claim
            tests.append(f"_src = {ex.source.strip()!r}\nassert eval(_src), f'{{_src}} is False'\n")
            continue
        tests.append(
            "import doctest as _doctest\n"
            f"_src, _want = {ex.source!r}, {ex.want!r}\n"
            "try:\n"
            "    _code = compile(_src, '<example>', 'eval')\n"
            "except SyntaxError:\n"
            "    exec(compile(_src, '<example>', 'exec'))\n"
            "    _val, _got = None, ''\n"
            "else:\n"
            "    _val = eval(_code)\n"
            "    _got = '' if _val is None else repr(_val) + '\\n'\n"
            "_flags = _doctest.ELLIPSIS | _doctest.NORMALIZE_WHITESPACE\n"
            "_ok = _doctest.OutputChecker().check_output(_want, _got, _flags)\n"
            "if not _ok and _val is not None:\n"
            "    import ast as _ast\n"
            "    try:\n"
            "        _ok = _ast.literal_eval(_want.strip()) == _val\n"
            "    except Exception:\n"
            "        pass\n"
            "assert _ok, f'{_src.strip()}: expected {_want.strip()!r}, got {_got.strip()!r}'\n"
        )
    return tests


def _is_comparison(source: str) -> bool:
    try:
        return isinstance(ast.parse(source.strip(), mode="eval").body, ast.Compare)
    except SyntaxError:
        return False


def _call_prefix(line: str, name: str) -> str | None:
    """The call of ``name`` that ``line`` starts with (balanced, parseable), or None."""
    if not line.startswith(f"{name}("):
        return None
    for end in (i for i, ch in enumerate(line) if ch == ")"):
        try:
            node = ast.parse(line[: end + 1], mode="eval").body
        except SyntaxError:
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
            return line[: end + 1] if _literal_arguments(node) else None
    return None


def _literal_arguments(call: ast.Call) -> bool:
    """Whether every argument of ``call`` is a literal (``is_happy(a)`` is prose, not an example)."""
    return (
        all(k.arg is not None for k in call.keywords)
        and not any(isinstance(a, ast.Starred) for a in call.args)
        and all(_is_literal(arg) for arg in [*call.args, *(k.value for k in call.keywords)])
    )


def _is_literal(node_or_text: ast.expr | str) -> bool:
    try:
        ast.literal_eval(node_or_text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _expected_literal(text: str) -> str | None:
    """The literal ``text`` states (its last ``= value`` when it is a worked sum), or None."""
    text = text.split(" #", 1)[0].strip().rstrip(".,;").strip()
    candidates = (text, text.rsplit("=", 1)[-1].strip() if "=" in text else "")
    return next((c for c in candidates if c and _is_literal(c)), None)


def informal_examples(docstring: str | None, name: str) -> list[tuple[str, str]]:
    """(call, expected literal) for each line of ``docstring`` that calls ``name`` and states its result."""
    found: list[tuple[str, str]] = []
    for raw in (docstring or "").splitlines():
        line = _BULLET.sub("", raw.strip())
        call = _call_prefix(line, name)
        if call is None:
            continue
        rest = line[len(call) :].strip()
        for sep in _SEPARATORS:
            if rest.startswith(sep):
                want = _expected_literal(rest[len(sep) :])
                if want is not None and (call, want) not in found:
                    found.append((call, want))
                break
    return found


def informal_tests(docstring: str | None, name: str) -> list[str]:
    """Test snippets, one per informal example of ``name`` in ``docstring``."""
    return [
        f"_src, _want = {call!r}, {want}\n"
        f"_got = {call}\n"
        "_close = isinstance(_want, float) and isinstance(_got, (int, float)) and not isinstance(_got, bool) \\\n"
        "    and abs(_got - _want) <= 1e-6 * max(1.0, abs(_want))\n"
        "assert _got == _want or _close, f'{_src}: expected {_want!r}, got {_got!r}'\n"
        for call, want in informal_examples(docstring, name)
    ]


def example_tests(docstring: str | None, name: str) -> list[str]:
    """Every example of ``docstring`` as a test of ``name``: its doctests, then its informal examples."""
    return doctest_tests(docstring) + informal_tests(docstring, name)
