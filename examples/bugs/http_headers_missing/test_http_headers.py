import pytest

from http_headers import content_length, get_header, is_keep_alive, parse_headers

RAW = ["Host: example.org", "Content-Length: 42", "Set-Cookie: a=1", "set-cookie: b=2", "", "body"]


def test_parse_headers():
    headers = parse_headers(RAW)
    assert headers["set-cookie"] == ["a=1", "b=2"]
    assert "body" not in headers


def test_get_header_is_case_insensitive():
    assert get_header(parse_headers(RAW), "HOST") == "example.org"


def test_missing_header_is_none():
    assert get_header(parse_headers(RAW), "Accept") is None


def test_content_length():
    assert content_length(parse_headers(RAW)) == 42
    assert content_length(parse_headers(["Host: x"])) is None


def test_keep_alive():
    assert is_keep_alive(parse_headers(["Host: x"]))
    assert not is_keep_alive(parse_headers(["Connection: Close"]))


def test_malformed_line():
    with pytest.raises(ValueError):
        parse_headers(["no colon here"])
