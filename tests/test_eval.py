"""Evaluation: pass@k, the ablation settings, tasks per mode, the resumable log, the summary, and
`coderemask eval` end to end (bad input, the embedded model, workers, resume, Ray)."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import OracleDenoiser

from coderemask.errors import ConfigError
from coderemask.evaluation.backends import worker_device
from coderemask.evaluation.datasets import parse_tasks
from coderemask.evaluation.humaneval_tasks import eval_task, judge
from coderemask.evaluation.passk import mean_pass_at_k, pass_at_k
from coderemask.evaluation.report import markdown, scaling_csv, summarize
from coderemask.evaluation.runner import EvalError, EvalPlan, Job, SampleLog, SampleRunner, plan_jobs
from coderemask.evaluation.settings import ABLATION, SETTINGS, setting_config
from coderemask.policy import Policy, policy_config
from coderemask.repair import RepairConfig
from coderemask.sampler import SamplerConfig
from coderemask.types import Evidence, Span

REPO = Path(__file__).resolve().parents[1]

ADD = {
    "task_id": "T/add",
    "prompt": 'def add(a, b):\n    """Sum of a and b.\n\n    >>> add(2, 3)\n    5\n    """\n',
    "entry_point": "add",
    "canonical_solution": "    return a + b\n",
    "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n",
    "buggy_solution": "    return a - b\n",
    "mutation": "op_swap",
}
NEG = {
    "task_id": "T/neg",
    "prompt": 'def neg(x):\n    """Minus x.\n\n    >>> neg(4)\n    -4\n    """\n',
    "entry_point": "neg",
    "canonical_solution": "    return -x\n",
    "test": "def check(candidate):\n    assert candidate(4) == -4\n    assert candidate(0) == 0\n",
    "buggy_solution": "    return x\n",
    "mutation": "wrong_return",
}


# ------------------------------------------------------------------------------- pass@k


@pytest.mark.parametrize("n,c,k", [(n, c, k) for n in range(1, 7) for c in range(n + 1) for k in range(1, n + 1)])
def test_pass_at_k_equals_the_share_of_k_subsets_holding_a_pass(n: int, c: int, k: int) -> None:
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    exact = sum(any(samples[i] for i in s) for s in subsets) / len(subsets)
    assert pass_at_k(n, c, k) == pytest.approx(exact, abs=1e-12)


@pytest.mark.parametrize("n,c,k", [(3, 1, 4), (3, 1, 0), (2, 3, 1), (0, 0, 1)])
def test_pass_at_k_refuses_impossible_counts(n: int, c: int, k: int) -> None:
    with pytest.raises(ConfigError):
        pass_at_k(n, c, k)


def test_mean_pass_at_k_averages_tasks() -> None:
    assert mean_pass_at_k([(2, 2), (2, 0)], 1) == pytest.approx(0.5)
    assert mean_pass_at_k([], 1) == 0.0


# ------------------------------------------------------------------------------- settings


def test_each_ablation_setting_changes_the_base_config_as_documented() -> None:
    base = RepairConfig()
    standard, remask, scaling, combined = (setting_config(name, base, 64) for name in ABLATION)
    assert ABLATION == ("standard", "remask", "scaling", "combined")
    assert (standard.budget.max_rounds, standard.sampler.remask, standard.first_plan) == (1, "none", "whole")
    assert (remask.sampler.remask, remask.policy, remask.first_plan) == ("conf", "confidence", "whole")
    assert (scaling.policy, scaling.sampler.remask, scaling.search) == ("whole", "none", None)
    assert combined.search == base.search is not None  # edits chosen by evidence: combined only
    assert combined == setting_config("combined", base, 64) and combined.policy == base.policy
    assert {c.budget.max_nfe for c in (standard, remask, scaling, combined)} == {64}
    assert [SETTINGS[n].uses_tests for n in ABLATION] == [False, False, True, True]


def test_the_whole_policy_resamples_the_region_whenever_anything_is_accused() -> None:
    code = "def f(a):\n    b = a + 1\n    return b\n"
    region = Span(10, len(code))
    ev = [Evidence("tests", Span(code.index("a + 1"), code.index("a + 1") + 5), 1.0)]
    snap = lambda c, s: [s]  # noqa: E731
    whole = Policy(policy_config("whole"), snap=snap, count_tokens=len).plan(code, region, ev)
    spans = Policy(policy_config("combined"), snap=snap, count_tokens=len).plan(code, region, ev)
    assert whole is not None and whole.whole and [s.span for s in whole.spans] == [region]
    assert spans is not None and not spans.whole
    assert Policy(policy_config("whole"), snap=snap, count_tokens=len).plan(code, region, []) is None


@pytest.mark.parametrize(
    "requested,index,gpus,device",
    [
        (None, 3, 2, "cuda:1"),
        ("cuda", 0, 4, "cuda:0"),
        ("cuda:2", 1, 4, "cuda:2"),
        ("cpu", 1, 4, "cpu"),
        (None, 1, 0, None),
        ("cuda", 1, 1, "cuda"),
    ],
)
def test_local_workers_spread_over_the_gpus(requested, index, gpus, device) -> None:
    assert worker_device(requested, index, gpus) == device


def test_first_plan_must_be_known() -> None:
    with pytest.raises(ConfigError, match="first_plan"):
        RepairConfig(first_plan="sideways")


# ------------------------------------------------------------------------------- tasks per mode


def _function(record: dict, body: str) -> str:
    return record["prompt"] + body


def test_repair_and_complete_tasks_start_from_the_right_body() -> None:
    fix = eval_task(ADD, "repair")
    assert fix.problem.code == _function(ADD, ADD["buggy_solution"])
    assert len(fix.checker.tests) == 1  # public: the docstring's example only
    assert len(eval_task(ADD, "repair", "full").checker.tests) == 3  # + one per assert of check
    assert fix.checker.original == fix.problem.code  # the buggy code's run calibrates the time limits
    write = eval_task(ADD, "complete")
    assert write.checker is None or write.checker.original is None  # a stub has nothing to time
    assert write.problem.code[write.problem.region.start : write.problem.region.end].strip() == "pass"
    assert judge([write, write], [_function(ADD, ADD["canonical_solution"]), write.problem.code]) == [True, False]
    with pytest.raises(ConfigError, match="--feedback full is for --mode repair"):
        eval_task(ADD, "complete", "full")
    with pytest.raises(ConfigError, match="buggy_solution"):
        eval_task({k: v for k, v in ADD.items() if k != "buggy_solution"}, "repair")


def test_an_infilling_record_edits_only_the_gap() -> None:
    record = {
        "task_id": "I/0",
        "entry_point": "add",
        "prompt": ADD["prompt"] + "    s = a\n",
        "suffix": "    return s\n",
        "canonical_solution": "    s = s + b\n",
        "test": ADD["test"],
    }
    task = eval_task(record, "complete")
    p = task.problem
    assert p.code[: p.region.start] == record["prompt"] and p.code[p.region.end :] == "\n" + record["suffix"]
    fixed = p.code[: p.region.start] + record["canonical_solution"].rstrip("\n") + p.code[p.region.end :]
    assert judge([task, task], [fixed, p.code]) == [True, False]


def test_the_shipped_infilling_set_loads_and_its_canonical_gaps_pass() -> None:
    path = REPO.parent / "shared" / "data" / "HumanEval-SingleLineInfilling.jsonl.gz"
    if not path.exists():
        pytest.skip(f"{path} is not here")
    lines = gzip.open(path, "rt").read().splitlines()[::200]  # a spread of the 1033 records
    tasks = [eval_task(json.loads(line), "complete") for line in lines]
    codes = [
        t.problem.code[: t.problem.region.start]
        + json.loads(line)["canonical_solution"].rstrip("\n")
        + t.problem.code[t.problem.region.end :]
        for t, line in zip(tasks, lines)
    ]
    assert all(judge(tasks, codes))


# ------------------------------------------------------------------------------- runner with an oracle


def _plan(**kw) -> EvalPlan:
    kw = {
        "set_name": "mini",
        "set_path": "mini.jsonl",
        "mode": "repair",
        "feedback": "public",
        "settings": ABLATION,
        "budgets": (64,),
        "candidates": 2,
        "max_rounds": 4,
        **kw,
    }
    return EvalPlan(**kw)


@pytest.mark.parametrize("setting", ABLATION)
def test_a_sample_under_each_setting_follows_its_recipe(setting: str) -> None:
    plan = _plan()
    runner = SampleRunner(plan, OracleDenoiser(_function(ADD, ADD["canonical_solution"])))
    runner.base = RepairConfig(
        sampler=SamplerConfig(unmask="confidence", temperature=0.0), candidates=2, budget=runner.base.budget
    )
    line = runner(Job(setting, 64, 0, ADD))
    assert line["passed"] is True, line  # the hidden check decides
    assert line["code"] == _function(ADD, ADD["canonical_solution"])
    assert line["public_tests"] is SETTINGS[setting].uses_tests
    assert line["mutation"] == "op_swap" and 0 < line["nfe"] <= 64
    if setting == "standard":
        assert line["rounds"] == 1


def test_a_sample_runners_check_workers_reach_the_tasks_script_checker(monkeypatch) -> None:
    """The local backend gives each of N worker processes cores / N batch runners."""
    import coderemask.checkers as checkers

    seen: list[int | None] = []
    real = checkers.ScriptChecker.check

    def spy(self, codes):
        seen.append(self.workers)
        return real(self, codes)

    monkeypatch.setattr(checkers.ScriptChecker, "check", spy)
    runner = SampleRunner(_plan(), OracleDenoiser(_function(ADD, ADD["canonical_solution"])), check_workers=1)
    assert runner(Job("combined", 64, 0, ADD))["passed"] is True
    assert seen and set(seen) == {1}


def test_a_broken_sample_is_logged_as_an_error_not_raised() -> None:
    plan = _plan(settings=("combined",))
    line = SampleRunner(plan, object())(Job("combined", 64, 0, ADD))
    assert line["status"] == "error" and line["passed"] is False and "AttributeError" in line["reason"]


def test_plan_checks_k_against_n_and_names_settings() -> None:
    with pytest.raises(ConfigError, match=r"pass@3: k must be in \[1, n=2\]"):
        _plan(n=2, ks=(1, 3))
    with pytest.raises(ConfigError, match="setting 'fast' is unknown"):
        _plan(settings=("fast",))
    tasks = parse_tasks([json.dumps(ADD), json.dumps(NEG)], "mini")
    jobs = plan_jobs(_plan(n=2, budgets=(16, 32), limit=1), tasks)
    assert len(jobs) == 4 * 2 * 1 * 2 and {j.task_id for j in jobs} == {"T/add"}


def test_a_subset_is_seeded_spread_over_the_set_and_kept_in_order() -> None:
    records = [dict(ADD, task_id=f"T/{i}") for i in range(50)]
    tasks = parse_tasks([json.dumps(r) for r in records], "many")

    def chosen(**kw) -> list[str]:
        return [j.task_id for j in plan_jobs(_plan(settings=("combined",), **kw), tasks)]

    picked = chosen(subset=10)
    assert len(picked) == 10 and picked == sorted(picked, key=lambda t: int(t[2:]))
    assert picked == chosen(subset=10) and picked != chosen(subset=10, seed=1)
    assert int(picked[-1][2:]) >= 10  # not simply the first ten
    assert set(chosen(subset=3, limit=5)) <= {f"T/{i}" for i in range(5)}
    assert len(chosen(subset=99)) == 50
    with pytest.raises(ConfigError, match="subset=0"):
        _plan(subset=0)


def test_the_log_resumes_skips_a_torn_line_and_refuses_another_plan(tmp_path: Path) -> None:
    log = SampleLog(tmp_path / "run")
    plan = _plan(settings=("combined",))
    assert log.open_for(plan) == {}
    done = {"task_id": "T/add", "setting": "combined", "max_nfe": 64, "sample": 0, "passed": True}
    log.append(done)
    with log.samples_path.open("a") as fh:
        fh.write('{"task_id": "T/neg", "setting": "comb')  # killed mid-write
    assert list(log.open_for(plan)) == [("combined", 64, "T/add", 0)]
    log.append({**done, "task_id": "T/neg"})
    assert [line["task_id"] for line in log.read()] == ["T/add", "T/neg"]
    with pytest.raises(EvalError, match="different plan.*candidates: 2 there, 8 now"):
        log.open_for(_plan(settings=("combined",), candidates=8))


def test_summary_counts_pass_at_k_solved_and_mutations() -> None:
    plan = _plan(settings=("standard", "combined"), n=2, ks=(1, 2))

    def line(setting: str, task: str, sample: int, passed: bool, status: str, nfe: int) -> dict:
        return {
            "setting": setting,
            "max_nfe": 64,
            "task_id": task,
            "sample": sample,
            "passed": passed,
            "status": status,
            "nfe": nfe,
            "seconds": 1.0,
            "mutation": task.split("/")[1],
        }

    lines = [
        line("combined", "T/add", 0, True, "solved", 10),
        line("combined", "T/add", 1, False, "gave_up", 64),
        line("combined", "T/neg", 0, False, "gave_up", 64),
        line("combined", "T/neg", 1, False, "error", 0),
        line("standard", "T/add", 0, False, "solved", 20),
        line("standard", "T/add", 1, False, "solved", 20),
    ]
    summary = summarize(plan, lines)
    standard, combined = summary["rows"]
    assert (combined["pass@1"], combined["pass@2"], combined["solved"], combined["errors"]) == (0.25, 0.5, 0.25, 1)
    assert (combined["nfe_mean"], combined["nfe_median"]) == (34.5, 37.0)
    assert (standard["tasks"], standard["pass@1"], standard["solved"]) == (1, 0.0, 1.0)
    assert summary["by_mutation"]["add"] == {
        "combined": {"passed": 1, "samples": 2},
        "standard": {"passed": 0, "samples": 2},
    }
    table = markdown(summary)
    assert "| combined | 64 | 2 | 0.250 | 0.500 | 0.250 |" in table and "| add | 0/2 | 1/2 |" in table
    assert scaling_csv(summary).splitlines()[2] == "combined,64,0.25,0.25,34.5,1.0,2"


# ------------------------------------------------------------------------------- the CLI


def _cli(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coderemask.frontends.cli", "eval", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )


def _write(path: Path, *records: dict | str) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


BAD_INPUT = [  # (file lines, extra flags, words the message must hold)
    ([{**ADD, "test": 5}], [], ["line 1 (T/add)", "field 'test' must be a string, got int"]),
    ([{k: v for k, v in ADD.items() if k != "entry_point"}], [], ["line 1 (T/add)", "missing field 'entry_point'"]),
    ([ADD, {**NEG, "test": "def verify(candidate):\n    pass\n"}], [], ["line 2 (T/neg)", "does not define check"]),
    ([{**ADD, "entry_point": "plus"}], [], ["line 1 (T/add)", "does not define the entry point 'plus'"]),
    ([ADD], ["--n", "2", "--k", "1,5"], ["--k 5: larger than --n 2"]),
    (
        [{k: v for k, v in ADD.items() if k != "buggy_solution"}],
        ["--mode", "repair"],
        ["line 1 (T/add)", "missing field 'buggy_solution'"],
    ),
    ([ADD], ["--feedback", "full"], ["--feedback full is for --mode repair"]),
    ([ADD], ["--settings", "combined,fast"], ["setting 'fast' is unknown"]),
    (["{not json"], [], ["line 1", "not valid JSON"]),
]


@pytest.mark.parametrize("records,flags,words", BAD_INPUT)
def test_bad_input_is_named_with_exit_code_2(tmp_path: Path, records, flags, words) -> None:
    records = [{k: v for k, v in r.items() if v is not None} if isinstance(r, dict) else r for r in records]
    path = _write(tmp_path / "set.jsonl", *records)
    proc = _cli(str(path), *flags, "--out", str(tmp_path / "run"))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in proc.stderr, proc.stderr
    assert not (tmp_path / "run" / "samples.jsonl").exists()


@pytest.mark.slow
def test_ablation_on_the_embedded_model_writes_the_table_and_resumes(tmp_path: Path) -> None:
    path = _write(tmp_path / "mini.jsonl", ADD, NEG)
    flags = [
        str(path),
        "--mode",
        "repair",
        "--ablation",
        "--max-nfe",
        "8",
        "--max-rounds",
        "2",
        "--candidates",
        "1",
        "--out",
        str(tmp_path / "run"),
    ]
    first = _cli(*flags)
    assert first.returncode == 0, first.stderr
    lines = [json.loads(x) for x in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert sorted((x["setting"], x["task_id"]) for x in lines) == sorted(
        (s, t) for s in ABLATION for t in ("T/add", "T/neg")
    )
    assert all(x["nfe"] <= 8 and x["status"] in ("solved", "gave_up") for x in lines)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert [r["setting"] for r in summary["rows"]] == list(ABLATION)
    for row in summary["rows"]:  # the table is computed from the log, not made up
        mine = [x for x in lines if x["setting"] == row["setting"]]
        assert row["pass@1"] == sum(x["passed"] for x in mine) / 2
    assert "| setting | max NFE |" in first.stdout and "| mutation |" in first.stdout
    again = _cli(*flags)  # resume: nothing left to run
    assert again.returncode == 0 and "8 samples (8 already in" in again.stderr
    assert len((tmp_path / "run" / "samples.jsonl").read_text().splitlines()) == 8


@pytest.mark.slow
def test_scaling_with_two_workers_writes_csv_and_plot(tmp_path: Path) -> None:
    path = _write(tmp_path / "mini.jsonl", ADD, NEG)
    proc = _cli(
        str(path),
        "--mode",
        "complete",
        "--scaling",
        "4,8",
        "--workers",
        "2",
        "--candidates",
        "1",
        "--max-rounds",
        "2",
        "--out",
        str(tmp_path / "run"),
    )
    assert proc.returncode == 0, proc.stderr
    rows = (tmp_path / "run" / "scaling.csv").read_text().splitlines()
    assert rows[0].startswith("setting,max_nfe,pass@1") and [r.split(",")[:2] for r in rows[1:]] == [
        ["combined", "4"],
        ["combined", "8"],
    ]
    assert (tmp_path / "run" / "scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len((tmp_path / "run" / "samples.jsonl").read_text().splitlines()) == 4


@pytest.mark.slow
def test_the_ray_backend_runs_on_a_local_instance(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    path = _write(tmp_path / "mini.jsonl", ADD, NEG)
    proc = _cli(
        str(path),
        "--mode",
        "repair",
        "--backend",
        "ray",
        "--address",
        "local",
        "--workers",
        "2",
        "--max-nfe",
        "4",
        "--candidates",
        "1",
        "--max-rounds",
        "1",
        "--out",
        str(tmp_path / "run"),
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert sorted(x["task_id"] for x in lines) == ["T/add", "T/neg"] and all(x["status"] != "error" for x in lines)
