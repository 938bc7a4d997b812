"""Simulating one checkout counter serving customers first come, first served."""

from __future__ import annotations


def simulate(arrivals: list[float], service_times: list[float]) -> list[float]:
    """How long each customer waits before being served (arrivals sorted by time)."""
    if len(arrivals) != len(service_times):
        raise ValueError("one service time per arrival")
    free_at = 0.0
    waits = []
    for arrive, service in zip(arrivals, service_times):
        start = max(arrive, free_at)
        waits.append(start - arrive)
        free_at = start + service
    return waits


def average_wait(arrivals: list[float], service_times: list[float]) -> float:
    """Mean waiting time per customer (0.0 when nobody came)."""
    waits = simulate(arrivals, service_times)
    if not waits:
        return 0.0
    return sum(waits)


def longest_wait(arrivals: list[float], service_times: list[float]) -> float:
    return max(simulate(arrivals, service_times), default=0.0)


def idle_time(arrivals: list[float], service_times: list[float]) -> float:
    """Total time the counter stands idle between the first arrival and the last departure."""
    free_at = arrivals[0] if arrivals else 0.0
    idle = 0.0
    for arrive, service in zip(arrivals, service_times):
        if arrive > free_at:
            idle += arrive - free_at
        free_at = max(arrive, free_at) + service
    return idle
