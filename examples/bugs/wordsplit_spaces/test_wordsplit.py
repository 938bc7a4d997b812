from wordsplit import join_words, query_terms, split_words


def test_single_word():
    assert split_words("kettle") == ["kettle"]


def test_empty():
    assert split_words("") == []


def test_several_words():
    assert split_words("red  kettle steel") == ["red", "kettle", "steel"]


def test_quoted_phrase():
    assert split_words('buy "green tea" now') == ["buy", "green tea", "now"]


def test_unterminated_quote():
    assert split_words('say "hello there') == ["say", "hello there"]


def test_round_trip():
    words = ["a b", "c", "d  e"]
    assert split_words(join_words(words)) == words


def test_query_terms():
    assert query_terms(' Tea -Green "earl grey"') == (["tea", "earl grey"], ["green"])
