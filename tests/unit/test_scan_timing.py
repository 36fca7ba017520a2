"""A keyboard-wedge scanner types the card's digits a few milliseconds apart, then Enter; a person
types slower. Only the scanner's burst counts as a scan."""

from ui.screens.cafeteria.scanner import BurstTimer


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def feed(timer, clock, text, gap):
    for ch in text:
        timer.key(ch)
        clock.t += gap


def test_a_fast_burst_of_digits_ending_in_enter_is_a_scan():
    clock = Clock()
    timer = BurstTimer(clock)
    feed(timer, clock, "604101", 0.008)
    assert timer.enter() == "604101"


def test_a_person_typing_the_same_digits_is_not_a_scan():
    clock = Clock()
    timer = BurstTimer(clock)
    feed(timer, clock, "604101", 0.15)
    assert timer.enter() is None


def test_short_or_non_digit_bursts_are_typing():
    clock = Clock()
    timer = BurstTimer(clock)
    feed(timer, clock, "5.00", 0.005)
    assert timer.enter() is None
    feed(timer, clock, "2000", 0.005)
    assert timer.enter() is None  # a cash amount, however fast, is shorter than a student id


def test_a_pause_before_enter_makes_it_typing():
    clock = Clock()
    timer = BurstTimer(clock)
    feed(timer, clock, "604101", 0.005)
    clock.t += 0.5
    assert timer.enter() is None


def test_a_burst_after_slow_typing_starts_afresh():
    clock = Clock()
    timer = BurstTimer(clock)
    feed(timer, clock, "12", 0.3)
    feed(timer, clock, "604102", 0.005)
    assert timer.enter() == "604102"
