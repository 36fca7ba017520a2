"""Counts on screen read as a secretary would write them."""

from ui.text import plural


def test_one_is_singular_and_others_are_plural():
    assert plural(1, "incident") == "1 incident"
    assert plural(0, "incident") == "0 incidents"
    assert plural(2, "student") == "2 students"


def test_regular_english_endings():
    assert plural(3, "class") == "3 classes"
    assert plural(2, "entry") == "2 entries"
    assert plural(2, "day") == "2 days"
    assert plural(4, "mark") == "4 marks"


def test_an_explicit_plural_form_wins():
    assert plural(2, "child", "children") == "2 children"
    assert plural(5, "person") == "5 people"


def test_a_count_given_as_text_reads_the_same():
    assert plural("1", "day") == "1 day" and plural("1.0", "day") == "1.0 day"
    assert plural("2.5", "day") == "2.5 days"
