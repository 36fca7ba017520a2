"""The rules matrix, the checkout decision, ISBN and barcode checks: plain rules, no database."""

from datetime import date

import pytest

from app.domain.library_codes import barcode_problem, codabar14, isbn_problem, mod10_check_digit, normalize_isbn
from app.domain.library_rules import (LoanSituation, NoDefaultRule, Rule, decide_checkout, decide_renewal, fine_for,
                                      patron_category, resolve_rule)

DEFAULT = Rule(1, None, None, None, 14, 3, 2, True, 0)
RULES = [
    DEFAULT,
    Rule(2, None, "9-12", None, 21, 5, 2, True, 1),
    Rule(3, None, None, "dvd", 7, 1, 0, True, 0),
    Rule(4, None, "9-12", "dvd", 3, 2, 0, True, 0),
    Rule(5, 77, None, None, 10, 4, 1, True, 0),
    Rule(6, 77, None, "dvd", 2, 1, 0, False, 0),
    Rule(7, None, None, "reference", 1, 0, 0, False, 0),
]


def test_the_most_specific_rule_wins_then_school_item_type_category():
    assert resolve_rule(RULES, 1, "K-2", "book").rule_id == 1          # nothing specific: the default
    assert resolve_rule(RULES, 1, "9-12", "book").rule_id == 2         # category
    assert resolve_rule(RULES, 1, "K-2", "dvd").rule_id == 3           # item type
    assert resolve_rule(RULES, 1, "9-12", "dvd").rule_id == 4          # category and item type
    assert resolve_rule(RULES, 77, "9-12", "book").rule_id == 5        # the school outranks the category
    assert resolve_rule(RULES, 77, "9-12", "dvd").rule_id == 6         # school + item type beats category + item type
    assert resolve_rule(RULES, 1, "9-12", None).rule_id == 2           # the patron's overall rule
    assert resolve_rule(RULES, 1, "9-12", "reference").rule_id == 7    # the item type outranks the category


def test_the_matrix_needs_its_default_row():
    with pytest.raises(NoDefaultRule, match="default row"):
        resolve_rule(RULES[1:], 1, "9-12", "book")


def test_patron_categories_from_grade_levels():
    assert patron_category("Kindergarten") == "K-2"
    assert patron_category("Fourth grade") == "3-5"
    assert patron_category("Eighth grade") == "6-8"
    assert patron_category("Twelfth grade") == "9-12"
    assert patron_category(None, is_staff=True) == "staff"


def sit(**kw) -> LoanSituation:
    base = dict(today=date(2026, 11, 20), school_id=1, category="9-12", item_type="book", item_status="available",
                open_loans_by_type={}, overdue_loans=0, rules=RULES)
    base.update(kw)
    return LoanSituation(**base)


def codes(problems):
    return [p.code for p in problems]


def test_a_clean_checkout_is_due_after_the_rules_loan_days():
    d = decide_checkout(sit())
    assert d.ok and d.due == date(2026, 12, 11)


@pytest.mark.parametrize("kw, block", [
    (dict(open_loans_by_type={"book": 5}), "too_many_items"),
    (dict(item_type="dvd", open_loans_by_type={"dvd": 2}), "too_many_items"),
    (dict(overdue_loans=2, open_loans_by_type={"book": 2}), "too_many_overdue"),
    (dict(item_status="lost"), "not_loanable"),
    (dict(item_status="not_for_loan"), "not_loanable"),
    (dict(item_status="withdrawn"), "not_loanable"),
    (dict(item_type="reference"), "type_not_allowed"),
    (dict(out_to_self=True), "already_yours"),
])
def test_every_hard_block(kw, block):
    d = decide_checkout(sit(**kw))
    assert block in codes(d.blocks) and all(p.hard for p in d.blocks)


def test_one_overdue_is_allowed_for_high_school_but_not_by_default():
    assert codes(decide_checkout(sit(overdue_loans=1)).blocks) == []
    assert codes(decide_checkout(sit(category="K-2", overdue_loans=1)).blocks) == ["too_many_overdue"]


@pytest.mark.parametrize("kw, warning", [
    (dict(hold_for_other="Ana Rivera"), "on_hold_other"),
    (dict(out_to_other="Ben Chen", item_status="checked_out"), "out_to_other"),
])
def test_every_warning(kw, warning):
    d = decide_checkout(sit(**kw))
    assert codes(d.warnings) == [warning] and d.blocks == () and not d.warnings[0].hard


def test_renewal_is_refused_when_another_patron_holds_the_title_or_renewals_are_used_up():
    held = decide_renewal(RULES, date(2026, 11, 20), 1, "9-12", "book", 0, True, 0)
    assert codes(held.blocks) == ["held_by_other"]
    used = decide_renewal(RULES, date(2026, 11, 20), 1, "9-12", "book", 2, False, 0)
    assert codes(used.blocks) == ["too_many_renewals"]
    ok = decide_renewal(RULES, date(2026, 11, 20), 1, "9-12", "book", 1, False, 0)
    assert ok.blocks == () and ok.due == date(2026, 12, 11)


def test_fines_are_off_by_default_and_follow_the_most_specific_rule():
    assert fine_for(RULES, 77, "9-12", "dvd", 5) == 0.0  # every rule here: 0, off
    fined = [Rule(1, None, None, None, 14, 3, 2, True, 0, 0.1)] + RULES[1:5] + \
        [Rule(6, 77, None, "dvd", 2, 1, 0, False, 0, 0.5)] + RULES[6:]
    assert fine_for(fined, 77, "9-12", "dvd", 5) == 2.5   # school x item type beats the rest
    assert fine_for(fined, 77, "9-12", "dvd", 0) == 0.0   # on time
    assert fine_for(fined, 12, "K-2", "book", 3) == 0.3   # only the default row applies
    assert fine_for(fined, 12, "9-12", "book", 3) == 0.0  # the 9-12 row has no fine


def test_isbn_check_digits():
    assert isbn_problem("0-306-40615-2") is None
    assert isbn_problem("978-0-306-40615-7") is None
    assert "check digit" in isbn_problem("9780306406158")
    assert "check digit" in isbn_problem("0306406153")
    assert isbn_problem("0-8044-2957-X") is None
    assert normalize_isbn("0306406152 (pbk.)") == "9780306406157"


def test_codabar_barcodes_carry_a_mod10_check_digit():
    code = codabar14(3, 1003, 42)
    assert len(code) == 14 and code.startswith("31003")
    assert barcode_problem(code, "codabar14") is None
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert "check digit" in barcode_problem(wrong, "codabar14")
    assert "not an item barcode" in barcode_problem("2" + code[1:13] + str(mod10_check_digit("2" + code[1:13])),
                                                    "codabar14")
    assert barcode_problem("ABC-123", "none") is None
    assert "14-digit" in barcode_problem("ABC-123", "codabar14")
    # the Luhn digit of a published example: 7992739871 -> 3
    assert mod10_check_digit("7992739871") == 3
