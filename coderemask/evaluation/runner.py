"""One evaluation run: which samples to draw, how one sample runs, and the resumable sample log.

An ``EvalPlan`` fixes everything that decides a result (set, mode, feedback, settings, NFE
budgets, samples per task, the base RepairConfig, the model). ``jobs`` lists the samples still
missing from the log; ``SampleRunner`` runs one with a loaded model: it builds the task from the
record (``humaneval_tasks.eval_task``), runs ``complete`` or ``repair`` under the setting's config
(``settings.py``), and judges the final code with the hidden ``check`` in the sandbox. The loop
never sees the hidden tests unless ``feedback="full"`` (repair only).

``SampleLog`` is the JSONL file of finished samples: one line each, appended and flushed as it
arrives, so an interrupted run resumes where it stopped. ``run.json`` beside it holds the plan;
resuming under a different plan is refused.

This module knows tasks, configs and files; it does not know processes (``backends.py``) or
how results are summarized (``report.py``).
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from coderemask import safejson
from coderemask.checkers import ScriptChecker
from coderemask.errors import CoderemaskError, ConfigError
from coderemask.evaluation.datasets import Task
from coderemask.evaluation.humaneval_tasks import eval_task, judge
from coderemask.evaluation.settings import get_setting, setting_config
from coderemask.repair import RepairConfig
from coderemask.results import Budget
from coderemask.tasks import run_task

SAMPLES_FILE = "samples.jsonl"
PLAN_FILE = "run.json"


class EvalError(CoderemaskError):
    """An evaluation cannot start or go on (bad plan, a log from a different plan, ...)."""


@dataclass(frozen=True)
class EvalPlan:
    """Everything that decides the samples of a run (and must match when resuming).

    settings: ablation setting names (``settings.SETTINGS``); budgets: max NFE values (one
    per point of a scaling curve); n: samples per task and setting and budget; ks: pass@k to
    report (each <= n); slots: masked slots for a body to write (an infill gap gets half).
    """

    set_name: str
    set_path: str
    mode: str
    feedback: str
    settings: tuple[str, ...]
    budgets: tuple[int, ...]
    n: int = 1
    ks: tuple[int, ...] = (1,)
    candidates: int = 4
    max_rounds: int = 8
    seconds_per_sample: float = 120.0
    seed: int = 0
    slots: int = 48
    limit: int | None = None
    subset: int | None = None
    """A seeded random subset of this many tasks (after ``limit``), kept in set order."""
    model: str = "embedded"
    device: str | None = None
    dtype: str | None = None
    judge_timeout: float = 10.0

    def __post_init__(self) -> None:
        for name in ("n", "candidates", "max_rounds", "slots"):
            if getattr(self, name) < 1:
                raise ConfigError(f"EvalPlan.{name}={getattr(self, name)!r}: must be >= 1")
        if self.seconds_per_sample <= 0:
            raise ConfigError(f"EvalPlan.seconds_per_sample={self.seconds_per_sample!r}: must be > 0")
        if not self.settings:
            raise ConfigError("EvalPlan.settings: name at least one setting")
        for name in self.settings:
            get_setting(name)
        if not self.budgets or any(b < 1 for b in self.budgets):
            raise ConfigError(f"EvalPlan.budgets={self.budgets!r}: give NFE budgets >= 1")
        for k in self.ks:
            if not 1 <= k <= self.n:
                raise ConfigError(f"pass@{k}: k must be in [1, n={self.n}]; draw more samples per task (--n)")
        for name in ("limit", "subset"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ConfigError(f"EvalPlan.{name}={getattr(self, name)!r}: must be >= 1")

    def base_config(self) -> RepairConfig:
        return RepairConfig(
            candidates=self.candidates,
            seed=self.seed,
            complete_slots=self.slots,
            budget=Budget(max_nfe=max(self.budgets), max_rounds=self.max_rounds, max_seconds=self.seconds_per_sample),
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["settings"], out["budgets"], out["ks"] = list(self.settings), list(self.budgets), list(self.ks)
        return out

    def identity(self) -> dict[str, Any]:
        """The fields a resumed run must share with the log (settings, budgets and ks may grow)."""
        d = self.to_dict()
        for name in ("settings", "budgets", "ks", "limit", "subset", "device", "judge_timeout", "set_name"):
            d.pop(name)
        return d


@dataclass(frozen=True)
class Job:
    """One sample to draw: a record under one setting and NFE budget, with its sample index."""

    setting: str
    max_nfe: int
    sample: int
    record: Mapping[str, Any] = field(repr=False)

    @property
    def task_id(self) -> str:
        return self.record["task_id"]

    @property
    def key(self) -> tuple[str, int, str, int]:
        return (self.setting, self.max_nfe, self.task_id, self.sample)


def sample_key(line: Mapping[str, Any]) -> tuple[str, int, str, int]:
    return (line["setting"], int(line["max_nfe"]), line["task_id"], int(line["sample"]))


def plan_jobs(plan: EvalPlan, tasks: Iterable[Task]) -> list[Job]:
    """Every sample of the plan: setting x budget x task x sample, in that nesting order."""
    chosen = list(tasks)[: plan.limit] if plan.limit else list(tasks)
    if plan.subset and plan.subset < len(chosen):
        keep = sorted(random.Random(plan.seed).sample(range(len(chosen)), plan.subset))
        chosen = [chosen[i] for i in keep]
    return [
        Job(setting, budget, s, dict(t.record))
        for setting in plan.settings
        for budget in plan.budgets
        for t in chosen
        for s in range(plan.n)
    ]


class SampleRunner:
    """Runs jobs with one loaded model (one per process or actor).

    check_workers: batch runners a task's script checker may use at once (None: one per core;
    the local backend gives each of N worker processes cores / N, so N tasks do not oversubscribe).
    """

    def __init__(self, plan: EvalPlan, model: Any, check_workers: int | None = None) -> None:
        self.plan, self.model = plan, model
        self.base = plan.base_config()
        self.check_workers = check_workers

    def __call__(self, job: Job) -> dict[str, Any]:
        plan = self.plan
        started = time.monotonic()
        line: dict[str, Any] = {
            "task_id": job.task_id,
            "setting": job.setting,
            "max_nfe": job.max_nfe,
            "sample": job.sample,
            "mode": plan.mode,
            "feedback": plan.feedback,
        }
        if "mutation" in job.record:
            line["mutation"] = job.record["mutation"]
        try:
            task = eval_task(dict(job.record), plan.mode, plan.feedback)  # type: ignore[arg-type]
            if isinstance(task.checker, ScriptChecker):
                task.checker.workers = self.check_workers
            config = setting_config(job.setting, self.base, job.max_nfe)
            slots = plan.slots if "suffix" not in job.record else max(1, plan.slots // 2)
            config = replace(config, complete_slots=slots, seed=plan.seed + job.sample)
            checker = task.checker if get_setting(job.setting).uses_tests else None
            done = run_task(replace(task, checker=checker), plan.mode, self.model, config)
            result, code = done.result, done.code
            passed = judge([task], [code], timeout=plan.judge_timeout)[0]
            line.update(
                passed=bool(passed),
                status=result.status,
                reason=result.reason,
                public_tests=checker is not None and bool(getattr(checker, "tests", ())),
                nfe=result.nfe,
                rounds=len(result.rounds),
                seconds=round(time.monotonic() - started, 3),
                code=code,
            )
        except Exception as exc:  # one broken sample is reported, not fatal to the run
            line.update(
                passed=False,
                status="error",
                reason=f"{type(exc).__name__}: {exc}",
                nfe=0,
                rounds=0,
                seconds=round(time.monotonic() - started, 3),
                code=None,
            )
        return line


class SampleLog:
    """The run folder: ``run.json`` (the plan) and ``samples.jsonl`` (one line per sample)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.samples_path = self.folder / SAMPLES_FILE
        self.plan_path = self.folder / PLAN_FILE

    def open_for(self, plan: EvalPlan) -> dict[tuple[str, int, str, int], dict[str, Any]]:
        """Create the folder or check it holds the same plan; returns the samples already done."""
        if self.folder.exists() and not self.folder.is_dir():
            raise EvalError(f"--out {str(self.folder)!r}: exists and is not a folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.plan_path.exists():
            try:
                old = json.loads(self.plan_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise EvalError(f"{self.plan_path}: unreadable ({exc}); use another --out") from None
            differs = {k: (old.get(k), v) for k, v in plan.identity().items() if old.get(k) != v}
            if differs:
                what = ", ".join(f"{k}: {a!r} there, {b!r} now" for k, a, b in ((k, *ab) for k, ab in differs.items()))
                raise EvalError(
                    f"{self.folder} holds a run with a different plan ({what}); use another --out to start a new run"
                )
        self.plan_path.write_text(json.dumps(plan.to_dict(), indent=2) + "\n", encoding="utf-8")
        self._end_torn_line()
        return {sample_key(line): line for line in self.read()}

    def read(self) -> Iterator[dict[str, Any]]:
        """The finished samples; a torn last line (a run killed mid-write) is skipped."""
        if not self.samples_path.exists():
            return
        with self.samples_path.open(encoding="utf-8") as fh:
            for raw in fh:
                try:
                    line = safejson.loads(raw)
                    sample_key(line)
                except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                    continue
                yield line

    def _end_torn_line(self) -> None:
        """A run killed mid-write leaves a line without its break; end it so appends stay lines."""
        if self.samples_path.exists() and self.samples_path.stat().st_size:
            with self.samples_path.open("rb+") as fh:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    fh.write(b"\n")

    def append(self, line: Mapping[str, Any]) -> None:
        with self.samples_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
