"""Circulation at the desk: check out, check in, renew, one transaction each.

Every action carries the desk's request id (a UUID): a repeated submit, and the offline
journal's resend of the same entry, find the loan the first one made. The decision itself
(blocks and warnings) is app.domain.library_rules, fed here from PostgreSQL and, offline, from
the desk's cached snapshot (offline.py), so both apply the same policy.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.domain.library_rules import Decision, LoanSituation, Problem, Rule, RuleBook, decide_checkout
from app.errors import UserError
from app.services.library.patrons import DeskSchool, Patron, _patron_clause, _student_patron, patron_by_card
from app.services.request_ids import canonical_request_id, lock_request


_RULES = ("SELECT rule_id, school_id, patron_category, item_type, loan_days, max_items, max_renewals, holds_allowed, "
          "max_overdue, fine_per_day, library.rules_stamp() FROM library.loan_rules ORDER BY rule_id")
_rules_by_stamp: dict[str, list[Rule]] = {}


def load_rules(conn: Connection) -> list[Rule]:
    return _rules_read(conn)[1]


def _rules_read(conn: Connection) -> tuple[str | None, list[Rule]]:
    rows = conn.execute(text(_RULES)).all()
    stamp, rules = (rows[0][10] if rows else None), RuleBook(Rule(*r[:9], float(r[9])) for r in rows)
    if stamp is not None:
        if len(_rules_by_stamp) > 8:
            _rules_by_stamp.clear()
        _rules_by_stamp[stamp] = rules
    return stamp, rules


def rules_stamped(conn: Connection, stamp: str | None) -> list[Rule]:
    """The rules matrix, kept between checkouts: read again only when its stamp (a digest of every
    row, which library.checkout_facts returns) differs from the one kept."""
    if stamp is not None and stamp in _rules_by_stamp:
        return _rules_by_stamp[stamp]
    return _rules_read(conn)[1]


@dataclass(frozen=True)
class Override:
    """The librarian's decision on the problems shown: warnings confirmed, blocks overridden with a reason."""
    codes: frozenset[str]
    reason: str = ""


@dataclass(frozen=True)
class ItemRow:
    item_id: int
    barcode: str
    status: str
    item_type: str
    school_id: int
    resource_id: int
    title: str
    call_number: str | None
    transit_to_school_id: int | None


_ITEM = ("SELECT i.item_id, i.barcode, i.status, i.item_type, i.school_id, i.resource_id, r.title, i.call_number, "
         "i.transit_to_school_id FROM library.items i JOIN library.resources r ON r.resource_id = i.resource_id "
         "WHERE i.barcode = :b")


def item_by_barcode(conn: Connection, barcode: str, lock: bool = False) -> ItemRow:
    code = barcode.strip()
    row = conn.execute(text(_ITEM + " FOR UPDATE OF i"), {"b": code}).first() if lock else None
    if row is None:  # not locked: only the owning school's librarians may lock (change) a copy
        row = conn.execute(text(_ITEM), {"b": code}).first()
    if row is None:
        raise UserError(f"No copy has barcode {code!r}: check the label, or catalogue the copy first.")
    return ItemRow(*row)


@dataclass(frozen=True)
class CheckoutResult:
    done: bool
    title: str
    barcode: str
    due: date | None
    blocks: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    checkout_id: int | None = None
    repeated: bool = False

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.blocks + self.warnings


def _name_of_loan_holder(conn: Connection, student_usi: int | None, staff_usi: int | None) -> str:
    if student_usi is not None:
        n = conn.execute(text("SELECT coalesce(preferredfirstname, firstname) || ' ' || lastsurname FROM edfi.student "
                              "WHERE studentusi = :u"), {"u": student_usi}).scalar()
    else:
        n = conn.execute(text("SELECT coalesce(preferredfirstname, firstname) || ' ' || lastsurname FROM edfi.staff "
                              "WHERE staffusi = :u"), {"u": staff_usi}).scalar()
    return n or "a patron of another school"


def _same_patron(p: Patron, student_usi, staff_usi) -> bool:
    return (p.student_usi is not None and p.student_usi == student_usi) or \
        (p.staff_usi is not None and p.staff_usi == staff_usi)


@dataclass(frozen=True)
class CheckoutFacts:
    """What library.checkout_facts read in one round trip (the copy locked when this school owns it)."""
    item: ItemRow | None
    prior: dict | None = None        # the loan this request id already made (a repeated submit)
    loans: tuple = ()                # the patron's other open loans: (item type, due date)
    loan: dict | None = None         # the copy's open loan, with its holder's name
    holds: tuple = ()                # the title's open holds, oldest first: (id, student, staff, copy, status, name)
    rules_stamp: str | None = None
    asof: date | None = None         # the day blocks are judged on: today, whatever day the loan is dated (0064)


_FACTS = text("SELECT library.checkout_facts(:b, :su, :tu, CAST(:r AS uuid))")
_CHECKOUT = text("SELECT library.checkout(:c, :su, :tu, :cat, :b, CAST(:r AS uuid), :s, :d, :at, CAST(:t AS jsonb))")
_LEND_IF_CLEAN = "{}"  # library.checkout lends a clean case by the rules as the database reads them (0048)
_PATRON_KEYS = ("studentusi", "studentuniqueid", "first", "lastsurname", "grade", "school", "withdrawn", "homeroom")


def checkout_facts(conn: Connection, patron: Patron, barcode: str, request_id: str | None) -> CheckoutFacts:
    f = conn.execute(_FACTS, {"b": barcode.strip(), "su": patron.student_usi, "tu": patron.staff_usi,
                              "r": request_id}).scalar_one()
    return _facts_of(f, barcode)


def _facts_of(f: dict, barcode: str) -> CheckoutFacts:
    if "prior" in f:
        return CheckoutFacts(None, prior=f["prior"])
    if f["item"] is None:
        raise UserError(f"No copy has barcode {barcode.strip()!r}: check the label, or catalogue the copy first.")
    item = ItemRow(**f["item"])
    if not f["locked"]:
        return CheckoutFacts(item)
    return CheckoutFacts(item, None, tuple((t, date.fromisoformat(d)) for t, d in f["loans"]), f["loan"],
                         tuple(tuple(h) for h in f["holds"]), f["rules_stamp"],
                         date.fromisoformat(f["asof"]) if f.get("asof") else None)


def situation(conn: Connection, desk: DeskSchool, patron: Patron, facts: CheckoutFacts, today: date,
              rules: list[Rule] | None = None) -> tuple[LoanSituation, dict]:
    """The facts the checkout decision needs; the second value keeps the ids the write needs."""
    item = facts.item
    by_type: dict[str, int] = {}
    overdue = 0
    asof = max(today, facts.asof or today)  # overdue as of today, as the database counts them, however back-dated
    for item_type, due in facts.loans:
        by_type[item_type] = by_type.get(item_type, 0) + 1
        overdue += due < asof
    loan = facts.loan
    out_to_other = None
    out_to_self = False
    if loan is not None:
        if _same_patron(patron, loan["student_usi"], loan["staff_usi"]):
            out_to_self = True
        else:
            out_to_other = loan["name"] or "a patron of another school"
    mine = next((h for h in facts.holds if _same_patron(patron, h[1], h[2])), None)
    other = next((h for h in facts.holds if not _same_patron(patron, h[1], h[2])), None)
    # Someone else waits, and it is this copy on the shelf for them, or no copy is set aside yet.
    hold_for_other = None
    if other is not None and (other[3] == item.item_id or (other[4] == "waiting" and mine is None)):
        hold_for_other = other[5] or "a patron of another school"
    status = item.status
    if status == "checked_out" and loan is None:
        status = "available"  # a loan closed by check-in elsewhere; the copy is here now
    s = LoanSituation(today, desk.school_id, patron.category, item.item_type, status, by_type, overdue,
                      out_to_other, out_to_self, hold_for_other,
                      rules if rules is not None else rules_stamped(conn, facts.rules_stamp))
    return s, {"loan": loan, "my_hold": mine[0] if mine else None}


def _unresolved(decision: Decision, override: Override | None, kiosk: bool) -> tuple[tuple, tuple]:
    codes = override.codes if override else frozenset()
    blocks = tuple(b for b in decision.blocks if kiosk or b.code not in codes)
    warnings = tuple(w for w in decision.warnings if kiosk or w.code not in codes)
    if not kiosk and override and any(b.code in codes for b in decision.blocks) and len(override.reason.strip()) < 3:
        raise UserError("An override needs a reason: type why you are lending it anyway.")
    return blocks, warnings


def check_out(conn: Connection, desk: DeskSchool, patron: Patron, barcode: str, *, request_id: str | None = None,
              override: Override | None = None, kiosk: bool = False, at: datetime | None = None) -> CheckoutResult:
    """Lend a copy; returns the blocks and warnings still to decide instead of lending, if any.
    One round trip when nothing is in the way (library.checkout reads, finds the case clean by
    the rules matrix and lends, and decide_checkout must agree); otherwise app.domain.library_rules decides on the facts it
    read and library.lend writes."""
    rid = canonical_request_id(request_id)
    at = at or datetime.now(timezone.utc)
    f = _checkout_call(conn, desk, None, patron, barcode, rid, at)
    return _finish(conn, desk, patron, f, barcode, rid, override, kiosk, at)


def check_out_card(conn: Connection, desk: DeskSchool, card: str, barcode: str, *, request_id: str | None = None,
                   kiosk: bool = False, at: datetime | None = None) -> tuple[Patron | None, CheckoutResult | None]:
    """A card and a copy scanned together (self-check, SIP2 checkout): the patron (None when no
    patron has that card) and the checkout, in one round trip for a student's clean case."""
    rid = canonical_request_id(request_id)
    at = at or datetime.now(timezone.utc)
    f = _checkout_call(conn, desk, card.strip(), None, barcode, rid, at) if card.strip() else {"patron": None}
    if f.get("patron") is None:  # a staff card, or no patron the caller may see
        patron = patron_by_card(conn, card)
        if patron is None:
            return None, None
        return patron, check_out(conn, desk, patron, barcode, request_id=rid, kiosk=kiosk, at=at)
    patron = _student_patron(tuple(f["patron"][k] for k in _PATRON_KEYS))
    return patron, _finish(conn, desk, patron, f, barcode, rid, None, kiosk, at)


def _checkout_call(conn, desk: DeskSchool, card: str | None, patron: Patron | None, barcode: str, rid, at) -> dict:
    values = (card, patron.student_usi if patron else None, patron.staff_usi if patron else None,
              patron.category if patron else None, barcode.strip(), rid, desk.school_id, at.astimezone().date(), at,
              _LEND_IF_CLEAN)
    raw = conn.connection.driver_connection
    if not hasattr(raw, "pipeline"):  # not psycopg
        return conn.execute(_CHECKOUT, dict(zip(("c", "su", "tu", "cat", "b", "r", "s", "d", "at", "t"), values))
                            ).scalar_one()
    return _through_driver(conn, raw, _CHECKOUT_DRIVER, values)


# The one-call checkout straight through the driver, prepared on the connection: SQLAlchemy's
# per-call processing of the statement, its ten parameters and its result cost ~0.1 ms of client CPU
# a checkout (a fifth of the desk's side). Errors still reach the caller as SQLAlchemy's.
_CHECKOUT_DRIVER = ("SELECT library.checkout(%s, %s, %s, %s, %s, CAST(%s AS uuid), %s, %s, %s, CAST(%s AS jsonb))")


def _through_driver(conn: Connection, raw, sql: str, values: tuple):
    import psycopg

    try:
        return raw.execute(sql, values, prepare=True).fetchone()[0]
    except psycopg.Error as exc:
        conn._handle_dbapi_exception(exc, sql, values, None, None)


def _finish(conn, desk: DeskSchool, patron: Patron, f: dict, barcode: str, rid, override: Override | None,
            kiosk: bool, at: datetime) -> CheckoutResult:
    facts = _facts_of(f, barcode)
    if facts.prior is not None:
        prior = facts.prior
        return CheckoutResult(True, prior["title"], prior["barcode"], date.fromisoformat(prior["due"]),
                              checkout_id=prior["checkout_id"], repeated=True)
    item = facts.item
    if item.school_id != desk.school_id:
        problem = Problem("other_school", "This copy belongs to another school: check it in to send it home.", True)
        return CheckoutResult(False, item.title, item.barcode, None, blocks=(problem,))
    today = at.astimezone().date()
    sit, ids = situation(conn, desk, patron, facts, today)
    decision = decide_checkout(sit)
    lent = f.get("lent")
    if lent is not None:  # lent in the same call: the rules must agree, or nothing is lent
        due = date.fromisoformat(lent["due"])
        if not decision.ok or decision.due != due:
            raise RuntimeError(f"library.checkout lent copy {item.barcode} due {due}, but the rules say "
                               f"{decision.blocks + decision.warnings} due {decision.due}: the loan is rolled back")
        return CheckoutResult(True, item.title, item.barcode, due, checkout_id=lent["checkout_id"])
    blocks, warnings = _unresolved(decision, override, kiosk)
    if blocks or warnings:
        return CheckoutResult(False, item.title, item.barcode, decision.due, blocks, warnings)
    return _lend(conn, desk, patron, item, decision, ids, rid, override, at, today)


_LEND = text("SELECT library.lend(:i, :su, :tu, :s, :d, :due, :at, CAST(:rid AS uuid), :reissue, :hold, :shelved, "
             "CAST(:codes AS text[]), :why)")


def _lend(conn, desk, patron, item, decision, ids, rid, override, at, today, due: date | None = None) -> CheckoutResult:
    """library.lend: close the copy's previous loan when it is reissued, insert the loan, mark the
    copy out, fill or release holds, record the overridden blocks. The database sets the due date
    from the rules and lends only past the blocks the rules raise, each overridden with a reason
    (migration 0059): `due` (what an offline desk told the patron) is sent but not used."""
    overridden = [b.code for b in decision.blocks if override and b.code in override.codes]
    try:
        checkout_id = conn.execute(_LEND, {
            "i": item.item_id, "su": patron.student_usi, "tu": patron.staff_usi,
            "s": desk.school_id, "d": today, "due": due, "at": at, "rid": rid,
            "reissue": ids["loan"]["checkout_id"] if ids["loan"] is not None else None, "hold": ids["my_hold"],
            "shelved": ids["my_hold"] is None and item.status == "on_hold_shelf", "codes": overridden,
            "why": override.reason.strip() if overridden else None}).scalar_one()
    except IntegrityError as exc:
        if "ux_checkouts_open_item" in str(exc.orig):
            raise UserError("This copy is still on loan to a patron of another school: check it in first.") from None
        raise
    except DBAPIError as exc:  # the database's rules disagree with the desk's (changed meanwhile)
        if getattr(exc.orig, "sqlstate", None) in ("42501", "22023"):
            msg = exc.orig.diag.message_primary or "the loan was refused"
            raise UserError(f"{msg[0].upper()}{msg[1:]}: nothing was lent; scan the copy again.") from None
        raise
    due = conn.execute(text("SELECT due_date FROM library.checkouts WHERE checkout_id = :c"), {"c": checkout_id}).scalar()
    return CheckoutResult(True, item.title, item.barcode, due, checkout_id=checkout_id)


def _charge_fine(conn, loan, late: int) -> float:
    """The fine for a late return where the rules set one (off by default): charged by the database
    (library.charge_fine, migration 0046), which alone may write it."""
    if not late:
        return 0.0
    return float(conn.execute(text("SELECT library.charge_fine(:c)"), {"c": loan[0]}).scalar() or 0)


def _close_loan(conn, checkout_id: int, at: datetime, today: date, note: str = "Returned") -> int:
    """The loan closed by library.close_loan (migration 0062: the lending school's librarians only, the
    days late worked out by the database); returns the days late."""
    return conn.execute(text("SELECT library.close_loan(:c, :d, :at, :n)"),
                        {"c": checkout_id, "d": today, "at": at, "n": note}).scalar_one()


@dataclass(frozen=True)
class HoldSlip:
    """Printed at check-in when a patron waits for the title: put the copy on the hold shelf."""
    hold_id: int
    patron_name: str
    patron_card: str
    title: str
    barcode: str
    call_number: str | None
    pickup_school: str
    shelf_expires_on: date


@dataclass(frozen=True)
class CheckinResult:
    title: str
    barcode: str
    was_out: bool
    borrower: str | None
    days_late: int
    hold_slip: HoldSlip | None = None
    transit_to: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def route(self) -> str:
        if self.hold_slip is not None:
            return "hold shelf" if self.transit_to is None else f"in transit to {self.transit_to} (hold)"
        return f"in transit to {self.transit_to}" if self.transit_to else "shelve"


def check_in(conn: Connection, desk: DeskSchool, barcode: str, *, request_id: str | None = None,
             at: datetime | None = None) -> CheckinResult:
    lock_request(conn, request_id)
    at = at or datetime.now(timezone.utc)
    today = at.astimezone().date()
    code = barcode.strip()
    owner = conn.execute(text("SELECT school_id FROM library.items WHERE barcode = :b"), {"b": code}).scalar()
    if owner is None:
        raise UserError(f"No copy has barcode {code!r}: check the label.")
    if owner != desk.school_id:
        r = conn.execute(text("SELECT item_id, title, owner_school, was_out, days_late "
                              "FROM library.check_in_elsewhere(:b, :s)"), {"b": code, "s": desk.school_id}).one()
        return CheckinResult(r[1], code, r[3], None, r[4] or 0, transit_to=r[2],
                             notes=(f"Belongs to {r[2]}: put it in the transit bin.",))
    item = item_by_barcode(conn, code, lock=True)
    loan = conn.execute(text("SELECT checkout_id, student_usi, staff_usi FROM library.checkouts "
                             "WHERE item_id = :i AND return_date IS NULL FOR UPDATE"), {"i": item.item_id}).first()
    notes: list[str] = []
    late, borrower = 0, None
    if loan is not None:
        borrower = _name_of_loan_holder(conn, loan[1], loan[2])
        late = _close_loan(conn, loan[0], at, today)
        fine = _charge_fine(conn, loan, late)
        if fine:
            notes.append(f"Returned {late} day(s) late: fine ${fine:,.2f}.")
        elif late:
            notes.append(f"Returned {late} day(s) late.")
    else:
        notes.append("This copy was not checked out.")
    if item.status in ("lost", "missing", "claims_returned"):
        notes.append(f"Found: it was marked {item.status.replace('_', ' ')}.")
    slip = None
    transit = None
    if item.status in ("withdrawn", "not_for_loan", "damaged"):
        new_status = item.status  # back on its shelf, status unchanged
    else:
        slip, transit = _trap_hold(conn, desk, item, today)
        new_status = "on_hold_shelf" if slip and transit is None else ("in_transit" if transit else "available")
    conn.execute(text("UPDATE library.items SET status = :st, status_changed_at = now(), last_seen_at = now(), "
                      "transit_to_school_id = :t, status_note = NULL WHERE item_id = :i"),
                 {"st": new_status, "i": item.item_id,
                  "t": conn.execute(text("SELECT pickup_school_id FROM library.holds WHERE hold_id = :h"),
                                    {"h": slip.hold_id}).scalar() if transit else None})
    return CheckinResult(item.title, item.barcode, loan is not None, borrower, late, slip, transit, tuple(notes))


def _trap_hold(conn, desk: DeskSchool, item: ItemRow, today: date) -> tuple[HoldSlip | None, str | None]:
    """The first patron waiting for the title gets this copy (first come, first served)."""
    h = conn.execute(text(
        "SELECT h.hold_id, h.student_usi, h.staff_usi, h.pickup_school_id, eo.nameofinstitution, "
        "coalesce(st.settings_days, 7) FROM library.holds h "
        "JOIN edfi.educationorganization eo ON eo.educationorganizationid = h.pickup_school_id "
        "LEFT JOIN LATERAL (SELECT hold_shelf_days AS settings_days FROM library.settings s "
        "                   WHERE s.school_id = h.pickup_school_id) st ON true "
        "WHERE h.resource_id = :r AND h.status = 'waiting' "
        "AND (h.not_needed_after IS NULL OR h.not_needed_after >= :d) ORDER BY h.placed_at LIMIT 1 FOR UPDATE OF h"),
        {"r": item.resource_id, "d": today}).first()
    if h is None:
        return None, None
    expires = today + timedelta(days=h[5])
    conn.execute(text("UPDATE library.holds SET status = 'ready', item_id = :i, ready_at = now(), shelf_expires_on = :e "
                      "WHERE hold_id = :h"), {"i": item.item_id, "e": expires, "h": h[0]})
    if h[1] is not None:
        card = conn.execute(text("SELECT studentuniqueid FROM edfi.student WHERE studentusi = :u"), {"u": h[1]}).scalar()
    else:
        card = conn.execute(text("SELECT staffuniqueid FROM edfi.staff WHERE staffusi = :u"), {"u": h[2]}).scalar()
    slip = HoldSlip(h[0], _name_of_loan_holder(conn, h[1], h[2]), card or "", item.title, item.barcode,
                    item.call_number, h[4], expires)
    return slip, (None if h[3] == desk.school_id else h[4])


@dataclass(frozen=True)
class RenewResult:
    done: bool
    title: str
    barcode: str
    due: date | None
    blocks: tuple[Problem, ...] = ()


def renew(conn: Connection, desk: DeskSchool, patron: Patron, barcode: str, *, request_id: str | None = None,
          override: Override | None = None, kiosk: bool = False, at: datetime | None = None) -> RenewResult:
    """Renew the patron's loan of this copy. The database decides (library.renew_loan, migration 0064):
    the blocks app.domain.library_rules.decide_renewal raises (another patron waits for the title,
    renewals used up, too many overdue as of today), each renewed past only with the librarian's
    override and a reason (never at the kiosk), recorded under their login; the new due date from
    the rules. A refusal comes back as the blocks, in the database's sentences; the same request id
    sent again renews once."""
    rid = lock_request(conn, request_id)
    at = at or datetime.now(timezone.utc)
    today = at.astimezone().date()
    item = item_by_barcode(conn, barcode, lock=True)
    cond, params = _patron_clause(patron, "c")
    loan = conn.execute(text(f"SELECT c.checkout_id, c.due_date FROM library.checkouts c "
                             f"WHERE c.item_id = :i AND c.return_date IS NULL AND {cond}"),
                        {**params, "i": item.item_id}).first()
    if loan is None:
        raise UserError(f"{item.title} is not checked out to {patron.name}: nothing to renew.")
    codes = sorted(override.codes) if override and not kiosk else []
    try:
        with conn.begin_nested():
            due = conn.execute(_RENEW, {"c": loan[0], "d": today, "r": rid, "codes": codes,
                                        "why": override.reason.strip() if codes else None}).scalar_one()
    except DBAPIError as exc:
        diag = getattr(exc.orig, "diag", None)
        if diag is not None and exc.orig.sqlstate == "42501" and (diag.message_detail or "").startswith("[["):
            blocks = tuple(Problem(code, message, True) for code, message in json.loads(diag.message_detail))
            return RenewResult(False, item.title, item.barcode, loan[1], blocks)
        if diag is not None and diag.message_primary == "an override needs a reason":
            raise UserError("An override needs a reason: type why you are renewing it anyway.") from None
        if diag is not None and exc.orig.sqlstate in ("42501", "22023", "23505") and diag.message_primary:
            msg = diag.message_primary  # another school's loan, a date out of range, a request id reused
            raise UserError(f"{msg[0].upper()}{msg[1:]}: nothing was renewed.") from None
        raise
    return RenewResult(True, item.title, item.barcode, due)


_RENEW = text("SELECT library.renew_loan(:c, :d, CAST(:r AS uuid), CAST(:codes AS text[]), :why)")


def new_request_id() -> str:
    return str(uuid.uuid4())
