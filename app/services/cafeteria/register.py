"""The register of one terminal: identify a student, price the ticket, decide the charge, take the
tenders, and journal the sale locally first — the line never waits on the network.

Every decision is made from the site snapshot (app/services/cafeteria/snapshot.py) and the
terminal's own journal: the balance used is the last-known balance minus what this terminal has
charged since (pending, or applied after the snapshot was taken). The journal's sender applies the
sales to PostgreSQL in the background (app/services/cafeteria/apply.py).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from app.domain import cafeteria_rules as R
from app.errors import UserError
from app.services.cafeteria import apply as A
from app.services.cafeteria.dto import (
    AlertDTO, AlertNotAcknowledged, DepositDraft, HomeroomDTO, JournalStatusDTO, MealServiceDTO, MenuItemDTO,
    NoteRequired, OverLimit, Quote, QuoteLine, RegisterSetup, RepeatScan, SaleDraft, SaleResult, StudentCard,
    StudentHit, TillClose, TillRow,
)
from app.services.cafeteria.snapshot import (
    GRADE_NUMBERS, SiteSnapshot, build_snapshot, grade_label, load_snapshot, save_snapshot,
)
from app.sync.journal import Journal, JournalConflict
from app.sync.journal_sender import JournalSender, is_transient

log = logging.getLogger(__name__)
DUPLICATE_SCAN_SECONDS = 10
SNAPSHOT_REFRESH_SECONDS = 180


def local_now() -> datetime:
    return datetime.now().astimezone()


class Register:
    def __init__(self, engine: Engine, journal: Journal, snapshot: SiteSnapshot, *, journal_dir: Path,
                 login: str, clock: Callable[[], datetime] = local_now, offline: bool = False) -> None:
        self.engine = engine
        self.journal = journal
        self.snapshot = snapshot
        self.journal_dir = journal_dir
        self.login = login
        self.clock = clock
        self.offline = offline
        self.sender = JournalSender(journal, engine, hold_connection=True)  # one connection per terminal
        self._visiting: dict[int, dict] = {}
        self._history_kept: tuple | None = None  # (student, journal generation, their entries)
        self._priced: tuple | None = None  # the last ticket priced: (what it was priced from, its pricing)
        self._till_id = journal.noted("till_id")  # the open till (this register alone opens and closes it)
        self._lock = threading.RLock()
        self._refresher: threading.Thread | None = None
        self._stop = threading.Event()

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, engine: Engine, journal_dir: Path | str, terminal_id: str, school_id: int | None = None, *,
             clock: Callable[[], datetime] = local_now) -> Register:
        """Open the terminal's journal and its site snapshot: fresh from PostgreSQL when it answers,
        else the last one saved here (a cold start with no network)."""
        journal_dir = Path(journal_dir)
        journal = Journal(journal_dir / f"{terminal_id}.journal", terminal_id)
        login = journal.noted("login")
        snapshot = None
        offline = False
        try:
            with engine.connect() as conn, conn.begin():
                conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
                who = conn.execute(text("SELECT login, school_ids FROM compliance.whoami()")).one()
                login = who.login
                school_id = school_id or (who.school_ids[0] if who.school_ids else None)
                if school_id is None:
                    raise UserError("Your sign-in serves no school, so there is no lunch line to open; "
                                    "ask an administrator to assign your school.")
                content = build_snapshot(conn, school_id, clock().date())
            journal.note("login", login)
            journal.note("school_id", str(school_id))
            save_snapshot(journal_dir / f"{terminal_id}.snapshot.json", content)
            snapshot = SiteSnapshot(content)
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001
            if not is_transient(exc):
                raise
            log.warning("register %s starts offline: %s", terminal_id, exc)
            offline = True
            content = load_snapshot(journal_dir / f"{terminal_id}.snapshot.json")
            if content is None:
                raise UserError("The database cannot be reached and this register has never loaded its school's "
                                "roster; connect it to the network once before serving offline.") from None
            snapshot = SiteSnapshot(content)
        return cls(engine, journal, snapshot, journal_dir=journal_dir, login=login or "unknown", clock=clock,
                   offline=offline)

    @property
    def terminal_id(self) -> str:
        return self.journal.terminal_id

    def start(self, refresh_seconds: float = SNAPSHOT_REFRESH_SECONDS) -> None:
        self.sender.start()
        self._stop.clear()
        self._refresher = threading.Thread(target=self._refresh_loop, args=(refresh_seconds,), daemon=True,
                                           name=f"snapshot-{self.terminal_id}")
        self._refresher.start()

    def stop(self) -> None:
        self._stop.set()
        self.sender.stop()
        if self._refresher is not None:
            self._refresher.join(5)

    def _refresh_loop(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            self.refresh_snapshot()

    def refresh_snapshot(self) -> bool:
        """Reload the site snapshot; False (and keep the old one) when PostgreSQL is away."""
        try:
            with self.engine.connect() as conn, conn.begin():
                conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
                content = build_snapshot(conn, self.snapshot.school_id, self.clock().date())
        except Exception as exc:  # noqa: BLE001
            if not is_transient(exc):
                log.exception("snapshot refresh failed")
            self.offline = True
            return False
        save_snapshot(self.journal_dir / f"{self.terminal_id}.snapshot.json", content)
        with self._lock:
            self.snapshot = SiteSnapshot(content)
            self.offline = False
        return True

    # -- what the screens show -------------------------------------------------------------------
    def setup(self) -> RegisterSetup:
        snap = self.snapshot
        c = snap.content
        offered = [s[0] for s in c["services"]] or list(R.SERVICES[:2])
        menus = {s[0]: set(s[3]) for s in c["services"] if s[3]}  # the items the manager offers at each service
        fkeys = {i[0]: i[8] for i in c["items"] if len(i) > 8}

        def sold_at(i) -> tuple[str, ...]:
            return tuple(k for k in ((i.meal_service,) if i.meal_service else offered)
                         if k not in menus or i.code in menus[k])
        items = tuple(MenuItemDTO(i.item_id, i.code, i.name, sold_at(i), i.category == "meal", i.a_la_carte_price,
                                  tuple(sorted({a.lower() for a in i.allergens} | {d.lower() for d in i.diet_flags})),
                                  fkeys.get(i.item_id))
                      for i in snap.items.values() if sold_at(i))
        till = self._till_id
        return RegisterSetup(snap.school_id, c["school_name"], self.terminal_id,
                             tuple(MealServiceDTO(k, R.SERVICE_NAMES[k]) for k in offered), items,
                             c["balance_display"], DUPLICATE_SCAN_SECONDS, till is not None, till,
                             self.current_service(), snap.version, self.offline)

    def current_service(self) -> str | None:
        now = self.clock().time()
        for key, start, end, _ in self.snapshot.content["services"]:
            if start and end and start <= now.isoformat() <= end:
                return key
        return None

    def _find(self, usi: int) -> dict | None:
        return self.snapshot.student(usi) or self._visiting.get(usi)

    def _card(self, s: dict) -> StudentCard:
        display = self.snapshot.content["balance_display"]
        history = self._history(s["usi"])
        balance = self.balance_of(s, history) if display == "always" else None
        pending = sum(1 for e in history if e.state == "pending")
        return StudentCard(s["usi"], s["uid"], f"{s['first']} {s['last']}", grade_label(s.get("grade")), None,
                           s.get("photo_url"), balance,
                           tuple(AlertDTO(a.kind, a.label, a.tags) for a in self.snapshot.alerts(s)),
                           pending, s.get("visiting_school"), self._seconds_since_last_sale(s["usi"], history),
                           Decimal(self.snapshot.content.get("low_balance_threshold") or "5.00"))

    def identify(self, code: str, how: str = "scan") -> StudentCard:
        typed = (code or "").strip()
        if not typed:
            raise UserError("Scan the student's card, or type their id or PIN.")
        uid = R.student_id_from_pin(typed) if how == "pin" else typed
        s = self.snapshot.by_uid.get(uid)
        if s is None:
            s = self._visiting_lookup(uid)
        if s.get("withdrawn"):
            raise UserError(f"{s['first']} {s['last']} withdrew from this school on {s['withdrawn']}; "
                            "serve them as a visitor with cash, or ask the office.")
        return self._card(s)

    def _visiting_lookup(self, uid: str) -> dict:
        try:
            with self.engine.connect() as conn, conn.begin():
                row = conn.execute(text("SELECT * FROM cafeteria.visiting_student(:u)"), {"u": uid}).first()
                if row is None:
                    raise UserError(f"No student has the id {uid}; scan the card again or search by name.")
                eligibility = conn.execute(text("SELECT cafeteria.visiting_eligibility(:s)"),
                                           {"s": row.studentusi}).scalar()
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001
            if not is_transient(exc):
                raise
            raise UserError(f"No student of this school has the id {uid}, and students of other schools can only be "
                            "looked up online; serve them with cash or try again when the network is back.") from None
        first, _, last = (row.name or "").partition(" ")
        s = {"usi": row.studentusi, "uid": row.studentuniqueid, "first": first, "last": last,
             "grade": GRADE_NUMBERS.get(row.grade), "withdrawn": None, "eligibility": R.normalize_eligibility(
                 eligibility), "balance": str(row.balance) if row.balance is not None else "0.00",
             "has_account": row.balance is not None,
             "allergies": [[a.strip(), "Severe" if row.severe_allergy else None, "Food"]
                           for a in (row.allergens or "").split(",") if a.strip()],
             "override": None, "meals_today": [], "visiting_school": row.school, "photo_url": row.photo_url}
        self._visiting[row.studentusi] = s
        return s

    def search(self, typed: str, limit: int = 20) -> list[StudentHit]:
        words = [w.lower() for w in (typed or "").split() if w]
        if not words:
            return []
        hits = []
        for s in self.snapshot.content["students"].values():
            if s.get("withdrawn"):
                continue
            names = (s["first"] or "").lower(), (s["last"] or "").lower()
            if all(any(n.startswith(w) for n in names) or s["uid"].startswith(w) for w in words):
                hits.append(s)
        hits.sort(key=lambda s: (s["last"], s["first"]))
        return [self._hit(s) for s in hits[:limit]]

    @staticmethod
    def _hit(s: dict) -> StudentHit:
        return StudentHit(s["usi"], s["uid"], f"{s['first']} {s['last']}", grade_label(s.get("grade")))

    def homerooms(self) -> list[HomeroomDTO]:
        return [HomeroomDTO(k, v) for k, v in sorted(self.snapshot.content["homerooms"].items())]

    def roster(self, homeroom_id: str) -> list[StudentHit]:
        kids = [s for s in self.snapshot.content["students"].values()
                if s.get("homeroom") == homeroom_id and not s.get("withdrawn")]
        return [self._hit(s) for s in sorted(kids, key=lambda s: (s["last"], s["first"]))]

    # -- balances from the snapshot and this terminal's own journal -------------------------------
    # Each step of a sale reads the student's entries in this terminal's journal once (`_history`, one
    # indexed SQLite query) and derives from them the balance, the meal already had and the last sale.
    def _history(self, usi: int) -> tuple:
        """This terminal's sales and deposits for the student, oldest first, any state. The scan, the ticket and
        the sale of one student read it once: it is kept until the journal is written again (a sale, a deposit,
        the sender marking one applied)."""
        generation = self.journal.generation  # read before the entries: a write meanwhile makes the next call re-read
        kept = self._history_kept
        if kept is not None and kept[0] == usi and kept[1] == generation:
            return kept[2]
        found = tuple(self.journal.entries_for(f"student:{usi}", kind=A.SALE_KIND))
        self._history_kept = (usi, generation, found)
        return found

    def balance_of(self, s: dict, history: list | None = None) -> Decimal:
        """Last-known balance minus this terminal's charges the snapshot does not include yet (pending, or
        applied after the snapshot was taken)."""
        taken = self.snapshot.taken_at
        entries = self._history(s["usi"]) if history is None else history
        return Decimal(s.get("balance") or "0.00") + sum(
            (Decimal(e.payload.get("account_amount", "0")) for e in entries
             if e.state == "pending" or (e.state == "applied" and e.applied_at is not None and e.applied_at >= taken)),
            Decimal("0.00"))

    def balance(self, student_usi: int) -> Decimal:
        s = self._find(student_usi)
        if s is None:
            raise UserError("Scan the student's card first.")
        return self.balance_of(s)

    def _had_reimbursable(self, s: dict, service: str, day, history: list | None = None) -> bool:
        if service in s.get("meals_today", ()) and self.snapshot.content["service_date"] == day.isoformat():
            return True
        for e in self._history(s["usi"]) if history is None else history:
            p = e.payload
            if p.get("service_date") == day.isoformat() and p.get("meal_service") == service and e.state != "held" \
                    and any(ln["entry_kind"] == "meal" for ln in p.get("lines", ())):
                return True
        return False

    def _seconds_since_last_sale(self, usi: int, history: list | None = None) -> int | None:
        entries = self._history(usi) if history is None else history
        if not entries:
            return None
        seconds = (datetime.now(timezone.utc) - entries[-1].created_at).total_seconds()
        return int(seconds) if seconds < DUPLICATE_SCAN_SECONDS else None

    # -- pricing and selling ---------------------------------------------------------------------
    def _price(self, s: dict | None, service: str, item_ids, adult: bool, history: list | None = None):
        """The ticket's items, priced lines and alerts. The ticket shown (quote) and the sale rung up (record_sale)
        share one pricing: it is kept while the student, the items, the snapshot, the day and the student's
        entries in the journal are the same."""
        key = (service, tuple(item_ids), adult, self.clock().date())
        kept = self._priced
        if kept is not None and kept[0] == key and kept[1] is s and kept[2] is history and kept[3] is self.snapshot:
            return kept[4]
        priced = self._price_now(s, service, item_ids, adult, history, key[-1])
        self._priced = (key, s, history, self.snapshot, priced)
        return priced

    def _price_now(self, s: dict | None, service: str, item_ids, adult: bool, history, day):
        if service not in R.SERVICES:
            raise UserError(f"'{service}' is not a meal service; choose breakfast, lunch or snack.")
        items = []
        for i in item_ids:
            item = self.snapshot.items.get(int(i))
            if item is None:
                raise UserError("An item on the ticket is no longer on the menu; take it off and scan it again.")
            items.append(item)
        if not items:
            raise UserError("The ticket is empty; add a meal or an item.")
        lines = R.price_lines(items, service=service, groups=self.snapshot.groups,
                              grade=s.get("grade") if s else None,
                              eligibility=s.get("eligibility", "paid") if s else "paid", adult=adult or s is None,
                              cep=bool(self.snapshot.content["cep"]) and not adult,
                              had_reimbursable=bool(s) and self._had_reimbursable(s, service, day, history),
                              alternate_item_id=self.snapshot.content.get("alternate_item_id"))
        alerts: list[R.Alert] = []
        if s is not None:
            student_alerts = self.snapshot.alerts(s)
            for item in items:
                alerts += [a for a in R.conflicts(student_alerts, item) if a not in alerts]
        return items, lines, alerts

    def quote(self, student_usi: int | None, service: str, item_ids, *, adult: bool = False) -> Quote:
        s = self._find(student_usi) if student_usi is not None else None
        history = self._history(s["usi"]) if s is not None else None
        _, lines, alerts = self._price(s, service, item_ids, adult, history)
        total = sum((ln.price for ln in lines), Decimal("0.00"))
        decision = R.ChargeDecision(True)
        if s is not None:
            decision = R.decide_charge(self.balance_of(s, history), lines, total, self.snapshot.limits(s))
        return Quote(tuple(QuoteLine(ln.item_id, ln.name, ln.price, ln.entry_kind == "meal") for ln in lines), total,
                     tuple(AlertDTO(a.kind, a.label, a.tags) for a in alerts), decision.needs_override,
                     self.snapshot.content.get("alternate_item_id") if decision.needs_override else None,
                     decision.message)

    def record_sale(self, draft: SaleDraft) -> SaleResult:
        with self._lock:
            s = history = None
            if not draft.adult and draft.student_usi is not None:
                s = self._find(draft.student_usi)
            if s is not None:  # the sale rung up already (a repeated submit) is among the student's entries
                history = self._history(s["usi"])
            sale_id = _ticket_id(draft.sale_id)
            done = self._already(sale_id, history)
            if done is not None:
                return done
            if not draft.adult:
                if s is None:
                    raise UserError("Scan the student's card first, or ring the sale up for an adult.")
                if s.get("withdrawn"):
                    raise UserError(f"{s['first']} {s['last']} has withdrawn; serve them as a visitor with cash.")
                ago = self._seconds_since_last_sale(s["usi"], history)
                if ago is not None and not draft.confirm_repeat:
                    raise RepeatScan(f"{s['first']} {s['last']}", ago)
            items, lines, alerts = self._price(s, draft.service, draft.item_ids, draft.adult, history)
            missing = tuple(AlertDTO(a.kind, a.label, a.tags) for a in alerts if a.label not in draft.acknowledged)
            if missing:
                raise AlertNotAcknowledged(missing)
            total = sum((ln.price for ln in lines), Decimal("0.00"))
            tenders = draft.tenders or ((_Tender("account", total),) if s is not None else ())
            t = R.settle_tenders(total, tenders, has_account=s is not None)
            till_id = self._till_id
            if (t.cash or t.check) and till_id is None:
                raise UserError("Open the till before taking cash or checks.")
            balance = self.balance_of(s, history) if s is not None else None
            overridden = bool(draft.override_by and (draft.override_reason or "").strip())
            if s is not None:
                decision = R.decide_charge(balance, lines, t.account, self.snapshot.limits(s), overridden=overridden)
                if not decision.ok:
                    if decision.needs_override:
                        raise OverLimit(decision.message, self.snapshot.content.get("alternate_item_id"))
                    raise UserError(decision.message)
            amounts = R.allocate_account(lines, t.account)
            payload = self._payload(sale_id, "sale", s, draft.service, total, t, balance, draft.adult, [
                {"line_no": ln.line_no, "entry_kind": ln.entry_kind, "item_id": ln.item_id, "price": str(ln.price),
                 "amount": str(amt), "eligibility": "adult" if s is None else s.get("eligibility")}
                for ln, amt in zip(lines, amounts, strict=True)] if s is not None else [], till_id)
            payload.update(alert_acknowledged=bool(alerts), override_by=draft.override_by if overridden else None,
                           reason=(draft.override_reason or "").strip() or None if overridden else None)
            entry = self._append(payload, s, sale_id)
            after = balance - t.account if balance is not None else None
            return SaleResult(str(entry.entry_id), total, t.change, self._shown(after), self.journal.pending_count())

    def _shown(self, balance: Decimal | None) -> Decimal | None:
        return balance if self.snapshot.content["balance_display"] != "never" else None

    def _already(self, sale: uuid.UUID, history: tuple | None = None) -> SaleResult | None:
        """The result of a sale already journaled with this id; `history`, the student's entries, when read."""
        if history is not None:
            e = next((h for h in history if h.entry_id == sale), None)
        else:
            e = self.journal.entry(sale)
        if e is None:
            return None
        p = e.payload
        return SaleResult(str(e.entry_id), Decimal(p["total"]), Decimal(p.get("change_given", "0")), None,
                          self.journal.pending_count())

    def _payload(self, sale_id: uuid.UUID, kind, s, service, total, t, balance, adult, lines,
                 till_id: str | None = None) -> dict:
        now = self.clock()
        return {
            "sale_uuid": str(sale_id), "kind": kind, "school_id": self.snapshot.school_id,
            "service_date": now.date().isoformat(), "meal_service": service,
            "student_usi": s["usi"] if s is not None else None, "customer": "adult" if adult or s is None else "student",
            "till_id": till_id, "total": str(total), "account_amount": str(-t.account),
            "cash_amount": str(t.cash), "cash_tendered": str(t.cash_tendered), "change_given": str(t.change),
            "check_amount": str(t.check), "check_number": t.check_number, "snapshot_version": self.snapshot.version,
            "decided_balance": str(balance) if balance is not None else None, "offline": self.offline,
            "sold_at": now.astimezone(timezone.utc).isoformat(), "local_time": now.time().replace(
                microsecond=0).isoformat(), "cashier": self.login, "lines": lines,
            "needs_account": s is not None and not s.get("has_account"),
        }

    def _append(self, payload: dict, s: dict | None, entry_id: uuid.UUID):
        try:
            entry = self.journal.append(A.SALE_KIND, payload, entry_id=entry_id,
                                        subject=f"student:{s['usi']}" if s is not None else None)
        except JournalConflict:
            raise UserError("This ticket was already rung up with other items; start a new ticket.") from None
        self.sender.offer(entry)  # the sender sends it as written, without reading it back
        return entry

    def record_deposit(self, draft: DepositDraft) -> Decimal | None:
        with self._lock:
            deposit_id = _ticket_id(draft.deposit_id)
            if self.journal.entry(deposit_id) is not None:
                return None
            s = self._find(draft.student_usi)
            if s is None:
                raise UserError("Scan the student's card first.")
            amount = parse_deposit(draft.amount, Decimal(self.snapshot.content["max_deposit"]))
            if draft.kind not in ("cash", "check"):
                raise UserError("A deposit at the register is cash or a check.")
            if self._till_id is None:
                raise UserError("Open the till before taking a deposit.")
            tender = _Tender(draft.kind, amount, check_number=draft.check_number)
            t = R.settle_tenders(amount, (tender,), has_account=True)
            balance = self.balance_of(s)
            payload = self._payload(deposit_id, "deposit", s, None, amount, t, balance, False, [
                {"line_no": 1, "entry_kind": "deposit", "item_id": None, "price": None, "amount": str(amount),
                 "eligibility": None}], self._till_id)
            payload["account_amount"] = str(amount)
            self._append(payload, s, deposit_id)
            return self._shown(balance + amount)

    # -- the journal and leaving -----------------------------------------------------------------
    def journal_status(self) -> JournalStatusDTO:
        st = self.journal.status()
        return JournalStatusDTO(st.pending, st.held, st.last_sync_at, not st.last_error)

    def may_close(self) -> str | None:
        n = self.journal.pending_count()
        if n:
            return (f"{n} sale{'s are' if n > 1 else ' is'} not yet sent to the school's database; "
                    "wait for the network (the status bar counts them down) before signing out, quitting or "
                    "closing the till.")
        return None

    def send_now(self):
        return self.sender.send_pending()

    # -- the till --------------------------------------------------------------------------------
    def open_till(self, starting_cash: Decimal | str, request_id: str) -> TillRow:
        with self._lock:
            if self._till_id:
                raise UserError("The till of this register is already open; close it before opening another.")
            cash = parse_deposit(starting_cash, Decimal("1000.00"), what="starting cash", allow_zero=True)
            till_id = str(uuid.UUID(str(request_id)))
            now = self.clock()
            self.journal.append(A.TILL_KIND, {"till_id": till_id, "school_id": self.snapshot.school_id,
                                              "opening_cash": str(cash), "opened_at": now.isoformat()},
                                entry_id=uuid.UUID(till_id))
            self.journal.note("till_id", till_id)
            self._till_id = till_id
            self.sender.wake()
            return TillRow(till_id, self.login, self.terminal_id, now, cash, None, None)

    def close_till(self, counts: dict, note: str, request_id: str | None = None) -> TillClose:
        till_id = self._till_id
        if till_id is None:
            raise UserError("No till is open on this register.")
        self.sender.send_pending()
        refusal = self.may_close()
        if refusal:
            raise UserError(refusal)
        counted = {str(k): (float(v) if str(k) == "checks" else int(v)) for k, v in counts.items() if v}
        try:
            with self.engine.begin() as conn:
                row = conn.execute(text("SELECT * FROM cafeteria.close_till(:t, CAST(:c AS jsonb), :n)"),
                                   {"t": till_id, "c": json.dumps(counted), "n": note or ""}).one()
        except Exception as exc:  # noqa: BLE001
            msg = str(getattr(exc, "orig", exc)).splitlines()[0]
            if "say why in a note" in msg:
                expected = _expected_from(msg)
                counted_total = _counted_from(msg)
                raise NoteRequired(f"The count is {R.money(counted_total)}, {R.money(expected)} was expected: "
                                   "write a note saying why before closing.",
                                   TillClose(till_id, expected, counted_total)) from None
            if is_transient(exc):
                raise UserError("The database cannot be reached, so the till cannot be closed now; "
                                "try again when the network is back.") from None
            if "unknown denomination" in msg or "whole number" in msg:
                raise UserError(f"The count is not valid: {msg}.") from None
            raise
        self.journal.note("till_id", None)
        self._till_id = None
        return TillClose(till_id, Decimal(row.expected_total), Decimal(row.counted_total))

    def verify_supervisor(self, login: str, password: str) -> str:
        """A cafeteria manager approves an override with their own sign-in (online)."""
        eng = None
        try:
            eng = create_engine(self.engine.url.set(username=login, password=password), poolclass=NullPool,
                                hide_parameters=True)
            with eng.connect() as conn:
                ok = conn.execute(text("SELECT pg_has_role(session_user, 'so_cafeteria_manager', 'MEMBER')")).scalar()
        except Exception:  # noqa: BLE001
            raise UserError("That supervisor sign-in did not work; check the name and password.") from None
        finally:
            if eng is not None:
                eng.dispose()
        if not ok:
            raise UserError(f"{login} is not a cafeteria manager; ask a supervisor to approve.")
        return login


def _ticket_id(value) -> uuid.UUID:
    """A ticket's id (a sale's or a deposit's), read once."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise UserError("The ticket's id is not valid; start the ticket again.") from None


class _Tender:
    def __init__(self, kind: str, amount: Decimal, tendered=None, check_number=None) -> None:
        self.kind, self.amount, self.tendered, self.check_number = kind, amount, tendered, check_number


def parse_deposit(value, maximum: Decimal, *, what: str = "deposit", allow_zero: bool = False) -> Decimal:
    """A deposit typed or passed: positive, numeric, two places, not absurd; one sentence otherwise."""
    typed = str(value if value is not None else "").strip().replace("$", "").replace(",", "")
    try:
        amount = Decimal(typed)
    except InvalidOperation:
        raise UserError(f"The {what} must be a number of dollars, for example 20.00; \"{value}\" is not.") from None
    if not amount.is_finite():
        raise UserError(f"The {what} must be a number of dollars, for example 20.00.")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise UserError(f"The {what} must be more than $0.00; type the amount without a minus sign.")
    if amount != amount.quantize(R.CENT):
        raise UserError(f"The {what} has more than two decimal places; type dollars and cents.")
    if amount > maximum:
        raise UserError(f"A {what} of {R.money(amount)} is more than the {R.money(maximum)} allowed at the register; "
                        "check the amount.")
    return amount.quantize(R.CENT)


def _expected_from(msg: str) -> Decimal:
    m = re.search(r"count is (-?[\d.]+) against (-?[\d.]+) expected", msg)
    return Decimal(m.group(2)) if m else Decimal("0")


def _counted_from(msg: str) -> Decimal:
    m = re.search(r"count is (-?[\d.]+) against", msg)
    return Decimal(m.group(1)) if m else Decimal("0")

