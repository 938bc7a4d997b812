from dedupe import duplicates, merge_unique, unique_in_order


def test_keeps_first_occurrence():
    assert unique_in_order([3, 1, 3, 2, 1]) == [3, 1, 2]


def test_empty():
    assert unique_in_order([]) == []


def test_with_key():
    emails = ["Ann@x.org", "bob@x.org", "ann@X.org"]
    assert unique_in_order(emails, key=str.lower) == ["Ann@x.org", "bob@x.org"]


def test_works_on_generators():
    assert unique_in_order(c for c in "mississippi") == ["m", "i", "s", "p"]


def test_duplicates():
    assert duplicates("abcabd") == ["a", "b"]


def test_merge_unique():
    assert merge_unique([1, 2], [2, 3], [3, 4, 1]) == [1, 2, 3, 4]
