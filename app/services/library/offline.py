"""Circulation that keeps working when PostgreSQL is out of reach.

While online the desk caches what a decision needs (the rules matrix, its school's copies, its
patrons' loans and the holds queue: `build_cache`). Offline, `OfflineDesk` decides with the same
app.domain.library_rules code over that cache and the entries it has journaled since, and writes
each checkout, check-in and renewal to the terminal's local journal (app/sync/journal.py) with a
UUID. The journal's sender applies them to PostgreSQL exactly once, in the terminal's order, with
the time the desk recorded.

On arrival the database may disagree: the copy was checked out elsewhere meanwhile, a hold was
placed, a block applies now. The entry is still applied as the desk recorded it (the book is in
the patron's hands) and a conflict with both sides goes to library.sync_conflicts for the
librarian's review list; a checkin never closes a loan made after it. Nothing is skipped: an
entry that can never apply (an unknown copy) is held and flagged by the journal.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import Connection, text

from app.domain.library_rules import Decision, LoanSituation, Rule, decide_checkout, decide_renewal, patron_category
from app.errors import UserError
from app.services.library import circulation as circ
from app.services.library.patrons import DeskSchool, desk_school, staff_patron, student_patron
from app.sync.journal import Journal, JournalEntry, Refused, register_kind

CHECKOUT, CHECKIN, RENEW = "library.checkout", "library.checkin", "library.renew"


# -- the cache ---------------------------------------------------------------------------------------
def build_cache(conn: Connection, desk: DeskSchool, today: date | None = None) -> dict:
    """Everything an offline decision at this desk needs, as plain JSON."""
    today = today or date.today()
    rules = [asdict(r) for r in circ.load_rules(conn)]
    items = {r[0]: {"type": r[1], "status": r[2], "resource_id": r[3], "title": r[4], "school_id": r[5],
                    "holder": r[6]} for r in conn.execute(text(
        "SELECT i.barcode, i.item_type, i.status, i.resource_id, r.title, i.school_id, "
        "(SELECT coalesce('student:' || c.student_usi, 'staff:' || c.staff_usi) FROM library.checkouts c "
        " WHERE c.item_id = i.item_id AND c.return_date IS NULL) "
        "FROM library.items i JOIN library.resources r ON r.resource_id = i.resource_id WHERE i.school_id = :s"),
        {"s": desk.school_id})}
    patrons: dict[str, dict] = {}
    for usi, card, name, grade in conn.execute(text(
            "SELECT s.studentusi, s.studentuniqueid, s.lastsurname || ', ' || coalesce(s.preferredfirstname, s.firstname), "
            "(SELECT d.codevalue FROM edfi.studentschoolassociation a JOIN edfi.descriptor d "
            "  ON d.descriptorid = a.entrygradeleveldescriptorid WHERE a.studentusi = s.studentusi "
            "  ORDER BY (a.exitwithdrawdate IS NULL) DESC, a.entrydate DESC LIMIT 1) "
            "FROM edfi.student s JOIN compliance.student_scope sc ON sc.studentusi = s.studentusi "
            "AND sc.schoolid = :s"), {"s": desk.school_id}):
        patrons[f"student:{usi}"] = {"card": card, "name": name, "category": patron_category(grade), "loans": []}
    for key, itype, due in conn.execute(text(
            "SELECT coalesce('student:' || c.student_usi, 'staff:' || c.staff_usi), i.item_type, c.due_date "
            "FROM library.checkouts c JOIN library.items i ON i.item_id = c.item_id WHERE c.return_date IS NULL")):
        if key in patrons:
            patrons[key]["loans"].append([itype, due.isoformat()])
    holds: dict[str, list[str]] = {}
    for rid, key in conn.execute(text(
            "SELECT resource_id, coalesce('student:' || student_usi, 'staff:' || staff_usi) FROM library.holds "
            "WHERE status IN ('waiting', 'ready') ORDER BY placed_at")):
        holds.setdefault(str(rid), []).append(key)
    return {"school_id": desk.school_id, "school": desk.name, "scheme": desk.barcode_scheme,
            "hold_shelf_days": desk.hold_shelf_days, "built": today.isoformat(), "rules": rules, "items": items,
            "patrons": patrons, "holds": holds}


def save_cache(path: Path, cache: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cache), encoding="utf-8")
    tmp.replace(path)  # a crash mid-write leaves the previous cache whole


def load_cache(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError("This desk has no offline copy of the rules yet: it needs to be online once first.") from None


# -- deciding and journaling offline ---------------------------------------------------------------
@dataclass(frozen=True)
class OfflineResult:
    done: bool
    title: str
    barcode: str
    due: date | None
    decision: Decision | None
    entry_id: uuid.UUID | None


class OfflineDesk:
    """The desk's circulation while PostgreSQL is away: the cached policy plus the local journal."""

    def __init__(self, journal: Journal, cache: dict, workstation: str = "") -> None:
        self.journal, self.cache, self.workstation = journal, cache, workstation
        self.rules = [Rule(**r) for r in cache["rules"]]

    def _state(self):
        """The cache, brought forward by what this terminal has journaled and not yet sent."""
        holder = {b: i["holder"] for b, i in self.cache["items"].items()}
        loans = {k: [tuple(x) for x in p["loans"]] for k, p in self.cache["patrons"].items()}
        for e in self.journal.pending_entries():
            b, k = e.payload.get("barcode"), e.payload.get("patron")
            if e.kind == CHECKOUT:
                old = holder.get(b)
                if old and old in loans and loans[old]:
                    loans[old].pop()
                holder[b] = k
                loans.setdefault(k, []).append((self.cache["items"].get(b, {}).get("type", "book"), e.payload["due"]))
            elif e.kind == CHECKIN and holder.get(b):
                if holder[b] in loans and loans[holder[b]]:
                    loans[holder[b]].pop()
                holder[b] = None
        return holder, loans

    def patron(self, key: str) -> dict:
        p = self.cache["patrons"].get(key)
        if p is None:
            raise UserError("That patron is not in this desk's offline list: note the loan on paper.")
        return p

    def check_out(self, key: str, barcode: str, at: datetime, override_codes: frozenset[str] = frozenset(),
                  reason: str = "", entry_id: uuid.UUID | None = None) -> OfflineResult:
        item = self.cache["items"].get(barcode.strip())
        if item is None:
            raise UserError(f"No copy has barcode {barcode.strip()!r} in this desk's offline catalogue.")
        p = self.patron(key)
        holder, loans = self._state()
        today = at.astimezone().date()
        mine = loans.get(key, [])
        by_type: dict[str, int] = {}
        for t, _ in mine:
            by_type[t] = by_type.get(t, 0) + 1
        overdue = sum(1 for _, due in mine if date.fromisoformat(due) < today)
        waiting = self.cache["holds"].get(str(item["resource_id"]), [])
        other_hold = next((k for k in waiting if k != key), None)
        h = holder.get(barcode)
        status = "checked_out" if h else ("available" if item["status"] == "checked_out" else item["status"])
        sit = LoanSituation(today, self.cache["school_id"], p["category"], item["type"], status, by_type, overdue,
                            self.cache["patrons"].get(h, {}).get("name", "another patron") if h and h != key else None,
                            h == key, self.cache["patrons"].get(other_hold, {}).get("name", "another patron")
                            if other_hold and key not in waiting[:1] else None, self.rules)
        d = decide_checkout(sit)
        open_problems = [x for x in d.blocks + d.warnings if x.code not in override_codes]
        if open_problems:
            return OfflineResult(False, item["title"], barcode, d.due, d, None)
        if any(b.code in override_codes for b in d.blocks) and len(reason.strip()) < 3:
            raise UserError("An override needs a reason: type why you are lending it anyway.")
        e = self.journal.append(CHECKOUT, {"school_id": self.cache["school_id"], "barcode": barcode.strip(),
                                           "patron": key, "at": at.astimezone(timezone.utc).isoformat(),
                                           "due": d.due.isoformat(), "codes": sorted(override_codes),
                                           "reason": reason.strip(), "workstation": self.workstation},
                                subject=key, entry_id=entry_id)
        return OfflineResult(True, item["title"], barcode, d.due, d, e.entry_id)

    def check_in(self, barcode: str, at: datetime, entry_id: uuid.UUID | None = None) -> OfflineResult:
        item = self.cache["items"].get(barcode.strip())
        title = item["title"] if item else "(a copy of another school)"
        e = self.journal.append(CHECKIN, {"school_id": self.cache["school_id"], "barcode": barcode.strip(),
                                          "at": at.astimezone(timezone.utc).isoformat(),
                                          "workstation": self.workstation}, entry_id=entry_id)
        return OfflineResult(True, title, barcode, None, None, e.entry_id)

    def renew(self, key: str, barcode: str, at: datetime, entry_id: uuid.UUID | None = None) -> OfflineResult:
        item = self.cache["items"].get(barcode.strip())
        holder, loans = self._state()
        if item is None or holder.get(barcode.strip()) != key:
            raise UserError("That copy is not checked out to this patron: nothing to renew.")
        p = self.patron(key)
        today = at.astimezone().date()
        waiting = [k for k in self.cache["holds"].get(str(item["resource_id"]), []) if k != key]
        d = decide_renewal(self.rules, today, self.cache["school_id"], p["category"], item["type"], 0, bool(waiting), 0)
        if d.blocks:
            return OfflineResult(False, item["title"], barcode, None, d, None)
        e = self.journal.append(RENEW, {"school_id": self.cache["school_id"], "barcode": barcode.strip(), "patron": key,
                                        "at": at.astimezone(timezone.utc).isoformat(), "due": d.due.isoformat(),
                                        "workstation": self.workstation}, subject=key, entry_id=entry_id)
        return OfflineResult(True, item["title"], barcode, d.due, d, e.entry_id)


# -- applying journal entries to PostgreSQL (in the sender's transaction) ----------------------------
def _patron(conn, key: str):
    kind, _, num = key.partition(":")
    try:
        return student_patron(conn, int(num)) if kind == "student" else staff_patron(conn, int(num))
    except UserError as exc:
        raise Refused(f"patron {key}: {exc}") from None


def _conflict(conn, entry: JournalEntry, kind: str, action: str, item_id, patron, desk: DeskSchool,
              server_side: dict) -> None:
    conn.execute(text(
        "INSERT INTO library.sync_conflicts (request_id, kind, action, student_usi, item_id, school_id, workstation, "
        "recorded_at, offline_side, server_side) VALUES (:r, :k, :a, :su, :i, :s, :w, :at, CAST(:o AS jsonb), "
        "CAST(:srv AS jsonb)) ON CONFLICT (request_id) DO NOTHING"),
        {"r": str(entry.entry_id), "k": kind, "a": action, "su": patron.student_usi if patron else None, "i": item_id,
         "s": desk.school_id, "w": entry.payload.get("workstation"), "at": entry.payload["at"],
         "o": json.dumps(entry.payload), "srv": json.dumps(server_side, default=str)})


def apply_checkout(conn: Connection, entry: JournalEntry) -> dict:
    p = entry.payload
    desk = desk_school(conn, p["school_id"])
    patron = _patron(conn, p["patron"])
    at = datetime.fromisoformat(p["at"])
    try:
        facts = circ.checkout_facts(conn, patron, p["barcode"], str(entry.entry_id))
    except UserError as exc:
        raise Refused(str(exc)) from None
    if facts.prior is not None:
        return {"checkout_id": facts.prior["checkout_id"]}
    item = facts.item
    if item.school_id != desk.school_id:
        raise Refused(f"copy {p['barcode']} belongs to another school")
    sit, ids = circ.situation(conn, desk, patron, facts, at.astimezone().date())
    d = decide_checkout(sit)
    approved = set(p.get("codes", ()))
    new = [x for x in d.blocks + d.warnings if x.code not in approved]
    if new:
        loan = ids["loan"]
        server = {"problems": [{"code": x.code, "message": x.message} for x in new]}
        if loan is not None:
            server["open_loan"] = {k: loan[k] for k in ("checkout_id", "student_usi", "staff_usi", "checked_out_at")}
        kind = "already_out" if any(x.code == "out_to_other" for x in new) else \
            "hold_placed" if any(x.code == "on_hold_other" for x in new) else "blocked_now"
        _conflict(conn, entry, kind, "checkout", item.item_id, patron, desk, dict(server))
    override = circ.Override(frozenset(x.code for x in d.blocks + d.warnings),
                             p.get("reason") or "recorded offline at the desk")
    # the due date the patron was told
    r = circ._lend(conn, desk, patron, item, d, ids, str(entry.entry_id), override, at, at.astimezone().date(),
                   due=date.fromisoformat(p["due"]) if p.get("due") else None)
    return {"checkout_id": r.checkout_id}


def apply_checkin(conn: Connection, entry: JournalEntry) -> dict:
    p = entry.payload
    desk = desk_school(conn, p["school_id"])
    at = datetime.fromisoformat(p["at"])
    owner = conn.execute(text("SELECT item_id, school_id FROM library.items WHERE barcode = :b"),
                         {"b": p["barcode"]}).first()
    if owner is None:
        raise Refused(f"no copy has barcode {p['barcode']}")
    if owner[1] == desk.school_id:
        newer = conn.execute(text("SELECT checkout_id, student_usi, staff_usi, checked_out_at FROM library.checkouts "
                                  "WHERE item_id = :i AND return_date IS NULL AND checked_out_at > :at"),
                             {"i": owner[0], "at": at}).mappings().first()
        if newer is not None:  # lent again after this check-in: that loan stands
            _conflict(conn, entry, "lent_after_checkin", "checkin", owner[0], None, desk, {"open_loan": dict(newer)})
            return {"skipped_newer_loan": newer["checkout_id"]}
    r = circ.check_in(conn, desk, p["barcode"], at=at)
    return {"was_out": r.was_out, "days_late": r.days_late, "route": r.route}


def apply_renew(conn: Connection, entry: JournalEntry) -> dict:
    p = entry.payload
    desk = desk_school(conn, p["school_id"])
    patron = _patron(conn, p["patron"])
    at = datetime.fromisoformat(p["at"])
    r = circ.renew(conn, desk, patron, p["barcode"], request_id=str(entry.entry_id), at=at,
                   override=circ.Override(frozenset(), ""))
    if r.done:
        return {"due": r.due.isoformat()}
    item = circ.item_by_barcode(conn, p["barcode"])
    _conflict(conn, entry, "renewal_refused_now", "renew", item.item_id, patron, desk,
              {"problems": [{"code": b.code, "message": b.message} for b in r.blocks]})
    forced = circ.renew(conn, desk, patron, p["barcode"], request_id=str(entry.entry_id), at=at,
                        override=circ.Override(frozenset(b.code for b in r.blocks), "renewed offline at the desk"))
    return {"due": forced.due.isoformat() if forced.due else None, "conflict": True}


register_kind(CHECKOUT, apply_checkout)
register_kind(CHECKIN, apply_checkin)
register_kind(RENEW, apply_renew)


# -- the review list -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConflictLine:
    conflict_id: int
    kind: str
    action: str
    recorded_at: datetime
    patron: str | None
    title: str | None
    offline_side: dict
    server_side: dict
    resolved: bool


def review_list(conn: Connection, desk: DeskSchool, include_resolved: bool = False) -> list[ConflictLine]:
    rows = conn.execute(text(
        "SELECT k.conflict_id, k.kind, k.action, k.recorded_at, "
        "s.lastsurname || ', ' || coalesce(s.preferredfirstname, s.firstname), r.title, k.offline_side, k.server_side, "
        "k.resolved_at IS NOT NULL FROM library.sync_conflicts k LEFT JOIN edfi.student s ON s.studentusi = k.student_usi "
        "LEFT JOIN library.items i ON i.item_id = k.item_id LEFT JOIN library.resources r ON r.resource_id = i.resource_id "
        "WHERE k.school_id = :s AND (:all OR k.resolved_at IS NULL) ORDER BY k.recorded_at"),
        {"s": desk.school_id, "all": include_resolved}).all()
    return [ConflictLine(*r) for r in rows]


def resolve_conflict(conn: Connection, conflict_id: int, resolution: str) -> None:
    if len(resolution.strip()) < 3:
        raise UserError("Say what you did about it (a few words), so the next person knows.")
    n = conn.execute(text("UPDATE library.sync_conflicts SET resolved_at = now(), resolved_by = session_user, "
                          "resolution = :r WHERE conflict_id = :c AND resolved_at IS NULL"),
                     {"r": resolution.strip(), "c": conflict_id}).rowcount
    if n == 0:
        raise UserError("That conflict is already resolved.")
