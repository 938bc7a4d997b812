"""Run candidate code in a contained subprocess: one command, or a batch of candidates.

Every run gets a fresh temp copy of the project (a ``Workspace``: ``.git``, ``__pycache__`` and
virtual environments skipped, changed files overlaid) and a fresh process started with
``subprocess.Popen`` in its own session; the caller's files and interpreter state are never used.
Failures of the candidate are values (``SandboxResult.status``), never exceptions.

What is contained (measured on the development machine: Linux 6.18, running as root, util-linux
2.38 ``unshare``/``setpriv``/``prlimit``; ``isolation().describe()`` says what the current
machine gives, and ``tests/test_sandbox.py`` checks each point with real subprocesses):

- time: the whole process group gets SIGKILL at the wall-time limit, and RLIMIT_CPU stops
  busy loops; descendants that call ``setsid`` die with the pid namespace (see below);
- memory: RLIMIT_AS per process (a memory bomb gets ``MemoryError``); core dumps are off;
- processes: per-sandbox limit on tasks (threads count). RLIMIT_NPROC is not enforced for
  root, so as root the command runs as a fresh random unprivileged uid (``setpriv``), keeping
  only CAP_DAC_READ_SEARCH when the interpreter is not world-readable (here it lives under
  ``/root``); the limit is set inside the namespaces so concurrent sandboxes do not share it;
- files: the workspace is the only writable place: in a private mount namespace every other
  mount (``/``, ``/tmp``, ``/dev/shm``...) is remounted read-only; RLIMIT_FSIZE caps file size
  and RLIMIT_NOFILE open files; ``HOME`` and ``TMPDIR`` point into the workspace;
- network: a private network namespace with no interfaces up (``unshare --net``);
- output: stdout and stderr are read as they come, keeping a head and a tail of each up to a
  cap; a flood past ``Limits.max_output_bytes`` kills the run (``status="output_limit"``);
- environment: rebuilt from scratch (minimal PATH, HOME/TMPDIR in the workspace,
  PYTHONDONTWRITEBYTECODE, PYTHONHASHSEED=0, one BLAS thread, no proxy or user variables).

What is not contained:

- reading: the candidate can read every file its uid (plus CAP_DAC_READ_SEARCH when kept) can
  read, including the original project; it sees the host's ``/proc`` (not its processes' pids);
- total memory is bounded only by processes x RLIMIT_AS (no memory cgroup is used: cgroups here
  belong to the machine's supervisor); CPU time of a fork bomb is bounded by the wall limit;
- the caller's death: if the calling process is SIGKILLed, a running sandbox is not killed with
  it (a busy one stops at its CPU limit, a sleeping one lingers until its pid 1 is killed);
- results: helper files and results live inside the workspace, so a candidate can forge them;
  in a batch's ``inline`` mode candidates share one interpreter and can disturb each other;
- the kernel itself: this is isolation by rlimits and namespaces, not a VM or seccomp filter.

Cost, measured here (2 busy cores): the namespaces, mounts and uid switch add about 30 ms to
each process start (sandboxed ``/bin/true``: 28 ms, plain: 1 ms); a workspace copy of a small
project about 15-20 ms. ``benchmarks/sandbox_throughput.py`` measures batches.

Where the OS gives less, ``isolation()`` falls back, once per process, and says so in ``notes``:
without ``unshare`` (or user namespaces, when not root) there is no network isolation, no
read-only filesystem (a non-root candidate can then write anything its user can) and
``setsid`` escapees outlive the run; without root or ``setpriv`` there is no process limit.

Batches: ``run_batch`` starts one interpreter for many candidates (``_batch_runner.py``); each
candidate runs in a forked child (``mode="fork"``) or a fresh namespace dict in the runner itself
(``mode="inline"``). If the runner hangs or dies on candidate k, k is recorded as timeout or
crashed and a new runner resumes at k+1, so the other results are kept.

This module does not know pytest, coverage, tree-sitter or what a candidate is meant to do.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import selectors
import shutil
import signal
import site
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Literal, get_args

Status = Literal["ok", "failed", "timeout", "cpu_limit", "memory", "output_limit", "crashed", "error"]
CandidateStatus = Literal["passed", "failed", "error", "timeout", "memory", "crashed"]

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "node_modules",
        ".eggs",
    }
)
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
_SETUP_FAILED = 125  # exit code of the wrapper script when the sandbox itself could not be set up
_MARK = "coderemask-sandbox:"
_TICK = 0.05  # seconds between checks of a moving deadline
_HELPERS = Path(__file__).resolve().parent
# Modules that HumanEval-style candidates often import: the batch runner imports them once.
PRELOAD = (
    "typing",
    "math",
    "re",
    "collections",
    "itertools",
    "functools",
    "string",
    "heapq",
    "bisect",
    "hashlib",
    "fractions",
    "statistics",
    "random",
)
_MEMORY_WORDS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")

# Runs inside the namespaces as pid 1: make the workspace the only writable mount, enter the
# project copy, then run the command as a child (so pid 1 outlives it and its death kills all).
_WRAPPER = r"""
w=$1 ro=$2 n=$3 u=$4 cap=$5; shift 5
fail() { echo "coderemask-sandbox: $*" >&2; exit 125; }
if [ "$ro" = 1 ]; then
  mount --bind "$w" "$w" || fail "cannot bind-mount $w"
  while read -r _ _ _ _ mp opts _; do
    case $mp in *\\*) mp=$(printf '%b' "$mp");; esac
    case $mp in "$w"|/proc|/proc/*|/sys|/sys/*|/dev|/dev/pts) continue;; esac
    case $opts in rw|rw,*) mount -o remount,bind,ro "$mp" || fail "cannot make $mp read-only";; esac
  done < /proc/self/mountinfo
fi
cd "$w/project" || fail "cannot enter $w/project"
if [ "$u" = - ]; then
  prlimit --nproc="$n:$n" -- "$@"
else
  prlimit --nproc="$n:$n" -- setpriv --reuid="$u" --regid="$u" --clear-groups \
    --inh-caps="-all$cap" --ambient-caps="-all$cap" -- "$@"
fi
exit $?
"""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run (per process where the OS counts per process)."""

    wall_seconds: float = 30.0
    cpu_seconds: float | None = None  # None: wall_seconds + 1
    memory_bytes: int = 1 << 30  # RLIMIT_AS, per process
    processes: int = 32  # tasks (processes and threads) in the sandbox
    file_bytes: int = 64 << 20  # RLIMIT_FSIZE
    open_files: int = 256  # RLIMIT_NOFILE
    output_bytes: int = 64 << 10  # kept per stream (head and tail)
    max_output_bytes: int = 32 << 20  # read per stream before the run is killed

    def __post_init__(self) -> None:
        for name in (
            "wall_seconds",
            "memory_bytes",
            "processes",
            "file_bytes",
            "open_files",
            "output_bytes",
            "max_output_bytes",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name}={getattr(self, name)!r}: must be positive")

    @property
    def cpu(self) -> int:
        """CPU-seconds soft limit (the hard limit is one more)."""
        return max(1, int(self.cpu_seconds if self.cpu_seconds is not None else self.wall_seconds + 1))


@dataclass(frozen=True)
class Isolation:
    """What this machine lets the sandbox do; found once per process by ``isolation()``."""

    namespaces: bool  # own mount, network and pid namespaces
    readonly_fs: bool  # every mount but the workspace read-only
    drop_uid: bool  # run as a fresh unprivileged uid (the caller is root)
    read_cap: bool  # keep CAP_DAC_READ_SEARCH so that uid can read the interpreter
    notes: tuple[str, ...] = ()  # why stronger settings were not used

    def describe(self) -> str:
        parts = []
        if self.drop_uid:
            parts.append("fresh unprivileged uid" + (" (+CAP_DAC_READ_SEARCH)" if self.read_cap else ""))
        else:
            parts.append("caller's uid")
        if self.namespaces:
            parts.append("no network, own pid namespace")
        else:
            parts.append("network open, setsid escapees survive")
        parts.append(
            "read-only filesystem outside the workspace"
            if self.readonly_fs
            else "filesystem writable where the uid may write"
        )
        if not (self.drop_uid or self.namespaces):
            parts.append("no process limit")
        return "; ".join(parts) + "".join(f" [{note}]" for note in self.notes)


@dataclass(frozen=True)
class SandboxResult:
    """How one sandboxed command ended. ``stdout``/``stderr`` are capped (head + tail)."""

    status: Status
    returncode: int | None
    signal: int | None
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    seconds: float
    isolation: str
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# ---------------------------------------------------------------------------------- isolation


def _tool(name: str) -> str | None:
    return shutil.which(name, path=SYSTEM_PATH)


def _world_readable(path: Path) -> bool:
    """True when any uid can reach ``path`` (every parent searchable, the path readable)."""
    try:
        path = path.resolve()
        for parent in path.parents:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
        return bool(os.stat(path).st_mode & stat.S_IROTH)
    except OSError:
        return False


def _interpreter_paths() -> list[Path]:
    paths = [Path(sys.executable), Path(sys.base_prefix) / "lib"]
    paths += [Path(p) for p in site.getsitepackages() if os.path.isdir(p)]
    return paths


@functools.cache
def isolation() -> Isolation:
    """Probe, once per process, the strongest isolation that runs Python here."""
    root = os.geteuid() == 0
    have = {name: _tool(name) is not None for name in ("unshare", "prlimit", "mount", "setpriv")}
    read_cap = root and not all(_world_readable(p) for p in _interpreter_paths())
    tiers: list[Isolation] = []
    if have["unshare"] and have["prlimit"] and (have["setpriv"] or not root):
        if have["mount"]:
            tiers.append(Isolation(True, True, root, read_cap))
        tiers.append(Isolation(True, False, root, read_cap))
    if root and have["setpriv"]:
        tiers.append(Isolation(False, False, True, read_cap))
    notes = [f"no {name}" for name, ok in have.items() if not ok]
    for tier in tiers:
        with Workspace(using=tier) as ws:
            result = run([sys.executable, "-S", "-c", "pass"], workspace=ws, limits=Limits(wall_seconds=20.0))
        if result.ok:
            return replace(tier, notes=tuple(notes))
        notes.append(f"{tier.describe()} failed: {(result.message or result.stderr).strip()[-200:]}")
    return Isolation(False, False, False, False, tuple(notes))


# ---------------------------------------------------------------------------------- workspace


def _safe_relpath(relpath: str) -> Path:
    path = Path(relpath)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"overlay path {relpath!r} must be relative and stay inside the project")
    return path


def ignored_names(directory: str, names: list[str]) -> set[str]:
    """Names that ``copytree`` skips: VCS, caches, virtual environments and coderemask's own
    sandbox workspaces (a project under the temp folder must not copy them, or itself)."""
    return {
        name
        for name in names
        if name in SKIP_DIRS
        or os.path.isfile(os.path.join(directory, name, "pyvenv.cfg"))
        or name.startswith(WORKSPACE_PREFIX)
        and os.path.isdir(os.path.join(directory, name, "project"))
    }


def _rmtree(path: Path) -> None:
    """Remove a tree the candidate may have left unreadable (chmod 000 and the like)."""

    def fix(func: Callable[..., object], target: str, _exc: object) -> None:
        try:
            os.chmod(os.path.dirname(target), 0o700)
            os.chmod(target, 0o700)
            func(target)
        except OSError:
            pass

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=fix)
    else:
        shutil.rmtree(path, onerror=fix)


WORKSPACE_PREFIX = "coderemask-"
STALE_AFTER = 60.0  # seconds: a dead owner's workspace younger than this is left alone


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def remove_stale_workspaces(
    folder: str | os.PathLike[str] | None = None, *, older_than: float = STALE_AFTER
) -> list[Path]:
    """Remove the workspaces of dead owners in ``folder`` (default: the temp folder); returns them.

    A workspace is named ``coderemask-PID-...`` after the process that made it. It is removed
    when that process no longer exists and the folder was last changed more than ``older_than``
    seconds ago (a killed coderemask cannot clean up after itself); a live owner's never is.
    """
    removed = []
    for path in Path(folder or tempfile.gettempdir()).glob(f"{WORKSPACE_PREFIX}*-*"):
        pid = path.name[len(WORKSPACE_PREFIX) :].split("-", 1)[0]
        try:
            stale = pid.isdigit() and time.time() - path.lstat().st_mtime > older_than and not _alive(int(pid))
        except OSError:
            continue
        if stale and path.is_dir() and not path.is_symlink():
            _rmtree(path)
            removed.append(path)
    return removed


@functools.cache
def _clean_once() -> None:
    """Start-up housekeeping, once per process: the first workspace removes stale ones."""
    remove_stale_workspaces()


class Workspace:
    """A temp dir for one sandbox: ``project/`` (the copy), ``home/``, ``tmp/`` and ``aux/``.

    Its name carries the owner's pid (``coderemask-PID-...``), so that a later process can remove
    it when the owner was killed (``remove_stale_workspaces``, run by the first workspace of
    each process).

    ``aux/`` holds helper scripts and result files; the candidate can write there too (it is
    inside the workspace), so results are evidence, not proof. Use as a context manager.
    """

    def __init__(
        self,
        project_dir: str | os.PathLike[str] | None = None,
        overlay: Mapping[str, str] | None = None,
        *,
        using: Isolation | None = None,
    ) -> None:
        self.isolation = using if using is not None else isolation()
        self.uid: int | None = 1_900_000_000 + secrets.randbelow(100_000_000) if self.isolation.drop_uid else None
        self.source = Path(project_dir).resolve() if project_dir is not None else None
        self._handed = False
        _clean_once()
        self.root = Path(tempfile.mkdtemp(prefix=f"{WORKSPACE_PREFIX}{os.getpid()}-")).resolve()
        self.project = self.root / "project"
        self.home, self.tmp, self.aux = self.root / "home", self.root / "tmp", self.root / "aux"
        try:
            if self.source is not None:
                shutil.copytree(self.source, self.project, symlinks=True, ignore=ignored_names)
            else:
                self.project.mkdir()
            for directory in (self.home, self.tmp, self.aux):
                directory.mkdir()
            for relpath, text in (overlay or {}).items():
                self.write(relpath, text)
        except BaseException:
            _rmtree(self.root)
            raise

    def write(self, relpath: str, text: str, *, base: Path | None = None) -> Path:
        """Write ``text`` to ``relpath`` under the project copy (or ``base``), creating parents."""
        target = (base or self.project) / _safe_relpath(relpath)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        if self._handed and self.uid is not None:
            os.lchown(target, self.uid, self.uid)
        return target

    def add_helper(self, name: str) -> Path:
        """Copy one of this package's helper scripts (``_batch_runner.py``...) into ``aux/``."""
        target = self.aux / name
        shutil.copyfile(_HELPERS / name, target)
        return target

    def hand_over(self) -> None:
        """Give the whole workspace to the sandbox uid (call after the last write, before run)."""
        if self.uid is None or self._handed:
            return
        self._handed = True
        for directory, dirnames, filenames in os.walk(self.root):
            os.lchown(directory, self.uid, self.uid)
            for name in dirnames + filenames:
                os.lchown(os.path.join(directory, name), self.uid, self.uid)

    def cleanup(self) -> None:
        _rmtree(self.root)

    def __enter__(self) -> Workspace:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup()


# ---------------------------------------------------------------------------------- running


class _Capped:
    """Keeps the first and last ``cap // 2`` bytes of a stream and counts the rest."""

    def __init__(self, cap: int) -> None:
        self.half = max(1, cap // 2)
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.half - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > self.half:
                del self.tail[: len(self.tail) - self.half]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.head) + len(self.tail)

    def text(self) -> str:
        middle = b""
        if self.truncated:
            dropped = self.total - len(self.head) - len(self.tail)
            middle = f"\n[... {dropped} bytes dropped by the sandbox ...]\n".encode()
        return bytes(self.head + middle + self.tail).decode("utf-8", errors="replace")


def _env(workspace: Workspace, extra: Mapping[str, str] | None) -> dict[str, str]:
    env = {
        "PATH": f"{os.path.dirname(sys.executable)}:{SYSTEM_PATH}",
        "HOME": str(workspace.home),
        "TMPDIR": str(workspace.tmp),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONNOUSERSITE": "1",
        "PYTHONFAULTHANDLER": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    env.update(extra or {})
    return env


def _rlimits(limits: Limits, nproc: bool) -> Callable[[], None]:
    """The ``preexec_fn``: lower rlimits in the child before exec (resource calls only)."""
    import resource

    values = [
        (resource.RLIMIT_AS, limits.memory_bytes, limits.memory_bytes),
        (resource.RLIMIT_CPU, limits.cpu, limits.cpu + 1),
        (resource.RLIMIT_FSIZE, limits.file_bytes, limits.file_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
        (resource.RLIMIT_CORE, 0, 0),
    ]
    if nproc:
        values.append((resource.RLIMIT_NPROC, limits.processes, limits.processes))
    current = {res: resource.getrlimit(res) for res, _, _ in values}

    def apply() -> None:
        for res, soft, hard in values:
            old_hard = current[res][1]
            if old_hard != resource.RLIM_INFINITY:
                soft, hard = min(soft, old_hard), min(hard, old_hard)
            resource.setrlimit(res, (soft, hard))

    return apply


def _command(argv: Sequence[str], workspace: Workspace, limits: Limits) -> list[str]:
    iso = workspace.isolation
    if iso.namespaces:
        prefix = ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child"]
        if os.geteuid() != 0:
            prefix[1:1] = ["--user", "--map-root-user"]
        uid = str(workspace.uid) if workspace.uid is not None else "-"
        cap = ",+dac_read_search" if iso.read_cap else ""
        return [
            *prefix,
            "--",
            "/bin/sh",
            "-c",
            _WRAPPER,
            "sh",
            str(workspace.root),
            "1" if iso.readonly_fs else "0",
            str(limits.processes),
            uid,
            cap,
            *argv,
        ]
    if workspace.uid is not None:
        cap = ",+dac_read_search" if iso.read_cap else ""
        return [
            "setpriv",
            f"--reuid={workspace.uid}",
            f"--regid={workspace.uid}",
            "--clear-groups",
            f"--inh-caps=-all{cap}",
            f"--ambient-caps=-all{cap}",
            "--",
            *argv,
        ]
    return list(argv)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class _Watch:
    """What ``_supervise`` saw: output buffers and why (if) it killed the run."""

    stdout: _Capped
    stderr: _Capped
    killed: Literal["timeout", "output_limit"] | None = None
    seconds: float = 0.0


def _supervise(proc: subprocess.Popen[bytes], limits: Limits, deadline: Callable[[], float], started: float) -> _Watch:
    """Read both pipes with caps until the process ends or ``deadline()`` (monotonic) passes."""
    assert proc.stdout is not None and proc.stderr is not None
    watch = _Watch(_Capped(limits.output_bytes), _Capped(limits.output_bytes))
    buffers = {proc.stdout.fileno(): watch.stdout, proc.stderr.fileno(): watch.stderr}
    with selectors.DefaultSelector() as sel:
        for fd in buffers:
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)

        def drain(timeout: float) -> None:
            for key, _ in sel.select(timeout):
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    sel.unregister(key.fd)
                    continue
                buf = buffers[key.fd]
                buf.add(chunk)
                if buf.total > limits.max_output_bytes and watch.killed is None:
                    watch.killed = "output_limit"

        while watch.killed is None:
            remaining = deadline() - time.monotonic()
            if remaining <= 0:
                watch.killed = "timeout"
                break
            if not sel.get_map():
                try:
                    proc.wait(timeout=min(remaining, _TICK))
                    break
                except subprocess.TimeoutExpired:
                    continue
            drain(min(remaining, _TICK))
            if sel.get_map() and proc.poll() is not None:
                drain(0)  # exited while a descendant still holds the pipes: stop waiting
                break
        _kill_group(proc.pid)  # the run is over: no descendant in its group outlives it
        proc.wait()
        watch.seconds = time.monotonic() - started
        end = time.monotonic() + 0.5  # stragglers outside the group may hold the pipes
        while sel.get_map() and time.monotonic() < end:
            drain(0.05)
    proc.stdout.close()
    proc.stderr.close()
    return watch


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def _status(returncode: int, watch: _Watch, workspace: Workspace) -> tuple[Status, int | None, str]:
    """Map an exit to a status; with namespaces, ``sh`` reports death by signal N as 128+N."""
    sig: int | None = -returncode if returncode < 0 else None
    if workspace.isolation.namespaces and 128 < returncode < 128 + 65:
        sig = returncode - 128
    stderr_tail = bytes(watch.stderr.tail or watch.stderr.head).decode("utf-8", "replace")
    if watch.killed == "timeout":
        return "timeout", sig, "killed at the wall-time limit"
    if watch.killed == "output_limit":
        return "output_limit", sig, "killed: output over the limit"
    if returncode == _SETUP_FAILED and _MARK in stderr_tail:
        return "error", sig, stderr_tail.strip().splitlines()[-1]
    if sig == signal.SIGXCPU:
        return "cpu_limit", sig, "killed at the CPU-time limit"
    if returncode != 0 and any(word in stderr_tail for word in _MEMORY_WORDS):
        return "memory", sig, "ran out of memory (address-space limit)"
    if sig is not None:
        return "crashed", sig, f"killed by {_signal_name(sig)}"
    return ("ok" if returncode == 0 else "failed"), None, f"exit code {returncode}"


def _start(
    argv: Sequence[str], workspace: Workspace, limits: Limits, env: Mapping[str, str] | None
) -> subprocess.Popen[bytes] | str:
    """Start the wrapped command; a string says why it could not start."""
    iso = workspace.isolation
    workspace.hand_over()
    try:
        return subprocess.Popen(
            _command(argv, workspace, limits),
            cwd=workspace.project,
            env=_env(workspace, env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            # with namespaces the wrapper sets the process limit inside them (per sandbox);
            # the preexec_fn only calls setrlimit (no locks), so it is safe with threads
            preexec_fn=_rlimits(limits, nproc=iso.drop_uid and not iso.namespaces),  # noqa: PLW1509
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"could not start {argv[0]!r}: {exc}"


def run(
    argv: Sequence[str],
    *,
    workspace: Workspace,
    limits: Limits = Limits(),
    env: Mapping[str, str] | None = None,
    deadline: Callable[[], float] | None = None,
) -> SandboxResult:
    """Run ``argv`` in ``workspace.project`` under ``limits``; never raises for the command's sake.

    ``deadline`` (monotonic seconds, re-read every few ms) replaces the wall limit when given,
    so a caller can extend it while the command makes progress.
    """
    started = time.monotonic()
    proc = _start(argv, workspace, limits, env)
    if isinstance(proc, str):
        return SandboxResult("error", None, None, "", "", False, False, 0.0, workspace.isolation.describe(), proc)
    fixed = started + limits.wall_seconds
    try:
        watch = _supervise(proc, limits, deadline or (lambda: fixed), started)
    except BaseException:  # the caller was interrupted: the run must not outlive it
        _kill_group(proc.pid)
        proc.wait()
        raise
    status, sig, message = _status(proc.returncode, watch, workspace)
    return SandboxResult(
        status=status,
        returncode=proc.returncode,
        signal=sig,
        stdout=watch.stdout.text(),
        stderr=watch.stderr.text(),
        stdout_truncated=watch.stdout.truncated,
        stderr_truncated=watch.stderr.truncated,
        seconds=watch.seconds,
        isolation=workspace.isolation.describe(),
        message=message,
    )


def run_python(
    code: str,
    *,
    project_dir: str | os.PathLike[str] | None = None,
    overlay: Mapping[str, str] | None = None,
    limits: Limits = Limits(),
    env: Mapping[str, str] | None = None,
) -> SandboxResult:
    """Run a Python program (``code``) in a fresh workspace with the project copy as cwd."""
    with Workspace(project_dir, overlay) as ws:
        main = ws.write("main.py", code, base=ws.aux)
        return run([sys.executable, str(main)], workspace=ws, limits=limits, env=env)


# ---------------------------------------------------------------------------------- batches


@dataclass(frozen=True)
class Candidate:
    """Code to test: ``code`` runs in a fresh namespace, then ``test`` runs in the same one.

    HumanEval style: ``code`` = prompt + completion, ``test`` = the ``check`` function plus
    ``check(entry_point)``. Any exception from ``test`` fails the candidate.
    ``timeout``: this candidate's seconds (None: the batch's ``timeout``).
    """

    code: str
    test: str
    name: str = ""
    timeout: float | None = None


@dataclass(frozen=True)
class CandidateResult:
    """How one candidate fared; ``line`` is the innermost line of ``code`` in the traceback."""

    index: int
    name: str
    status: CandidateStatus
    exc_type: str | None = None
    message: str = ""
    line: int | None = None
    frames: tuple[tuple[str, int], ...] = ()  # ("<candidate>" or "<test>", line), outermost first
    seconds: float = 0.0
    lines: frozenset[int] = frozenset()  # lines of ``code`` the test ran (its per-test coverage)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class BatchResult:
    """All candidates' results in input order, with the runner restarts it took."""

    results: tuple[CandidateResult, ...]
    seconds: float
    restarts: int
    isolation: str
    runs: tuple[SandboxResult, ...] = field(default=(), repr=False)

    @property
    def passed(self) -> list[CandidateResult]:
        return [r for r in self.results if r.passed]


class JsonLinesTail:
    """Reads the complete lines a process appends to a JSON-lines file, as they come (a torn
    last line waits for its end; lines that are not JSON objects are skipped)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def read_new(self) -> list[dict[str, object]]:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except OSError:
            return []
        complete = data[: data.rfind(b"\n") + 1]
        self.offset += len(complete)
        records = []
        for line in complete.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records


class _Progress:
    """Reads the runner's JSON-lines results as they grow; moves the deadline on each one."""

    def __init__(self, path: Path, timeout: float, startup: float) -> None:
        self.tail, self.timeout = JsonLinesTail(path), timeout
        self.records: dict[int, dict[str, object]] = {}
        self.deadline = time.monotonic() + startup + timeout

    def restart(self, startup: float) -> None:
        """A new runner appends to a fresh file: read from its start, allow for startup."""
        self.tail.offset = 0
        self.deadline = time.monotonic() + startup + self.timeout

    def poll(self) -> float:
        new = self.tail.read_new()
        for record in new:
            try:
                self.records[int(record["i"])] = record  # type: ignore[call-overload]
            except (KeyError, TypeError, ValueError):
                continue  # a candidate scribbled on the file: the index check catches it
        if new:
            self.deadline = time.monotonic() + self.timeout
        return self.deadline


def _from_record(index: int, name: str, record: Mapping[str, object]) -> CandidateResult:
    statuses: tuple[CandidateStatus, ...] = get_args(CandidateStatus)
    exc_type, line, seconds = record.get("exc_type"), record.get("line"), record.get("seconds")
    frames, lines = record.get("frames") or [], record.get("lines")
    return CandidateResult(
        index=index,
        name=name,
        status=next((s for s in statuses if s == record.get("status")), "crashed"),
        exc_type=exc_type if isinstance(exc_type, str) else None,
        message=str(record.get("message") or ""),
        line=line if isinstance(line, int) else None,
        frames=tuple((str(f), int(n)) for f, n in frames) if isinstance(frames, list) else (),
        seconds=float(seconds) if isinstance(seconds, (int, float)) else 0.0,
        lines=frozenset(n for n in lines if isinstance(n, int)) if isinstance(lines, list) else frozenset(),
    )


def run_batch(
    candidates: Sequence[Candidate],
    *,
    timeout: float = 3.0,
    mode: Literal["fork", "inline"] = "fork",
    project_dir: str | os.PathLike[str] | None = None,
    limits: Limits = Limits(),
    startup_seconds: float = 15.0,
    preload: Sequence[str] = PRELOAD,
    after_timeout: float | None = None,
) -> BatchResult:
    """Test many candidates with one interpreter start; each gets ``timeout`` seconds (or its own
    ``Candidate.timeout``).

    ``mode="fork"``: each candidate runs in a forked child of the runner (isolated from the
    others; a hang is killed by the runner). ``mode="inline"``: in a fresh dict in the runner
    (faster; a candidate can disturb later ones through shared modules). Either way, a runner
    that hangs or dies on candidate k costs k only: k gets timeout/crashed, a new runner
    resumes at k+1. ``limits.wall_seconds`` is not used; the deadline moves with progress.
    ``preload`` modules are imported once by the runner (site-packages are on its path, but
    ``.pth`` files are not run, so editable installs are not importable by candidates).
    ``after_timeout``: once a candidate times out, later candidates with the same ``code`` get at
    most this many seconds (the code hangs; its other tests need not wait their full limit).
    """
    seconds = [timeout if c.timeout is None else c.timeout for c in candidates]
    for value, where in [(timeout, "timeout"), *((s, f"candidates[{i}].timeout") for i, s in enumerate(seconds))]:
        if not value > 0:
            raise ValueError(f"{where}={value!r}: must be positive")
    if after_timeout is not None and not after_timeout > 0:
        raise ValueError(f"after_timeout={after_timeout!r}: must be positive")
    started = time.monotonic()
    n = len(candidates)
    results: dict[int, CandidateResult] = {}
    runs: list[SandboxResult] = []
    restarts = 0
    grace = 2.0  # the runner's own per-candidate timer fires first; this catches the runner
    with Workspace(project_dir) as ws:
        runner = ws.add_helper("_batch_runner.py")
        tasks = ws.write(
            "tasks.json",
            json.dumps(
                {
                    "candidates": [{"code": c.code, "test": c.test, "timeout": t} for c, t in zip(candidates, seconds)],
                    "sys_path": [str(ws.project), *(p for p in site.getsitepackages() if os.path.isdir(p))],
                    "preload": list(preload),
                    "after_timeout": after_timeout,
                }
            ),
            base=ws.aux,
        )
        results_path = ws.aux / "results.jsonl"
        progress = _Progress(results_path, max(seconds, default=timeout) + grace, startup_seconds)
        start = 0
        while start < n:
            results_path.unlink(missing_ok=True)  # a dead runner may have left a torn line
            progress.restart(startup_seconds)
            run_limits = replace(limits, cpu_seconds=sum(seconds[start:]) + grace * (n - start) + startup_seconds)
            argv = [
                sys.executable,
                "-S",
                "-I",
                str(runner),
                str(tasks),
                str(results_path),
                str(start),
                repr(timeout),
                mode,
            ]
            outcome = run(argv, workspace=ws, limits=run_limits, deadline=progress.poll)
            runs.append(outcome)
            progress.poll()
            for i, record in progress.records.items():
                if 0 <= i < n and i not in results:
                    results[i] = _from_record(i, candidates[i].name, record)
            nxt = next((i for i in range(start, n) if i not in results), n)
            if nxt >= n:
                break
            if "coderemask-runner: ready" not in outcome.stdout:
                for i in range(nxt, n):  # the runner never started: no candidate was tried
                    results[i] = CandidateResult(
                        i,
                        candidates[i].name,
                        "crashed",
                        None,
                        f"runner did not start: {outcome.message} {outcome.stderr.strip()[-500:]}",
                    )
                break
            status: CandidateStatus = "timeout" if outcome.status == "timeout" else "crashed"
            if outcome.status == "memory":
                status = "memory"
            results[nxt] = CandidateResult(
                nxt,
                candidates[nxt].name,
                status,
                None,
                f"the runner stopped on this candidate ({outcome.message}) {outcome.stderr.strip()[-500:]}".strip(),
                seconds=seconds[nxt] if status == "timeout" else 0.0,
            )
            start = nxt + 1
            restarts += 1
    return BatchResult(
        results=tuple(results[i] for i in range(n)),
        seconds=time.monotonic() - started,
        restarts=restarts,
        isolation=ws.isolation.describe(),
        runs=tuple(runs),
    )
