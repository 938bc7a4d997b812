from leaderboard import average_score, best_score, podium, ranking, record


def make_board():
    board = {}
    for player, score in [("ana", 40), ("ben", 75), ("ana", 90), ("cy", 60), ("ben", 20), ("dee", 10)]:
        record(board, player, score)
    return board


def test_best_score_is_the_highest():
    board = make_board()
    assert best_score(board, "ana") == 90
    assert best_score(board, "ben") == 75


def test_best_score_of_unknown_player():
    assert best_score(make_board(), "zed") is None


def test_single_score():
    board = {}
    record(board, "solo", 7)
    assert best_score(board, "solo") == 7


def test_average():
    assert average_score(make_board(), "ana") == 65.0
    assert average_score(make_board(), "zed") == 0.0


def test_ranking_by_best_score():
    assert ranking(make_board()) == ["ana", "ben", "cy", "dee"]


def test_podium():
    assert podium(make_board()) == [("ana", 90), ("ben", 75), ("cy", 60)]
