from recent_files import FileEntry, human_size, most_recent, total_size, with_extension

ENTRIES = [
    FileEntry("notes.txt", 1_700_000_100.0, 300),
    FileEntry("main.py", 1_700_000_900.0, 2048),
    FileEntry("old.py", 1_600_000_000.0, 100),
    FileEntry("draft.txt", 1_700_000_500.0, 5000),
]


def test_most_recent_newest_first():
    assert [e.path for e in most_recent(ENTRIES, 2)] == ["main.py", "draft.txt"]


def test_most_recent_all():
    assert [e.path for e in most_recent(ENTRIES, 10)] == ["main.py", "draft.txt", "notes.txt", "old.py"]


def test_most_recent_none():
    assert most_recent(ENTRIES, 0) == []


def test_with_extension():
    assert [e.path for e in with_extension(ENTRIES, "py")] == ["main.py", "old.py"]
    assert with_extension(ENTRIES, ".txt") == [ENTRIES[0], ENTRIES[3]]


def test_sizes():
    assert total_size(ENTRIES) == 7448
    assert human_size(512) == "512 B"
    assert human_size(1536) == "1.5 KB"
