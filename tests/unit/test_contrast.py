"""Colours of the shell meet WCAG AA (4.5:1 for text)."""

import re

import pytest

from ui.main_window import STYLE
from ui.screens.student.student_profile_panel import BADGE_COLOURS


def luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


PAIRS = [
    ("#ffffff", "#1f3a5f"),  # desk list text on navy
    ("#1f3a5f", "#ffffff"),  # selected desk
    ("#1b2733", "#f6f7f9"),  # headings on the page background
    ("#33414e", "#f6f7f9"),  # desk purpose
    ("#4a5763", "#f6f7f9"),  # desk note
    ("#9b1c1c", "#ffffff"),  # sign-in message on the card
    ("#4a5763", "#e3e8ee"),  # photo placeholder
]


@pytest.mark.parametrize("fg,bg", PAIRS)
def test_text_colours_meet_wcag_aa(fg, bg):
    assert fg.lower() in STYLE.lower() or fg == "#ffffff"
    assert contrast(fg, bg) >= 4.5


@pytest.mark.parametrize("key", sorted(BADGE_COLOURS))
def test_badges_are_readable(key):
    assert contrast("#ffffff", BADGE_COLOURS[key]) >= 4.5


def test_roster_grid_marks_are_readable():
    from ui.screens.attendance.roster_table_model import ABSENT_TEXT, UNSAVED

    # an absence in red on a plain or an unsaved (shaded) row; ordinary text on the shading
    assert contrast(ABSENT_TEXT.name(), "#ffffff") >= 4.5
    assert contrast(ABSENT_TEXT.name(), UNSAVED.name()) >= 4.5
    assert contrast("#000000", UNSAVED.name()) >= 4.5


def test_no_fixed_pixel_font_sizes():
    # point sizes scale with the system font setting; pixel sizes would not
    assert not re.search(r"font-size:\s*\d+px", STYLE)
