import pytest

from appsettings import describe, load_settings


def test_defaults():
    assert load_settings({}) == {"timeout": 30, "retries": 3, "log_level": "INFO"}


def test_values_from_environment():
    env = {"APP_TIMEOUT": "5", "APP_RETRIES": "0", "APP_LOG_LEVEL": "debug"}
    assert load_settings(env) == {"timeout": 5, "retries": 0, "log_level": "DEBUG"}


def test_only_timeout_given():
    assert load_settings({"APP_TIMEOUT": "12"})["retries"] == 3


def test_bad_integer():
    with pytest.raises(ValueError, match="APP_RETRIES"):
        load_settings({"APP_RETRIES": "many"})


def test_bad_level():
    with pytest.raises(ValueError):
        load_settings({"APP_LOG_LEVEL": "loud"})


def test_describe():
    assert describe({"retries": 2, "log_level": "INFO"}) == "log_level=INFO, retries=2"
