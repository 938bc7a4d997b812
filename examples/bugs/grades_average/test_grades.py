from grades import average, class_average, letter, report


def test_average_whole_number():
    assert average([80, 90, 100]) == 90


def test_average_with_fraction():
    assert average([90, 85]) == 87.5


def test_average_empty():
    assert average([]) == 0.0


def test_letter():
    assert [letter(s) for s in (95, 80, 79.9, 60, 12)] == ["A", "B", "C", "D", "F"]


def test_report_uses_exact_average():
    rows = report({"li": [89, 90], "ola": [70, 75, 80]})
    assert rows == [("li", 89.5, "B"), ("ola", 75.0, "C")]


def test_class_average():
    assert class_average({"a": [70, 71], "b": [80], "c": []}) == 75.25
