import pytest

from kv_config import get_bool, get_int, parse_config

TEXT = """
# server settings
Host = Example.ORG
port=8080
Debug = Yes

greeting = Hello, World
"""


def test_parse_keeps_value_case():
    config = parse_config(TEXT)
    assert config["host"] == "Example.ORG"
    assert config["greeting"] == "Hello, World"


def test_keys_are_lower_case():
    assert sorted(parse_config(TEXT)) == ["debug", "greeting", "host", "port"]


def test_last_value_wins():
    assert parse_config("a = 1\nA = 2") == {"a": "2"}


def test_bad_line():
    with pytest.raises(ValueError, match="line 2"):
        parse_config("a = 1\nnonsense")


def test_typed_getters():
    config = parse_config(TEXT)
    assert get_int(config, "Port") == 8080
    assert get_bool(config, "debug") is True
    assert get_bool(config, "verbose", default=True) is True
