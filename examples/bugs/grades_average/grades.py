"""Course grades: averages and letter grades for a class list."""

from __future__ import annotations

BOUNDARIES = [(90, "A"), (80, "B"), (70, "C"), (60, "D")]


def average(scores: list[float]) -> float:
    """Mean of the scores, as a float; 0.0 for a student with no scores yet."""
    if not scores:
        return 0.0
    return int(sum(scores) / len(scores))


def letter(score: float) -> str:
    for lowest, grade in BOUNDARIES:
        if score >= lowest:
            return grade
    return "F"


def report(students: dict[str, list[float]]) -> list[tuple[str, float, str]]:
    """(name, average rounded to 1 decimal, letter) per student, best average first."""
    rows = []
    for name, scores in students.items():
        avg = average(scores)
        rows.append((name, round(avg, 1), letter(avg)))
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def class_average(students: dict[str, list[float]]) -> float:
    """Mean of the student averages (students without scores are left out)."""
    averages = [average(s) for s in students.values() if s]
    return average(averages)
