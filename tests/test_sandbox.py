"""The sandbox contains each misbehaviour within its limit, reports it as a value, and never
changes the user's files. Real subprocesses throughout; no fakes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from coderemask.signals.sandbox import (
    WORKSPACE_PREFIX,
    Candidate,
    Limits,
    Workspace,
    isolation,
    run,
    run_batch,
    run_python,
)

ISO = isolation()
needs_namespaces = pytest.mark.skipif(not ISO.namespaces, reason=f"no namespaces here: {ISO.describe()}")
needs_readonly = pytest.mark.skipif(not ISO.readonly_fs, reason=f"no read-only mounts here: {ISO.describe()}")
needs_process_limit = pytest.mark.skipif(
    not (ISO.drop_uid or ISO.namespaces), reason=f"no process limit here: {ISO.describe()}"
)
SANDBOX_UIDS = range(1_900_000_000, 2_000_000_000)


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root`` with its bytes and mtime."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()
    }


def sandbox_processes() -> list[int]:
    """Pids of live processes owned by a sandbox uid and started by this test process's own runs
    (their command line names one of its workspaces, ``coderemask-<our pid>-...``), so runs of
    other pytest-xdist workers do not count. Only meaningful when uids are dropped."""
    ours = f"{WORKSPACE_PREFIX}{os.getpid()}-"
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if ours not in cmdline:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields.get("Uid", "0").split()[0])
        if uid in SANDBOX_UIDS and not fields.get("State", "").strip().startswith("Z"):
            pids.append(int(entry))
    return pids


@pytest.fixture
def user_project(tmp_path: Path) -> Path:
    project = tmp_path / "user_project"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "mod.py").write_text("VALUE = 1\n")
    (project / "notes.txt").write_text("keep me\n")
    return project


def test_isolation_is_described() -> None:
    text = ISO.describe()
    assert "uid" in text and ("network" in text)


def test_plain_run_is_ok_and_captures_output() -> None:
    result = run_python("import sys\nprint('out')\nprint('err', file=sys.stderr)\n")
    assert result.status == "ok" and result.returncode == 0
    assert result.stdout == "out\n" and result.stderr == "err\n"
    assert not result.stdout_truncated and result.isolation == ISO.describe()


def test_infinite_loop_is_killed_at_the_wall_limit() -> None:
    result = run_python("while True:\n    pass\n", limits=Limits(wall_seconds=1.0))
    assert result.status == "timeout"
    assert 1.0 <= result.seconds < 4.0


def test_busy_loop_hits_the_cpu_limit() -> None:
    result = run_python("while True:\n    pass\n", limits=Limits(wall_seconds=20.0, cpu_seconds=1))
    assert result.status == "cpu_limit", result
    assert result.seconds < 15.0


def test_memory_bomb_gets_memory_error() -> None:
    bomb = "chunks = []\nwhile True:\n    chunks.append(bytearray(50_000_000))\n"
    result = run_python(bomb, limits=Limits(wall_seconds=20.0, memory_bytes=512 << 20))
    assert result.status == "memory", result
    assert "MemoryError" in result.stderr


@needs_process_limit
def test_fork_bomb_is_contained() -> None:
    # First prove the limit holds with a bounded number of forks (children exit on their own).
    bounded = (
        "import os, time\nmade = 0\n"
        "for _ in range(40):\n"
        "    try:\n        pid = os.fork()\n    except OSError:\n        continue\n"
        "    if pid == 0:\n        time.sleep(2)\n        os._exit(0)\n"
        "    made += 1\n"
        "print(made)\n"
    )
    result = run_python(bounded, limits=Limits(wall_seconds=10.0, processes=12))
    assert result.status == "ok", result
    assert 0 < int(result.stdout) < 12
    # Now the real thing: it must end at the wall limit and leave nothing behind.
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    result = run_python(bomb, limits=Limits(wall_seconds=1.5, processes=24))
    assert result.status == "timeout"
    assert result.seconds < 6.0
    if ISO.drop_uid:
        deadline = time.monotonic() + 5
        while sandbox_processes() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sandbox_processes() == []


@needs_namespaces
def test_setsid_escapee_dies_with_the_run() -> None:
    code = (
        "import os, sys, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    print(os.readlink('/proc/self'), flush=True)\n"  # the host pid: /proc is the host's
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "time.sleep(0.5)\n"
    )
    result = run_python(code, limits=Limits(wall_seconds=10.0))
    assert result.status == "ok"
    pid = int(result.stdout.split()[0])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
        except OSError:
            break  # gone
        if state == "Z":
            break  # dead, waiting to be reaped by init
        time.sleep(0.05)
    else:
        pytest.fail(f"escaped process {pid} still alive")


def test_writes_outside_the_workspace_do_not_reach_user_files(user_project: Path) -> None:
    before = snapshot(user_project)
    stray = Path("/tmp") / f"coderemask-escape-{uuid.uuid4().hex}"
    code = (
        "import pathlib, sys\n"
        "targets = [sys.argv[1] + '/notes.txt', sys.argv[1] + '/pkg/new.py', sys.argv[2]]\n"
        "for t in targets:\n"
        "    try:\n"
        "        pathlib.Path(t).write_text('pwned')\n"
        "        print('wrote', t)\n"
        "    except OSError as e:\n"
        "        print('blocked', t, e.strerror)\n"
        "pathlib.Path('notes.txt').write_text('the copy may change')\n"
        "print('copy', pathlib.Path('notes.txt').read_text())\n"
    )
    with Workspace(user_project) as ws:
        main = ws.write("main.py", code, base=ws.aux)
        result = run([sys.executable, str(main), str(user_project), str(stray)], workspace=ws)
        assert (ws.project / "notes.txt").read_text() == "the copy may change"
    assert result.status == "ok", result
    assert "copy the copy may change" in result.stdout
    assert snapshot(user_project) == before  # the user's project is untouched
    if ISO.readonly_fs:
        assert not stray.exists() and "Read-only file system" in result.stdout
    else:  # documented: world-writable places are writable without a mount namespace
        stray.unlink(missing_ok=True)


def test_sys_exit_and_os_exit_are_values() -> None:
    assert run_python("import sys\nsys.exit(0)\n").status == "ok"
    exited = run_python("import sys\nsys.exit(3)\n")
    assert (exited.status, exited.returncode) == ("failed", 3)
    hard = run_python("import os\nos._exit(4)\n")
    assert (hard.status, hard.returncode) == ("failed", 4)
    killed = run_python("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    assert killed.status == "crashed" and killed.signal == 9


def test_output_flood_is_capped_and_stopped() -> None:
    flood = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n"
    result = run_python(flood, limits=Limits(wall_seconds=20.0, output_bytes=4096, max_output_bytes=1 << 20))
    assert result.status == "output_limit"
    assert result.stdout_truncated and len(result.stdout) < 4096 + 200
    assert result.seconds < 10.0


def test_big_but_finite_output_keeps_head_and_tail() -> None:
    code = "print('HEAD')\nprint('y' * 3_000_000)\nprint('TAIL')\n"
    result = run_python(code, limits=Limits(output_bytes=1024))
    assert result.status == "ok" and result.stdout_truncated
    assert result.stdout.startswith("HEAD") and result.stdout.rstrip().endswith("TAIL")
    assert "bytes dropped by the sandbox" in result.stdout


def test_deep_recursion_is_a_value() -> None:
    plain = run_python("def f(n):\n    return f(n + 1)\nf(0)\n")
    assert plain.status == "failed" and "RecursionError" in plain.stderr
    c_stack = (
        "import sys\nsys.setrecursionlimit(10**7)\n"
        "class A:\n    def __repr__(self):\n        return repr(self)\n"
        "repr(A())\n"
    )
    crashed = run_python(c_stack, limits=Limits(wall_seconds=10.0))
    assert crashed.status == "crashed" and crashed.signal == 11, crashed


@needs_namespaces
def test_no_network() -> None:
    code = (
        "import socket\n"
        "s = socket.socket()\ns.settimeout(2)\n"
        "try:\n    s.connect(('1.1.1.1', 80))\n    print('connected')\n"
        "except OSError as e:\n    print('refused', e.errno)\n"
    )
    result = run_python(code)
    assert result.status == "ok" and result.stdout.startswith("refused")


def test_environment_is_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:1")
    monkeypatch.setenv("CODEREMASK_SECRET", "s3cret")
    code = "import json, os\nprint(json.dumps(dict(os.environ)))\n"
    with Workspace() as ws:
        main = ws.write("main.py", code, base=ws.aux)
        result = run([sys.executable, str(main)], workspace=ws)
        env = json.loads(result.stdout)
        assert env["HOME"] == str(ws.home) and env["TMPDIR"] == str(ws.tmp)
    assert "HTTPS_PROXY" not in env and "CODEREMASK_SECRET" not in env
    assert env["PYTHONHASHSEED"] == "0" and env["PYTHONDONTWRITEBYTECODE"] == "1"


def test_workspace_copies_skips_and_overlays(user_project: Path) -> None:
    (user_project / ".git").mkdir()
    (user_project / ".git" / "HEAD").write_text("ref\n")
    (user_project / "pkg" / "__pycache__").mkdir()
    (user_project / "env").mkdir()
    (user_project / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    before = snapshot(user_project)
    with Workspace(user_project, {"pkg/mod.py": "VALUE = 2\n", "pkg/extra.py": "X = 1\n"}) as ws:
        copied = {p.relative_to(ws.project).as_posix() for p in ws.project.rglob("*")}
        assert copied == {"pkg", "pkg/mod.py", "pkg/extra.py", "notes.txt"}
        assert (ws.project / "pkg" / "mod.py").read_text() == "VALUE = 2\n"
        root = ws.root
    assert not root.exists()
    assert snapshot(user_project) == before
    with pytest.raises(ValueError, match="inside the project"):
        Workspace(user_project, {"../evil.py": ""})


CANDIDATES = [
    Candidate("def add(a, b):\n    return a + b\n", "assert add(1, 2) == 3\n", "good"),
    Candidate("def add(a, b):\n    return a - b\n", "assert add(1, 2) == 3, 'wrong sum'\n", "bad"),
    Candidate("def add(a, b):\n    while True:\n        pass\n", "add(1, 2)\n", "hang"),
    Candidate("import os\nos._exit(0)\n", "pass\n", "os_exit"),
    Candidate("import sys\nsys.exit(0)\n", "pass\n", "sys_exit"),
    Candidate("def add(a, b)\n    return a + b\n", "pass\n", "syntax"),
    Candidate("x = bytearray(8 << 30)\n", "pass\n", "memory"),
    Candidate("def add(a, b):\n    return b + a\n", "assert add(2, 2) == 4\n", "good2"),
]


def test_batch_fork_mode_keeps_every_result() -> None:
    batch = run_batch(CANDIDATES, timeout=1.0, mode="fork")
    got = {r.name: r for r in batch.results}
    assert [r.index for r in batch.results] == list(range(len(CANDIDATES)))
    assert got["good"].passed and got["good2"].passed
    assert (got["bad"].status, got["bad"].exc_type, got["bad"].message) == ("failed", "AssertionError", "wrong sum")
    assert got["hang"].status == "timeout" and got["hang"].line in (2, 3)  # where it hung
    assert got["os_exit"].status == "crashed"
    assert (got["sys_exit"].status, got["sys_exit"].exc_type) == ("error", "SystemExit")
    assert (got["syntax"].status, got["syntax"].exc_type, got["syntax"].line) == ("error", "SyntaxError", 1)
    assert got["memory"].status == "memory"
    assert batch.restarts == 0


def test_batch_inline_mode_restarts_after_a_hang_or_a_dead_runner() -> None:
    swallow = Candidate(
        "import time\ndef add(a, b):\n    while True:\n        try:\n            time.sleep(5)\n"
        "        except BaseException:\n            pass\n",
        "add(1, 2)\n",
        "hang_swallowing_the_alarm",
    )
    cands = [CANDIDATES[0], swallow, CANDIDATES[1], CANDIDATES[3], CANDIDATES[7]]
    batch = run_batch(cands, timeout=0.5, mode="inline")
    statuses = [r.status for r in batch.results]
    assert statuses == ["passed", "timeout", "failed", "crashed", "passed"]
    assert batch.restarts == 2  # the hang and the os._exit each cost one runner, nothing else


def test_batch_of_nothing_and_bad_timeout() -> None:
    assert run_batch([]).results == ()
    with pytest.raises(ValueError, match="timeout=0"):
        run_batch(CANDIDATES[:1], timeout=0)
    with pytest.raises(ValueError, match=r"candidates\[0\].timeout=-1"):
        run_batch([replace(CANDIDATES[0], timeout=-1)])
    with pytest.raises(ValueError, match="after_timeout=0"):
        run_batch(CANDIDATES[:1], after_timeout=0)


def test_a_candidates_own_limit_replaces_the_batchs() -> None:
    """A hang with its own 0.3 s limit is stopped then, not at the batch's 20 s; the others keep 20 s."""
    slow = Candidate("import time\n", "time.sleep(0.6)\n", "slow_but_fine")
    hang = replace(CANDIDATES[2], timeout=0.3)
    batch = run_batch([hang, slow], timeout=20.0)
    assert [r.status for r in batch.results] == ["timeout", "passed"]
    assert batch.results[0].seconds < 2.0
    assert batch.seconds < 10.0


def test_after_a_timeout_the_same_codes_later_tests_get_the_short_limit() -> None:
    """Like the pytest plugin's AFTER_HANG_TIMEOUT: a code that hung once gets ``after_timeout``
    for its later tests; another code keeps its own limit."""
    loops = "def f(x):\n    while True:\n        pass\n"
    fine = "import time\ndef f(x):\n    time.sleep(0.5)\n    return x\n"
    cands = [Candidate(loops, f"f({i})\n", f"hang{i}", timeout=1.5) for i in range(3)]
    cands.append(Candidate(fine, "assert f(1) == 1\n", "other", timeout=1.5))
    batch = run_batch(cands, timeout=5.0, after_timeout=0.2)
    assert [r.status for r in batch.results] == ["timeout", "timeout", "timeout", "passed"]
    first, *later = (r.seconds for r in batch.results[:3])
    assert first >= 1.4 and all(s < 1.0 for s in later), (first, later)


# A process that makes a workspace, says where, and waits to be killed.
_HOLDER = (
    "import sys, time\nfrom coderemask.signals.sandbox import Workspace\n"
    "ws = Workspace(sys.argv[1])\nprint(ws.root, flush=True)\ntime.sleep(600)\n"
)


def _holder(project: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], Path]:
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(project)], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    return proc, Path(proc.stdout.readline().strip())


def test_a_killed_owners_workspace_is_removed_at_the_next_start_up(tmp_path: Path) -> None:
    """Issue 15, defect 12: a SIGKILLed coderemask leaves its workspace; the next run removes it
    once it is a minute old, and never touches a live owner's (or a fresh one)."""
    temp, project = tmp_path / "tmp", tmp_path / "project"
    temp.mkdir()
    project.mkdir()
    (project / "m.py").write_text("def f():\n    return 1\n")
    (project / "test_m.py").write_text("from m import f\n\n\ndef test_f():\n    assert f() == 1\n")
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    killed, stale = _holder(project, env)
    killed_recently, fresh = _holder(project, env)
    live, kept = _holder(project, env)
    try:
        for proc in (killed, killed_recently):
            proc.kill()
            proc.wait()
        assert stale.is_dir() and fresh.is_dir() and kept.is_dir()
        assert stale.name.startswith(f"coderemask-{killed.pid}-")
        hour_ago = time.time() - 3600
        for path in (stale, kept):
            os.utime(path, (hour_ago, hour_ago))
        done = subprocess.run(
            [sys.executable, "-m", "coderemask.frontends.cli", "locate", "m.py::f"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 1, done.stderr  # ran: nothing fails
        assert not stale.exists(), "a dead owner's workspace was left behind"
        assert fresh.is_dir() and kept.is_dir()  # too recent / its owner lives
        assert sorted(p.name.split("-")[1] for p in temp.iterdir()) == sorted([str(killed_recently.pid), str(live.pid)])
    finally:
        live.kill()
        live.wait()
