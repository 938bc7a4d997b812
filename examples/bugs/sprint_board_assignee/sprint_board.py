"""A tiny task board for a sprint."""

from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("todo", "doing", "done")


@dataclass
class Task:
    title: str
    assignee: str
    status: str = "todo"
    estimate: int = 1  # hours


class Board:
    def __init__(self) -> None:
        self.tasks: list[Task] = []

    def add(self, title: str, assignee: str, estimate: int = 1) -> Task:
        task = Task(title, assignee, estimate=estimate)
        self.tasks.append(task)
        return task

    def find(self, title: str) -> Task:
        for task in self.tasks:
            if task.title == title:
                return task
        raise KeyError(title)

    def move(self, title: str, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        self.find(title).status = status

    def tasks_for(self, person: str) -> list[Task]:
        """The tasks assigned to person, in the order they were added."""
        return [task for task in self.tasks if task.status == person]

    def workload(self) -> dict[str, int]:
        """Hours of unfinished work per assignee."""
        totals: dict[str, int] = {}
        for task in self.tasks:
            if task.status != "done":
                totals[task.assignee] = totals.get(task.assignee, 0) + task.estimate
        return totals
