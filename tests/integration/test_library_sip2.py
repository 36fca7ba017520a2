"""The SIP2 server driven by a socket client: the issue's checksum vectors, login as a School
Office sign-in, status, patron status and information, item information, checkout, checkin,
renew, end session, resend (97), a bad checksum answered with 96, CR LF accepted."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest
from sqlalchemy import create_engine, text

from app.security.demo_logins import DEMO_PASSWORD
from app.services.library.sip2 import checksum, serve, verify

pytestmark = pytest.mark.integration
RHS = 255950003


def test_the_issues_vectors_carry_correct_checksums():
    for m in ("990 402.00AY1AZFCB4", "941AY3AZFDFA",
              "1719980723    100000AOCertification Institute ID|ABItemBook|AY1AZEBEB"):
        assert verify(m)
        assert checksum(m[:m.rfind("AZ") + 2]) == m[-4:]
    assert not verify("990 402.00AY1AZFCB5")


@pytest.fixture(scope="module")
def server(demo_engine, login_engine):
    login_engine("demo_librarian")  # creates the demo logins
    port = {}
    ready = threading.Event()
    loop = asyncio.new_event_loop()

    def connect(login, password):
        eng = create_engine(demo_engine.url.set(username=login, password=password))
        with eng.connect():
            pass
        return eng

    def run():
        asyncio.set_event_loop(loop)
        task = loop.create_task(serve(connect, "127.0.0.1", 0, "RHS",
                                      started=lambda p: (port.setdefault("p", p), ready.set())))
        try:
            loop.run_until_complete(task)
        except asyncio.CancelledError:
            pass

    t = threading.Thread(target=run, daemon=True)
    t.start()
    assert ready.wait(10)
    yield port["p"]
    loop.call_soon_threadsafe(lambda: [task.cancel() for task in asyncio.all_tasks(loop)])
    t.join(5)


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.seq = 0
        self.buf = b""

    def send(self, body: str, *, crlf: bool = False, raw: str | None = None) -> str:
        if raw is None:
            self.seq = (self.seq + 1) % 10
            msg = f"{body}AY{self.seq}AZ"
            raw = msg + checksum(msg)
        self.s.sendall(raw.encode() + (b"\r\n" if crlf else b"\r"))
        while b"\r" not in self.buf:
            self.buf += self.s.recv(4096)
        line, _, self.buf = self.buf.partition(b"\r")
        reply = line.decode("latin-1")
        assert verify(reply), reply
        return reply


def test_a_self_check_session(server, demo_engine):
    with demo_engine.connect() as c:
        card = c.execute(text(
            "SELECT s.studentuniqueid FROM edfi.student s JOIN edfi.studentschoolassociation a USING (studentusi) "
            "WHERE a.schoolid = :s AND NOT EXISTS (SELECT 1 FROM library.checkouts k WHERE k.student_usi = s.studentusi "
            "AND k.return_date IS NULL) AND NOT EXISTS (SELECT 1 FROM library.holds h WHERE h.student_usi = "
            "s.studentusi) ORDER BY s.studentusi DESC OFFSET 20 LIMIT 1"), {"s": RHS}).scalar()
        code = c.execute(text(
            "SELECT i.barcode FROM library.items i WHERE i.school_id = :s AND i.status = 'available' AND i.item_type = "
            "'book' AND NOT EXISTS (SELECT 1 FROM library.holds h WHERE h.resource_id = i.resource_id) "
            "ORDER BY i.item_id DESC OFFSET 50 LIMIT 1"), {"s": RHS}).scalar()
    cl = Client(server)
    assert cl.send("990 402.00").startswith("98NNN")  # not signed in yet: offline for circulation
    assert cl.send("9300CNdemo_librarian|COwrong-password|CPRHS|").startswith("940")
    assert cl.send(f"9300CNdemo_librarian|CO{DEMO_PASSWORD}|CPRHS|").startswith("941")
    status = cl.send("990 402.00", crlf=True)
    assert status.startswith("98YYY") and "2.00AORHS|" in status
    when = "20261120    101500"
    assert "BLY" in cl.send(f"23001{when}AORHS|AA{card}|AC|AD|")
    assert "BLN" in cl.send(f"23001{when}AORHS|AANOBODY|AC|AD|")
    nobody = cl.send(f"11YN{when}{' ' * 18}AORHS|AANOBODY|AB{code}|AC|")
    assert nobody.startswith("120") and "AFPatron not found.|" in nobody
    out = cl.send(f"11YN{when}{' ' * 18}AORHS|AA{card}|AB{code}|AC|")
    assert out.startswith("121") and f"AB{code}|" in out and "AH" in out
    info = cl.send(f"17{when}AORHS|AB{code}|AC|")
    assert info.startswith("1804") and "AJ" in info
    patron = cl.send(f"63001{when}          AORHS|AA{card}|AC|AD|")
    assert patron.startswith("64") and f"AU{code}|" in patron and patron[45:49] == "0001"  # one charged item
    renewed = cl.send(f"29NN{when}{' ' * 18}AORHS|AA{card}|AD|AB{code}|")
    assert renewed.startswith("301")
    assert cl.send("97", raw="97") == renewed  # resend: the last response again
    bad = "23001" + when + f"AORHS|AA{card}|AC|AD|AY5AZ0000"
    assert cl.send("", raw=bad) == "96"
    back = cl.send(f"09N{when}{when}APRHS|AORHS|AB{code}|AC|")
    assert back.startswith("101") and "AFshelve|" in back
    ref = None
    with demo_engine.connect() as c:
        ref = c.execute(text("SELECT barcode FROM library.items WHERE item_type = 'reference' AND school_id = :s "
                             "AND status = 'available' LIMIT 1"), {"s": RHS}).scalar()
    refused = cl.send(f"11YN{when}{' ' * 18}AORHS|AA{card}|AB{ref}|AC|")
    assert refused.startswith("120") and "may not borrow" in refused
    assert cl.send(f"35{when}AORHS|AA{card}|").startswith("36Y")
