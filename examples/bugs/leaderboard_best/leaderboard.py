"""Scores for a small game leaderboard: each player has a history of scores."""

from __future__ import annotations


def record(board: dict[str, list[int]], player: str, score: int) -> None:
    """Add one score to the player's history."""
    if score < 0:
        raise ValueError("scores are never negative")
    board.setdefault(player, []).append(score)


def best_score(board: dict[str, list[int]], player: str) -> int | None:
    """The player's highest score, or None if they have not played yet."""
    scores = board.get(player)
    if not scores:
        return None
    return min(scores)


def average_score(board: dict[str, list[int]], player: str) -> float:
    """Mean of the player's scores (0.0 if they have not played yet)."""
    scores = board.get(player)
    if not scores:
        return 0.0
    return sum(scores) / len(scores)


def ranking(board: dict[str, list[int]]) -> list[str]:
    """Players who have played, best score first; ties broken by name."""
    players = [p for p in board if board[p]]
    return sorted(players, key=lambda p: (-best_score(board, p), p))


def podium(board: dict[str, list[int]]) -> list[tuple[str, int]]:
    """The top three players with their best scores."""
    return [(p, best_score(board, p)) for p in ranking(board)[:3]]
