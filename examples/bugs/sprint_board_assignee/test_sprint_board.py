import pytest

from sprint_board import Board


def make_board():
    board = Board()
    board.add("login page", "mia", 5)
    board.add("db schema", "raj", 3)
    board.add("logout", "mia", 1)
    return board


def test_tasks_for_person():
    assert [t.title for t in make_board().tasks_for("mia")] == ["login page", "logout"]


def test_tasks_for_unknown_person():
    assert make_board().tasks_for("zoe") == []


def test_tasks_for_includes_done_tasks():
    board = make_board()
    board.move("db schema", "done")
    assert [t.title for t in board.tasks_for("raj")] == ["db schema"]


def test_move_rejects_unknown_status():
    with pytest.raises(ValueError):
        make_board().move("logout", "blocked")


def test_workload():
    board = make_board()
    board.move("logout", "done")
    assert board.workload() == {"mia": 5, "raj": 3}
