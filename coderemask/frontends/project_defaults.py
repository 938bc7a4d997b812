"""``[tool.coderemask]`` in a project's pyproject.toml: defaults for the flags people repeat.

    [tool.coderemask]
    model = "embedded"          # --model
    policy = "combined"         # --policy
    max-nfe = 512               # --max-nfe
    max-rounds = 1000           # --max-rounds
    timeout = 120               # --timeout (seconds)
    test-timeout = 5            # --test-timeout (seconds)
    python = ".venv/bin/python" # --python (relative to the pyproject's folder)

The file is the nearest pyproject.toml at or above the folder the command runs in. A key applies
to every command that has the flag; a flag given on the command line wins. Each value goes
through the flag's own check (``numbers.Range``): a bad one is refused naming the file and key.
This module knows argparse parsers and TOML; it does not know what the flags do.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Iterable

from coderemask import tomlcompat
from coderemask.frontends.common import UsageError

#: Keys of ``[tool.coderemask]`` (dashes or underscores) and the argparse ``dest`` they set.
KEYS: dict[str, str] = {
    "model": "model",
    "device": "device",
    "dtype": "dtype",
    "policy": "policy",
    "max-nfe": "max_nfe",
    "max-rounds": "max_rounds",
    "candidates": "candidates",
    "max-candidates": "max_candidates",
    "seed": "seed",
    "timeout": "timeout",
    "test-timeout": "test_timeout",
    "python": "python",
}
PATH_KEYS = frozenset({"python"})


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that holds ``[tool.coderemask]``."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        try:
            mentions = candidate.is_file() and "tool.coderemask" in candidate.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            mentions = False  # not ours to judge: pytest and the build will say what is wrong with it
        if mentions and "coderemask" in _read(candidate).get("tool", {}):
            return candidate
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomlcompat.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot be read ({exc})") from None
    except tomlcompat.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from None


def load_defaults(start: Path) -> tuple[Path | None, dict[str, str]]:
    """The pyproject found from ``start`` and its ``[tool.coderemask]`` as ``{dest: text}``.

    Values stay text here; ``apply_defaults`` runs each through its flag's check."""
    path = find_pyproject(start)
    if path is None:
        return None, {}
    table = _read(path)["tool"]["coderemask"]
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.coderemask] must be a table")
    out: dict[str, str] = {}
    for key, value in table.items():
        name = key.replace("_", "-")
        if name not in KEYS:
            raise UsageError(f"{path}: [tool.coderemask] {key!r} is not a setting (known: {', '.join(KEYS)})")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise UsageError(f"{path}: [tool.coderemask] {key} = {value!r}: must be a string or a number")
        text = str(value)
        if name in PATH_KEYS:
            text = str((path.parent / text).expanduser()) if not Path(text).is_absolute() else text
        out[KEYS[name]] = text
    return path, out


def apply_defaults(subparsers: Iterable[argparse.ArgumentParser], source: Path, values: dict[str, str]) -> None:
    """Set each subcommand's defaults from ``values`` (``{dest: text}``) where it has the flag,
    checked by the flag's own ``type`` (the same check as on the command line)."""
    for parser in subparsers:
        changes: dict[str, Any] = {}
        for action in parser._actions:  # argparse exposes no public list of a parser's actions
            if action.dest not in values:
                continue
            text = values[action.dest]
            try:
                changes[action.dest] = action.type(text) if callable(action.type) else text
            except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
                key = next(k for k, d in KEYS.items() if d == action.dest)
                raise UsageError(f"{source}: [tool.coderemask] {key} = {text!r}: {exc}") from None
            if action.choices is not None and changes[action.dest] not in action.choices:
                raise UsageError(
                    f"{source}: [tool.coderemask] {action.dest} = {text!r}: must be one of "
                    f"{', '.join(map(str, action.choices))}"
                )
        if changes:
            parser.set_defaults(**changes)
