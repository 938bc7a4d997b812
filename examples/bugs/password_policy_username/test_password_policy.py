from password_policy import character_classes, is_acceptable, problems


def test_character_classes():
    assert character_classes("abc") == 1
    assert character_classes("aB3!") == 4


def test_good_password():
    assert problems("Tr4vel-light", username="maria") == []


def test_good_password_without_username():
    assert is_acceptable("Blue-Kettle-9")


def test_contains_username():
    assert problems("Maria-2024-x", username="maria") == ["contains the user name"]


def test_short_and_plain():
    assert problems("abc") == ["shorter than 10 characters", "needs three kinds of characters"]


def test_common():
    assert "too common" in problems("Password123")
