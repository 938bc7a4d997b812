"""Where samples run: in this process, in a pool of local processes, or on a Ray cluster.

Every backend takes the plan and the jobs and yields finished sample lines as they complete (in
any order). The model loads once per worker (process or Ray actor), never once per sample.

    local   workers=1: this process; workers=N: N spawned processes, torch threads split
            between them, and on a machine with several GPUs worker i takes GPU i mod count
    ray     ``ray.init(address)``; N actors, each with ``gpus_per_worker`` GPUs (0 on CPU);
            address "local" starts a private instance on 127.0.0.1

Backends by name (``BACKENDS``). This module knows processes and Ray; it does not know how a
sample runs (``runner.SampleRunner``) or what is reported.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from coderemask.evaluation.runner import EvalError, EvalPlan, Job, SampleRunner


@dataclass(frozen=True)
class BackendOptions:
    """workers: parallel workers; address: Ray cluster address (None: RAY_ADDRESS or a new local
    instance); gpus_per_worker: GPUs each Ray actor reserves."""

    workers: int = 1
    address: str | None = None
    gpus_per_worker: float = 0.0


def _load(plan: EvalPlan, device: str | None = None) -> Any:
    from coderemask.model import load_model

    return load_model(plan.model, device=device or plan.device, dtype=plan.dtype)


def worker_device(requested: str | None, index: int, gpus: int) -> str | None:
    """The device of local worker ``index``: GPU ``index mod gpus`` when the plan asks for CUDA
    (or leaves the device open) and there are several GPUs; otherwise what was requested."""
    if gpus > 1 and requested in (None, "cuda"):
        return f"cuda:{index % gpus}"
    return requested


# ------------------------------------------------------------------------------- local


_WORKER: SampleRunner | None = None


def _init_local_worker(plan: EvalPlan, threads: int, counter: Any) -> None:
    import torch

    global _WORKER
    torch.set_num_threads(threads)
    with counter.get_lock():
        index = counter.value
        counter.value += 1
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    _WORKER = SampleRunner(plan, _load(plan, worker_device(plan.device, index, gpus)), check_workers=threads)


def _run_in_worker(job: Job) -> dict[str, Any]:
    assert _WORKER is not None, "worker not initialized"
    return _WORKER(job)


def run_local(
    plan: EvalPlan, jobs: Sequence[Job], options: BackendOptions, load: Callable[[EvalPlan], Any] = _load
) -> Iterator[dict[str, Any]]:
    """Run ``jobs`` here (one worker) or in ``options.workers`` spawned processes."""
    if not jobs:
        return
    if options.workers <= 1:
        runner = SampleRunner(plan, load(plan))
        for job in jobs:
            yield runner(job)
        return
    workers = min(options.workers, len(jobs))
    threads = max(1, (os.cpu_count() or 1) // workers)
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_local_worker, initargs=(plan, threads, context.Value("i", 0))
    )
    try:
        pending = {pool.submit(_run_in_worker, job) for job in jobs}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ------------------------------------------------------------------------------- ray


class _RayWorker:
    """A Ray actor body: loads the model once, then runs jobs."""

    def __init__(self, plan: EvalPlan) -> None:
        self.runner = SampleRunner(plan, _load(plan))

    def run(self, job: Job) -> dict[str, Any]:
        return self.runner(job)


def run_ray(plan: EvalPlan, jobs: Sequence[Job], options: BackendOptions) -> Iterator[dict[str, Any]]:
    """Run ``jobs`` on a Ray cluster with ``options.workers`` actors (the model loads once each)."""
    try:
        import ray
        from ray.util import ActorPool
    except ImportError:
        raise EvalError("--backend ray needs Ray: pip install 'coderemask[ray]'") from None
    if not jobs:
        return
    started_here = not ray.is_initialized()
    if started_here:
        try:
            ray.init(
                address=options.address,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
                _node_ip_address="127.0.0.1" if options.address == "local" else None,
            )  # local: loopback only
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise EvalError(f"--address {options.address!r}: cannot reach a Ray cluster ({exc})") from None
    try:
        actor = ray.remote(num_cpus=1, num_gpus=options.gpus_per_worker)(_RayWorker)
        pool = ActorPool([actor.remote(plan) for _ in range(min(max(1, options.workers), len(jobs)))])
        yield from pool.map_unordered(lambda worker, job: worker.run.remote(job), list(jobs))
    finally:
        if started_here:
            ray.shutdown()


BACKENDS: dict[str, Callable[[EvalPlan, Sequence[Job], BackendOptions], Iterator[dict[str, Any]]]] = {
    "local": run_local,
    "ray": run_ray,
}
"""Backend name -> runner."""
