import pytest

from permissions import ALL, EXECUTE, READ, WRITE, format_mask, grant, has, parse, revoke


def test_parse_and_format():
    assert parse("rw-") == READ | WRITE
    assert format_mask(READ | EXECUTE) == "r-x"
    with pytest.raises(ValueError):
        parse("rwz")


def test_grant_adds_a_bit():
    assert grant(READ, WRITE) == READ | WRITE


def test_grant_existing_bit():
    assert grant(READ | WRITE, READ) == READ | WRITE


def test_grant_from_nothing():
    assert format_mask(grant(0, EXECUTE)) == "--x"


def test_revoke():
    assert revoke(ALL, WRITE) == READ | EXECUTE
    assert revoke(READ, WRITE) == READ


def test_has():
    assert has(parse("rwx"), READ | WRITE)
    assert not has(parse("r--"), READ | WRITE)
    assert has(grant(parse("r--"), WRITE), WRITE)
