"""The circulation rules matrix and the checkout decision: plain rules, no database.

A rule cell names a school, a patron category and an item type, each possibly "any" (None).
The most specific cell wins: the one naming more of the three; between cells naming as many,
the school outranks the item type, which outranks the patron category (a "reference: not for
loan" row is about the copy, whoever asks). The cell with all three "any" is the default, which
must exist.

The decision separates hard blocks (the librarian may override them, with a reason) from
warnings (the librarian confirms). Self-check kiosks allow neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

PATRON_CATEGORIES = ("K-2", "3-5", "6-8", "9-12", "staff")
_GRADE_BAND = {
    "Infant/toddler": "K-2", "Preschool": "K-2", "Prekindergarten": "K-2", "Transitional Kindergarten": "K-2",
    "Kindergarten": "K-2", "First grade": "K-2", "Second grade": "K-2", "Third grade": "3-5",
    "Fourth grade": "3-5", "Fifth grade": "3-5", "Sixth grade": "6-8", "Seventh grade": "6-8",
    "Eighth grade": "6-8", "Ninth grade": "9-12", "Tenth grade": "9-12", "Eleventh grade": "9-12",
    "Twelfth grade": "9-12", "Grade 13": "9-12", "Postsecondary": "9-12", "Ungraded": "6-8",
}
LOANABLE = ("available", "on_hold_shelf", "in_transit", "checked_out")
NOT_LOANABLE = {"lost": "is marked lost", "damaged": "is marked damaged", "missing": "is marked missing",
                "claims_returned": "is marked claims returned", "withdrawn": "has been withdrawn",
                "not_for_loan": "is not for loan"}


def patron_category(grade_level: str | None, is_staff: bool = False) -> str:
    if is_staff:
        return "staff"
    return _GRADE_BAND.get(grade_level or "", "6-8")


@dataclass(frozen=True)
class Rule:
    rule_id: int
    school_id: int | None
    patron_category: str | None
    item_type: str | None
    loan_days: int
    max_items: int
    max_renewals: int
    holds_allowed: bool
    max_overdue: int
    fine_per_day: float = 0.0

    @property
    def specificity(self) -> tuple[int, bool, bool, bool]:
        named = (self.school_id is not None, self.item_type is not None, self.patron_category is not None)
        return (sum(named), *named)

    def matches(self, school_id: int, category: str, item_type: str | None) -> bool:
        return ((self.school_id is None or self.school_id == school_id)
                and (self.patron_category is None or self.patron_category == category)
                and (self.item_type is None or (item_type is not None and self.item_type == item_type)))


class NoDefaultRule(Exception):
    pass


class RuleBook(list):
    """A rules matrix that is not changed once read (the desk keeps one per rules stamp): each cell is
    resolved once and remembered."""

    def __init__(self, rules) -> None:
        super().__init__(rules)
        self.resolved: dict[tuple, Rule] = {}


def resolve_rule(rules: list[Rule], school_id: int, category: str, item_type: str | None) -> Rule:
    """The most specific rule for this cell; `item_type=None` asks for the patron's overall rule."""
    memo = getattr(rules, "resolved", None)
    if memo is None:
        return _resolve(rules, school_id, category, item_type)
    key = (school_id, category, item_type)
    rule = memo.get(key)
    if rule is None:
        rule = memo[key] = _resolve(rules, school_id, category, item_type)
    return rule


def _resolve(rules: list[Rule], school_id: int, category: str, item_type: str | None) -> Rule:
    if not any(r.school_id is None and r.patron_category is None and r.item_type is None for r in rules):
        raise NoDefaultRule("The circulation rules have no default row: an administrator must add one "
                            "(every school, every patron, every item type)")
    candidates = [r for r in rules if r.matches(school_id, category, item_type)]
    return max(candidates, key=lambda r: r.specificity)


@dataclass(frozen=True)
class Problem:
    code: str       # stable key: too_many_items, too_many_overdue, not_loanable, on_hold_other, out_to_other, ...
    message: str    # one sentence for the desk
    hard: bool      # a block (override with reason) or a warning (confirm)


@dataclass(frozen=True)
class LoanSituation:
    """Everything the decision needs, read in one go (online from PostgreSQL, offline from the cache)."""
    today: date
    school_id: int
    category: str
    item_type: str
    item_status: str
    open_loans_by_type: dict[str, int]
    overdue_loans: int
    out_to_other: str | None = None       # name of who has it now, if it is out to another patron
    out_to_self: bool = False
    hold_for_other: str | None = None     # name of the first patron waiting (or on the hold shelf for)
    rules: list[Rule] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    rule: Rule
    due: date
    blocks: tuple[Problem, ...]
    warnings: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.blocks and not self.warnings


def decide_checkout(s: LoanSituation) -> Decision:
    rule = resolve_rule(s.rules, s.school_id, s.category, s.item_type)
    overall = resolve_rule(s.rules, s.school_id, s.category, None)
    blocks: list[Problem] = []
    warnings: list[Problem] = []
    if s.item_status in NOT_LOANABLE:
        blocks.append(Problem("not_loanable", f"This copy {NOT_LOANABLE[s.item_status]}.", True))
    if s.out_to_self:
        blocks.append(Problem("already_yours", "This patron already has this copy: renew it instead.", True))
    of_type = s.open_loans_by_type.get(s.item_type, 0)
    total = sum(s.open_loans_by_type.values())
    if rule.max_items == 0:
        blocks.append(Problem("type_not_allowed", f"{s.category} patrons may not borrow {s.item_type} items.", True))
    elif rule is not overall and rule.item_type is not None and of_type >= rule.max_items:
        blocks.append(Problem("too_many_items", f"Limit reached: {of_type} {s.item_type} item(s) out, "
                                                f"{rule.max_items} allowed.", True))
    if total >= overall.max_items and not any(b.code == "too_many_items" for b in blocks):
        blocks.append(Problem("too_many_items", f"Limit reached: {total} item(s) out, {overall.max_items} allowed.",
                              True))
    if s.overdue_loans > overall.max_overdue:
        blocks.append(Problem("too_many_overdue", f"{s.overdue_loans} overdue item(s): return them first "
                                                  f"({overall.max_overdue} allowed).", True))
    if s.hold_for_other:
        warnings.append(Problem("on_hold_other", f"This title is on hold for {s.hold_for_other}.", False))
    if s.out_to_other:
        warnings.append(Problem("out_to_other", f"This copy is still checked out to {s.out_to_other}: "
                                                "continue to return it and lend it again.", False))
    return Decision(rule, s.today + timedelta(days=rule.loan_days), tuple(blocks), tuple(warnings))


def decide_renewal(rules: list[Rule], today: date, school_id: int, category: str, item_type: str, renewals: int,
                   title_held_by_other: bool, overdue_loans: int) -> Decision:
    rule = resolve_rule(rules, school_id, category, item_type)
    blocks: list[Problem] = []
    if title_held_by_other:
        blocks.append(Problem("held_by_other", "Another patron is waiting for this title: it cannot be renewed.", True))
    if renewals >= rule.max_renewals:
        blocks.append(Problem("too_many_renewals", f"Already renewed {renewals} time(s), {rule.max_renewals} allowed.",
                              True))
    overall = resolve_rule(rules, school_id, category, None)
    if overdue_loans > overall.max_overdue:
        blocks.append(Problem("too_many_overdue", f"{overdue_loans} overdue item(s): return them first.", True))
    return Decision(rule, today + timedelta(days=rule.loan_days), tuple(blocks), ())


def fine_for(rules: list[Rule], school_id: int, category: str, item_type: str, days_late: int) -> float:
    """The fine for a late return: days late x the most specific rule's fine per day (0: off, the default)."""
    if days_late <= 0:
        return 0.0
    return round(days_late * resolve_rule(rules, school_id, category, item_type).fine_per_day, 2)


_NO_RULE_NAMES_IT = "\x00"  # an item type no rule names: what "any other type" resolves to


def checkout_terms(rules: list[Rule], school_id: int) -> dict:
    """What library.checkout needs to lend a clean case in the same call: per patron category, the
    loan days and the cap of each item type a rule names (and of any other type), the overall item
    limit and the overdue limit, all resolved here by resolve_rule (the most specific rule wins).
    A cap is how many of that type a patron may have (None: no limit of its own; 0: not lent to the
    category), exactly the limits decide_checkout applies; the database only compares counts."""
    types = sorted({r.item_type for r in rules if r.item_type is not None})
    categories = {}
    for cat in PATRON_CATEGORIES:
        overall = resolve_rule(rules, school_id, cat, None)

        def term(item_type: str) -> list:
            rule = resolve_rule(rules, school_id, cat, item_type)
            cap = 0 if rule.max_items == 0 else (rule.max_items if rule.item_type is not None else None)
            return [rule.loan_days, cap]

        categories[cat] = {"types": {t: term(t) for t in types}, "other": term(_NO_RULE_NAMES_IT),
                           "max_items": overall.max_items, "max_overdue": overall.max_overdue}
    return {"categories": categories, "bands": dict(_GRADE_BAND), "band_default": patron_category(None)}

