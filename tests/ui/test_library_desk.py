"""The Library desk driven from the keyboard as the demo librarian: pick a student by name (and
picture), scan items to lend, a block answered with an override and a reason, a return, a renewal;
the self-check station lends but never overrides. Screens rendered to PNG for the README."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.session import sign_in
from tests.conftest import DEMO_AS_OF
from ui.screens.desk_context import DeskContext
from ui.screens.library.page import LibraryPage

pytestmark = pytest.mark.ui
RHS = 255950003


@pytest.fixture
def engine_user(demo_engine):
    create_demo_logins(demo_engine)
    user, eng = sign_in(demo_engine.url, "demo_librarian", DEMO_PASSWORD)
    yield user, eng
    eng.dispose()


PAGES = []


@pytest.fixture(autouse=True)
def stop_senders():
    yield
    while PAGES:
        page = PAGES.pop()
        if page.sender is not None:
            page.sender.stop()
            page.sender.journal.close()


def make_page(qtbot, engine_user, run_until, self_check=False, engine=None, tmp=None):
    user, eng = engine_user
    p = LibraryPage(DeskContext(engine=engine or (lambda: eng), user=lambda: user,
                                today=lambda: datetime.now().date()), self_check=self_check,
                    journal_dir=tmp, terminal="T-LIB-UI")
    PAGES.append(p)
    qtbot.addWidget(p)
    p.resize(1280, 720)
    p.show()
    p.activate()
    run_until(lambda: p._loaded)
    return p


def fresh(demo_engine, n_students, n_items):
    with demo_engine.connect() as c:
        students = c.execute(text(
            "SELECT s.studentusi, s.studentuniqueid, s.lastsurname FROM edfi.student s JOIN edfi.studentschoolassociation a "
            "USING (studentusi) WHERE a.schoolid = :s AND NOT EXISTS (SELECT 1 FROM library.checkouts k WHERE "
            "k.student_usi = s.studentusi AND k.return_date IS NULL) AND NOT EXISTS (SELECT 1 FROM library.holds h "
            "WHERE h.student_usi = s.studentusi) ORDER BY s.studentusi LIMIT :n"), {"s": RHS, "n": n_students}).all()
        items = c.execute(text(
            "SELECT DISTINCT ON (i.resource_id) i.barcode FROM library.items i WHERE i.school_id = :s AND i.status = "
            "'available' AND i.item_type = 'book' AND NOT EXISTS (SELECT 1 FROM library.holds h WHERE h.resource_id = "
            "i.resource_id) ORDER BY i.resource_id, i.item_id LIMIT :n"), {"s": RHS, "n": n_items}).scalars().all()
    return students, items


def type_enter(qtbot, widget, value: str) -> None:
    widget.setFocus()
    widget.setText(value)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def open_loans(demo_engine, usi):
    with demo_engine.connect() as c:
        return c.execute(text("SELECT i.barcode FROM library.checkouts k JOIN library.items i USING (item_id) "
                              "WHERE k.student_usi = :u AND k.return_date IS NULL ORDER BY 1"), {"u": usi}).scalars().all()


def test_pick_by_name_lend_override_return_and_renew(qtbot, engine_user, demo_engine, run_until, tmp_path):
    page = make_page(qtbot, engine_user, run_until, tmp=tmp_path)
    (usi, uid, last), = fresh(demo_engine, 1, 0)[0][:1]
    codes = fresh(demo_engine, 0, 6)[1]
    view = page.circulation
    type_enter(qtbot, view.patron_box, last)
    run_until(lambda: view.hits_view.isVisible())
    row = next(i for i, p in enumerate(view.hits.rows) if p.student_usi == usi)
    view.hits_view.selectRow(row)
    QTest.keyClick(view.hits_view, Qt.Key.Key_Return)
    run_until(lambda: view.patron is not None and view.item_box.hasFocus())
    assert last in view.patron_label.text() and view.picture.pixmap() is not None
    for code in codes[:5]:
        type_enter(qtbot, view.item_box, code)
        run_until(lambda code=code: view.message.text().startswith("Lent:") and len(view.loans.rows) ==
                  codes.index(code) + 1)
    asked = []

    async def answer(dlg):
        asked.append([lbl.text() for lbl in dlg.findChildren(type(view.patron_label))])
        dlg.reason.setText("Research project")
        return QDialog.DialogCode.Accepted

    view.ask = answer
    type_enter(qtbot, view.item_box, codes[5])
    run_until(lambda: len(view.loans.rows) == 6)
    assert any("Limit reached" in t for t in asked[0])
    assert open_loans(demo_engine, usi) == sorted(codes)
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT reason, approved_by FROM library.overrides WHERE student_usi = :u"),
                         {"u": usi}).one() == ("Research project", "demo_librarian")
    out = os.environ.get("LIBRARY_SCREENSHOT")
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        page.grab().save(out)
    view.loans_view.selectRow(0)
    view.renew_selected()
    run_until(lambda: view.message.text().startswith(("Renewed", "Not renewed")))
    assert view.message.text().startswith("Renewed")
    type_enter(qtbot, view.checkin_box, codes[0])
    run_until(lambda: view.message.text().startswith("Returned") and len(view.loans.rows) == 5)
    assert "shelve" in view.message.text()
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    QTest.keyClick(view.checkin_box, Qt.Key.Key_Escape)  # Esc: next patron
    run_until(lambda: view.patron is None and view.patron_box.hasFocus())


def test_the_self_check_station_lends_but_never_overrides(qtbot, engine_user, demo_engine, run_until, tmp_path):
    page = make_page(qtbot, engine_user, run_until, self_check=True, tmp=tmp_path)
    (usi, uid, _last), = fresh(demo_engine, 1, 0)[0][:1]
    with demo_engine.connect() as c:
        ref = c.execute(text("SELECT barcode FROM library.items WHERE item_type = 'reference' AND school_id = :s "
                             "AND status = 'available' LIMIT 1"), {"s": RHS}).scalar()
    code = fresh(demo_engine, 0, 1)[1][0]
    view = page.circulation
    assert not view.checkin_box.isVisible() and page.windowTitle() == "" and page.title.text() == "Library self-check"
    type_enter(qtbot, view.patron_box, "Smith")  # a name is not a card at the kiosk
    run_until(lambda: "see the librarian" in view.message.text())
    type_enter(qtbot, view.patron_box, uid)
    run_until(lambda: view.patron is not None and view.item_box.isEnabled())
    type_enter(qtbot, view.item_box, code)
    run_until(lambda: view.message.text().startswith("Lent:"))
    type_enter(qtbot, view.item_box, ref)
    run_until(lambda: "see the librarian" in view.message.text())
    assert open_loans(demo_engine, usi) == [code]
    assert view.renew_button.isVisible()  # checkout and renew, nothing else
    view.loans_view.selectRow(0)
    view.renew_button.click()
    run_until(lambda: view.message.text().startswith(("Renewed", "Not renewed")))
    assert view.message.text().startswith("Renewed")
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT renewal_count FROM library.checkouts k JOIN library.items i USING (item_id) "
                              "WHERE i.barcode = :b AND k.return_date IS NULL"), {"b": code}).scalar() == 1


def test_when_the_database_goes_away_the_desk_lends_offline_and_sends_it_once(qtbot, engine_user, demo_engine,
                                                                            run_until, tmp_path):
    from sqlalchemy import create_engine

    user, eng = engine_user
    current = {"engine": eng}
    page = make_page(qtbot, engine_user, run_until, engine=lambda: current["engine"], tmp=tmp_path)
    run_until(lambda: page.circulation.offline is not None)
    page.sender.stop()  # the sender waits, as it would with the network down
    (usi, uid, _last), = fresh(demo_engine, 1, 0)[0][:1]
    code = fresh(demo_engine, 0, 1)[1][0]
    current["engine"] = create_engine(eng.url.set(host="127.0.0.1", port=1, query={}))  # the server is out of reach
    view = page.circulation
    type_enter(qtbot, view.patron_box, uid)
    run_until(lambda: view.patron is not None and view.item_box.isEnabled())
    type_enter(qtbot, view.item_box, code)
    run_until(lambda: view.message.text().startswith("Lent (offline"))
    assert open_loans(demo_engine, usi) == [] and page.unsaved_work() == "1 library loan(s) recorded offline, not yet sent"
    report = page.sender.send_pending()
    again = page.sender.send_pending()
    assert (report.applied, again.applied, again.pending) == (1, 0, 0)
    assert open_loans(demo_engine, usi) == [code] and page.unsaved_work() is None


def test_an_inventory_from_the_desk(qtbot, engine_user, demo_engine, run_until, tmp_path):
    page = make_page(qtbot, engine_user, run_until, tmp=tmp_path)
    inv = page.inventory
    with demo_engine.connect() as c:
        shelf = c.execute(text("SELECT barcode FROM library.items WHERE school_id = :s AND status = 'available' "
                               "AND call_number LIKE '641.5 %' ORDER BY call_number, barcode"), {"s": RHS}).scalars().all()
    assert len(shelf) >= 3
    inv.confirm = lambda q: True
    inv.call_from.setText("641.5")
    inv.call_to.setText("641.5 ZZZ")
    inv.start_button.click()
    run_until(lambda: inv.scan_box.isEnabled())
    type_enter(qtbot, inv.scan_box, shelf[0])
    run_until(lambda: len(inv.scans.rows) == 1)
    (tmp_path / "scanner.txt").write_text(f"{shelf[1]}\nNOT-A-COPY\n")
    inv.choose_file = lambda: str(tmp_path / "scanner.txt")
    inv.file_button.click()
    run_until(lambda: len(inv.scans.rows) == 3)
    assert inv.scans.rows[2].problem == "unknown barcode"
    inv.finalize_button.click()
    run_until(lambda: inv.message.text().startswith("Inventory finished"))
    assert f"{len(shelf) - 2} marked missing" in inv.message.text()
    with demo_engine.begin() as c:  # put the shelf back as it was for the other tests
        c.execute(text("UPDATE library.items SET status = 'available' WHERE barcode = ANY(:b)"), {"b": shelf})


def test_offline_conflicts_are_reviewed_from_the_desk_with_both_sides(qtbot, engine_user, demo_engine, run_until,
                                                                    tmp_path):
    """A loan recorded offline that the database saw differently is on the Review tab with what the
    desk recorded and what the database held; marking it reviewed needs a few words and signs it."""
    import json
    import uuid

    (usi, uid, last), = fresh(demo_engine, 1, 0)[0][:1]
    code = fresh(demo_engine, 0, 1)[1][0]
    with demo_engine.begin() as c:
        item = c.execute(text("SELECT item_id FROM library.items WHERE barcode = :b"), {"b": code}).scalar()
        conflict = c.execute(text(
            "INSERT INTO library.sync_conflicts (request_id, kind, action, student_usi, item_id, school_id, workstation, "
            "recorded_at, offline_side, server_side) VALUES (:r, 'already_out', 'checkout', :u, :i, :s, 'T-LIB-2', "
            "now() - interval '1 hour', CAST(:o AS jsonb), CAST(:v AS jsonb)) RETURNING conflict_id"),
            {"r": str(uuid.uuid4()), "u": usi, "i": item, "s": RHS,
             "o": json.dumps({"barcode": code, "patron": f"student:{usi}", "due": "2026-12-24",
                              "workstation": "T-LIB-2"}),
             "v": json.dumps({"problems": [{"code": "out_to_other",
                                            "message": "This copy is still checked out to Ana Diaz."}]})}).scalar()
    try:
        page = make_page(qtbot, engine_user, run_until, tmp=tmp_path)
        page.tabs.setCurrentIndex(4)
        run_until(lambda: any(x.conflict_id == conflict for x in page.conflicts.rows))
        rows = page.conflicts.rows
        row = next(n for n, x in enumerate(rows) if x.conflict_id == conflict)
        m = page.conflicts
        assert m.cell(rows[row], m.COL_KIND) == "Copy was lent elsewhere meanwhile" and last in rows[row].patron
        assert m.cell(rows[row], m.COL_OFFLINE) == f"checkout of {code}, due 2026-12-24, at T-LIB-2"
        assert "Ana Diaz" in m.cell(rows[row], m.COL_SERVER)
        out = os.environ.get("LIBRARY_REVIEW_SCREENSHOT")
        if out:
            page.grab().save(out)
        page.conflicts_view.selectRow(row)
        page.resolve_button.click()
        run_until(lambda: page.review_message.text().startswith("Say what you did"))
        page.resolution.setText("Called Ana; the book is back on the shelf")
        page.conflicts_view.selectRow(row)
        page.resolve_button.click()
        run_until(lambda: page.review_message.text() == "Marked reviewed.")
        assert all(x.conflict_id != conflict for x in page.conflicts.rows)
        with demo_engine.connect() as c:
            assert c.execute(text("SELECT resolved_by, resolution FROM library.sync_conflicts WHERE conflict_id = :k"),
                             {"k": conflict}).one() == ("demo_librarian", "Called Ana; the book is back on the shelf")
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM library.sync_conflicts WHERE conflict_id = :k"), {"k": conflict})


def test_the_desk_as_the_window_makes_it_keeps_its_offline_copy_in_the_windows_data_folder(qtbot, engine_user,
                                                                                         run_until, tmp_path):
    """The window gives the desk no journal folder of its own, only its data folder: the desk opened there must
    still cache its copy and open its journal, or it cannot lend when the network drops (it said "Offline copy not
    refreshed: ... unexpected problem" and lent nothing offline)."""
    from ui.screens.library.page import build_page

    user, eng = engine_user
    page = build_page(DeskContext(engine=lambda: eng, user=lambda: user, today=lambda: datetime.now().date(),
                                 data_dir=lambda: tmp_path))
    PAGES.append(page)
    qtbot.addWidget(page)
    page.show()
    page.activate()
    run_until(lambda: page._loaded)
    run_until(lambda: page.circulation.offline is not None or "not refreshed" in page.circulation.message.text())
    assert "not refreshed" not in page.circulation.message.text()
    journals = sorted(p.name for p in (tmp_path / "journal").iterdir())
    assert any(n.endswith("-LIBRARY.journal") for n in journals) and any(n.endswith("-LIBRARY.cache.json")
                                                                         for n in journals)
    assert page.sender is not None and page.sender.journal.pending_count() == 0
