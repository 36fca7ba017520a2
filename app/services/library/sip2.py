"""A SIP2 (v2.00) server, so self-check machines and vendor logins work against our rules.

Messages: 93/94 login, 99/98 status, 23/24 patron status, 63/64 patron information, 17/18 item
information, 11/12 checkout, 09/10 checkin, 29/30 renew, 35/36 end session, 97 resend. Error
detection: AY sequence number and AZ checksum (the sum of the bytes through "AZ", negated, low
16 bits, four upper-case hex digits); a message whose checksum is wrong gets 96 (please resend).
A message ends at carriage return (a following line feed is accepted).

The SC's 93 login names a School Office sign-in (CN/CO): every later message runs as that login,
so the database's row-level security and the desk's own rules apply, self-check style (no
overrides). Loopback by default.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, text

from app.errors import UserError
from app.services.library import circulation as circ
from app.services.library.patrons import desk_school, patron_account, patron_by_card

log = logging.getLogger(__name__)


def checksum(message: str) -> str:
    """The AZ value for `message`, which runs through 'AZ'."""
    return f"{(-sum(message.encode('latin-1', 'replace'))) & 0xFFFF:04X}"


def verify(message: str) -> bool:
    """True when the message carries no checksum or a correct one."""
    at = message.rfind("AZ")
    if at < 0 or len(message) < at + 6:
        return at < 0
    return checksum(message[:at + 2]) == message[at + 2:at + 6].upper()


def with_checksum(body: str, seq: str | None) -> str:
    if seq is None:
        return body
    msg = f"{body}AY{seq}AZ"
    return msg + checksum(msg)


def sip_date(now: datetime | None = None) -> str:
    return (now or datetime.now()).strftime("%Y%m%d    %H%M%S")


def fields(message: str, fixed: int) -> dict[str, str]:
    """The variable fields after `fixed` characters: two-letter id, value, '|'."""
    out: dict[str, str] = {}
    for part in message[fixed:].split("|"):
        if len(part) >= 2 and part[:2] not in ("AY", "AZ"):
            out.setdefault(part[:2], part[2:])
    return out


def _strip_error_detection(message: str) -> tuple[str, str | None]:
    at = message.rfind("AY")
    if at >= 0 and "AZ" in message[at:]:
        return message[:at], message[at + 2:message.index("AZ", at)]
    return message, None


def _yn(b: bool) -> str:
    return "Y" if b else "N"


class Sip2Session:
    """One SC connection: its login, its last response (for 97), its answers."""

    def __init__(self, connect: Callable[[str, str], Engine], institution: str = "") -> None:
        self.connect = connect
        self.engine: Engine | None = None
        self.institution = institution
        self.last_response = ""

    def handle(self, raw: str) -> str:
        raw = raw.rstrip("\r\n")
        if raw.startswith("97"):
            return self.last_response or "96"
        if not verify(raw):
            return "96"
        body, seq = _strip_error_detection(raw)
        try:
            reply = self._dispatch(body[:2], body)
        except UserError as exc:
            log.info("sip2 %s refused: %s", body[:2], exc)
            reply = self._refusal(body[:2], str(exc))
        except Exception:
            log.exception("sip2 message %s failed", body[:2])
            reply = self._refusal(body[:2], "The library system could not do that; ask the librarian.")
        self.last_response = with_checksum(reply, seq)
        return self.last_response

    # -- messages --------------------------------------------------------------------------------------
    def _dispatch(self, code: str, m: str) -> str:
        if code == "93":
            f = fields(m, 4)
            try:
                self.engine = self.connect(f.get("CN", ""), f.get("CO", ""))
                if self.institution == "":
                    self.institution = f.get("CP", "")
                return "941"
            except Exception as exc:  # a wrong password, an unknown login
                log.info("sip2 login %s refused: %s", f.get("CN"), exc)
                return "940"
        if code == "99":
            ok = self.engine is not None
            return (f"98{_yn(ok)}{_yn(ok)}{_yn(ok)}YNN030003{sip_date()}2.00AO{self.institution}|AMSchool Office|"
                    f"BX{'YYYNYNYYYYNNYYNN'}|")
        if self.engine is None:
            raise UserError("Sign in first (93).")
        handler = {"23": self._patron_status, "63": self._patron_info, "17": self._item_info, "11": self._checkout,
                   "09": self._checkin, "29": self._renew, "35": self._end}.get(code)
        if handler is None:
            raise UserError(f"Message {code} is not supported.")
        with self.engine.begin() as conn:
            return handler(conn, m)

    def _patron(self, conn, card: str):
        return patron_by_card(conn, card) if card else None

    def _patron_status(self, conn, m: str) -> str:
        f = fields(m, 23)
        p = self._patron(conn, f.get("AA", ""))
        if p is None:
            return f"24{'Y' * 4}{' ' * 10}000{sip_date()}AO{f.get('AO', '')}|AA{f.get('AA', '')}|AE|BLN|CQN|"
        acct = patron_account(conn, p)
        status = ("Y" if acct.overdue_count else " ") + " " * 13
        return f"24{status}000{sip_date()}AO{f.get('AO', '')}|AA{p.card}|AE{p.name}|BLY|CQY|"

    def _patron_info(self, conn, m: str) -> str:
        f = fields(m, 33)
        p = self._patron(conn, f.get("AA", ""))
        if p is None:
            return f"64{'Y' * 4}{' ' * 10}000{sip_date()}{'0000' * 6}AO{f.get('AO', '')}|AA{f.get('AA', '')}|AE|BLN|"
        acct = patron_account(conn, p)
        counts = f"{len(acct.holds):04d}{acct.overdue_count:04d}{len(acct.loans):04d}000000000000"
        items = "".join(f"AU{x.barcode}|" for x in acct.loans) + \
            "".join(f"AT{x.barcode}|" for x in acct.loans if x.overdue)
        return f"64{' ' * 14}000{sip_date()}{counts}AO{f.get('AO', '')}|AA{p.card}|AE{p.name}|BLY|CQY|{items}"

    def _item_info(self, conn, m: str) -> str:
        f = fields(m, 20)
        code = f.get("AB", "")
        row = conn.execute(text(
            "SELECT i.status, r.title, i.call_number, eo.nameofinstitution, "
            "(SELECT c.due_date FROM library.checkouts c WHERE c.item_id = i.item_id AND c.return_date IS NULL), "
            "(SELECT count(*) FROM library.holds h WHERE h.resource_id = i.resource_id AND h.status = 'waiting') "
            "FROM library.items i JOIN library.resources r ON r.resource_id = i.resource_id "
            "JOIN edfi.educationorganization eo ON eo.educationorganizationid = i.school_id WHERE i.barcode = :b"),
            {"b": code}).first()
        if row is None:
            return f"1801{'00'}01{sip_date()}AB{code}|AJ|AFNo copy has this barcode.|"
        status = {"available": "03", "checked_out": "04", "on_hold_shelf": "08", "in_transit": "10",
                  "lost": "12", "missing": "13", "claims_returned": "11", "damaged": "01", "withdrawn": "01",
                  "not_for_loan": "01"}.get(row[0], "01")
        due = f"AH{row[4]:%Y%m%d}    235959|" if row[4] else ""
        return f"18{status}0001{sip_date()}CF{row[5]}|{due}AB{code}|AJ{row[1]}|AQ{row[3]}|AP{row[2] or ''}|"

    def _checkout(self, conn, m: str) -> str:
        f = fields(m, 40)
        desk = desk_school(conn)
        p, r = circ.check_out_card(conn, desk, f.get("AA", ""), f.get("AB", ""), kiosk=True)
        if p is None:
            return f"120NUN{sip_date()}AO{f.get('AO', '')}|AA{f.get('AA', '')}|AB{f.get('AB', '')}|AJ|AH|AFPatron not found.|"
        if r.done:
            return (f"121NUY{sip_date()}AO{f.get('AO', '')}|AA{p.card}|AB{r.barcode}|AJ{r.title}|"
                    f"AH{r.due:%Y%m%d}    235959|")
        msg = " ".join(x.message for x in r.problems)
        return f"120NUN{sip_date()}AO{f.get('AO', '')}|AA{p.card}|AB{r.barcode}|AJ{r.title}|AH|AF{msg}|"

    def _checkin(self, conn, m: str) -> str:
        f = fields(m, 38)
        desk = desk_school(conn)
        r = circ.check_in(conn, desk, f.get("AB", ""))
        alert = r.hold_slip is not None or r.transit_to is not None
        alert_type = "01" if r.hold_slip is not None else ("04" if r.transit_to else "00")
        return (f"101YN{_yn(alert)}{sip_date()}AO{f.get('AO', '')}|AB{r.barcode}|AQ{desk.name}|AJ{r.title}|"
                f"CV{alert_type}|AF{r.route}|")

    def _renew(self, conn, m: str) -> str:
        f = fields(m, 39)
        desk = desk_school(conn)
        p = self._patron(conn, f.get("AA", ""))
        if p is None:
            return f"300NUN{sip_date()}AO{f.get('AO', '')}|AA{f.get('AA', '')}|AB{f.get('AB', '')}|AJ|AH|AFPatron not found.|"
        r = circ.renew(conn, desk, p, f.get("AB", ""), kiosk=True)
        if r.done:
            return f"301YUN{sip_date()}AO{f.get('AO', '')}|AA{p.card}|AB{r.barcode}|AJ{r.title}|AH{r.due:%Y%m%d}    235959|"
        return (f"300NUN{sip_date()}AO{f.get('AO', '')}|AA{p.card}|AB{r.barcode}|AJ{r.title}|AH|"
                f"AF{' '.join(b.message for b in r.blocks)}|")

    def _end(self, conn, m: str) -> str:
        f = fields(m, 20)
        return f"36Y{sip_date()}AO{f.get('AO', '')}|AA{f.get('AA', '')}|"

    def _refusal(self, code: str, why: str) -> str:
        d = sip_date()
        return {"11": f"120NUN{d}AO|AA|AB|AJ|AH|AF{why}|", "09": f"100NNN{d}AO|AB|AQ|AF{why}|",
                "29": f"300NUN{d}AO|AA|AB|AJ|AH|AF{why}|", "17": f"18010001{d}AB|AJ|AF{why}|",
                "23": f"24YYYY          000{d}AO|AA|AE|BLN|AF{why}|",
                "63": f"64YYYY          000{d}{'0000' * 6}AO|AA|AE|BLN|AF{why}|",
                "35": f"36N{d}AO|AA|AF{why}|"}.get(code, "96")


async def serve(connect: Callable[[str, str], Engine], host: str = "127.0.0.1", port: int = 6001,
                institution: str = "", started: Callable[[int], None] | None = None) -> None:
    """Serve SIP2 until cancelled; each message's database work runs off the event loop."""

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Sip2Session(connect, institution)
        peer = writer.get_extra_info("peername")
        log.info("sip2 connection from %s", peer)
        try:
            while True:
                try:
                    line = await reader.readuntil(b"\r")
                except asyncio.IncompleteReadError:
                    break
                msg = line.decode("latin-1").lstrip("\n")
                reply = await asyncio.to_thread(session.handle, msg)
                writer.write(reply.encode("latin-1", "replace") + b"\r")
                await writer.drain()
        finally:
            writer.close()
            if session.engine is not None:
                session.engine.dispose()

    server = await asyncio.start_server(client, host, port)
    if started:
        started(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()
