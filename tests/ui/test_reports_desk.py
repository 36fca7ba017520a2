"""The Reports desk driven from the keyboard: a teacher's grade grid, the office's report card
batch with its progress bar, and a registrar's transcript with its release log."""

from __future__ import annotations

import os

import pypdfium2
import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintPreviewWidget
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from sqlalchemy import text

from tests.conftest import DEMO_AS_OF
from tests.ui.test_printing import choice, pdf_printer
from ui.screens.desk_context import DeskContext
from ui.screens.reports.page import ReportsPage

pytestmark = pytest.mark.ui


def make_page(qtbot, signed_in, run_until, login):
    user, eng = signed_in(login)
    p = ReportsPage(DeskContext(engine=lambda: eng, user=lambda: user, today=lambda: DEMO_AS_OF))
    qtbot.addWidget(p)
    p.resize(1200, 800)
    p.show()
    p.activate()
    run_until(lambda: p._loaded and p.period.count() > 0)
    return p


def type_cell(p, typed: str) -> None:
    """Type into the current cell as a person does: the first key opens the editor, which then has
    the focus for the rest; Enter commits and moves to the next student."""
    QTest.keyClicks(p.grid, typed[0])
    editor = QApplication.focusWidget()
    QTest.keyClicks(editor, typed[1:])
    QTest.keyClick(editor, Qt.Key.Key_Return)


def shot(widget, name):
    folder = os.environ.get("GRADES_PNG_DIR")
    if folder:
        widget.grab().save(os.path.join(folder, name))


def test_a_teacher_types_grades_and_comment_codes_without_the_mouse(qtbot, signed_in, run_until, run_async,
                                                                   demo_engine):
    p = make_page(qtbot, signed_in, run_until, "demo_teacher")
    assert p.office_box.isHidden() and p.section.count() >= 1
    assert "Q2 (open" in p.period.currentText()  # today's grading period, its window open
    p.grade_type.setCurrentText("Progress Report")
    run_async(p.open_grades())
    assert p.grid_model.rowCount() > 5 and p.grid.hasFocus()
    first = p.grid_model.rows[0]
    type_cell(p, "b")  # typing starts editing the grade cell; Enter commits and moves down
    type_cell(p, "104")
    assert p.unsaved_work() == "2 unsaved grades"
    assert not run_async(p.save_grades())
    second = p.grid_model.rows[1]
    parts = second.name.split(", ")
    assert p.grade_message.text() == (f"{parts[1]} {parts[0]}: 104 is outside the A-F (4.0) scale; type a score "
                                      "from 0 to 100 or one of A, B, C, D, F, P, I.")
    QTest.keyClick(p.grid, Qt.Key.Key_Up)  # back to the student with the bad grade
    assert p.grid.currentIndex().row() == 1
    type_cell(p, "91")
    QTest.keyClick(p.grid, Qt.Key.Key_Up)
    QTest.keyClick(p.grid, Qt.Key.Key_Right)
    type_cell(p, "01, 21")
    shot(p, "reports_grade_entry.png")
    try:
        assert run_async(p.save_grades()), p.grade_message.text()
        assert p.grade_message.text() == "Saved 2 grades." and p.unsaved_work() is None
        with demo_engine.connect() as c:
            saved = dict(c.execute(text(
                "SELECT studentusi, lettergradeearned || coalesce(' ' || diagnosticstatement, '') FROM edfi.grade g "
                "JOIN edfi.descriptor d ON d.descriptorid = g.gradetypedescriptorid AND d.codevalue = 'Progress Report' "
                "WHERE sectionidentifier = :s AND studentusi = ANY(:u) AND gradingperiodname LIKE '%Q2'"),
                {"s": p.grid_model.sheet.section.key.section_id, "u": [first.student_usi, second.student_usi]}).all())
        assert saved[first.student_usi].startswith("B") and saved[second.student_usi] == "A 01, 21"
    finally:
        with demo_engine.begin() as c:  # put back what the demo had
            for r in (first, second):
                c.execute(text("UPDATE edfi.grade g SET lettergradeearned = :l, numericgradeearned = :n, "
                               "diagnosticstatement = NULLIF(:cm, '') FROM edfi.descriptor d "
                               "WHERE d.descriptorid = g.gradetypedescriptorid AND d.codevalue = 'Progress Report' "
                               "AND g.sectionidentifier = :s AND g.studentusi = :u AND g.gradingperiodname LIKE '%Q2'"),
                          {"l": r.letter, "n": r.numeric, "cm": r.comments, "s": p.grid_model.sheet.section.key.section_id,
                           "u": r.student_usi})


def test_the_office_builds_a_homerooms_report_cards_with_progress_and_one_print_file(qtbot, signed_in, run_until,
                                                                                     run_async, tmp_path):
    p = make_page(qtbot, signed_in, run_until, "demo_front_office")
    run_until(lambda: p.card_batch.count() > 1)
    p.tabs.setCurrentIndex(1)
    assert not p.cards_box.isHidden() and p.card_school.currentText() == "Riverbend Elementary School"
    p.card_batch.setCurrentIndex(next(i for i in range(p.card_batch.count())
                                      if p.card_batch.itemText(i).startswith("Homeroom")))
    p.card_period.setCurrentIndex(0)  # Q1
    seen = []
    p.batch_progress.connect(lambda done, total: seen.append((done, total)))
    run_async(p.build_cards(), timeout=120)
    n = p.cards_model.rowCount()
    assert n > 10 and p.progress.value() == p.progress.maximum() == n
    assert seen[-1] == (n, n) and len(seen) >= 2
    merged = pypdfium2.PdfDocument(p.batch.merged)
    assert len(merged) == n  # one page per student, in one print job
    assert p.card_message.text().startswith(f"{n} report cards for Homeroom")
    shot(p, "reports_report_cards.png")
    # the whole batch as one print job: on the printer (here a file in place of paper), and in the preview
    paper = tmp_path / "paper.pdf"
    assert run_async(p.printing.print_on(p._all_cards(), pdf_printer(paper))) == n
    assert len(pypdfium2.PdfDocument(str(paper))) == n
    choice(p.print_button, "preview").trigger()
    run_until(lambda: p.printing.preview_dialog is not None and p.printing.preview_dialog.isVisible())
    view = p.printing.preview_dialog.findChild(QPrintPreviewWidget)
    run_until(lambda: view.pageCount() == n)
    p.printing.preview_dialog.reject()


def test_a_registrar_issues_a_transcript_and_records_its_release(qtbot, signed_in, run_until, run_async, demo_engine):
    with demo_engine.connect() as c:
        uid = c.execute(text("SELECT s.studentuniqueid FROM edfi.coursetranscript t JOIN edfi.student s "
                             "USING (studentusi) ORDER BY s.studentuniqueid DESC LIMIT 1")).scalar()
    p = make_page(qtbot, signed_in, run_until, "demo_registrar")
    p.tabs.setCurrentIndex(2)
    QTest.keyClicks(p.student_id, uid)
    # transfer credit with credits that are not a number: one sentence, nothing saved
    for field, typed in ((p.transfer_from, "Lakeside High School"), (p.transfer_year, "2025"),
                         (p.transfer_course, "econ"), (p.transfer_grade, "A"), (p.transfer_credits, "half")):
        QTest.keyClicks(field, typed)
    run_async(p.add_transfer())
    assert p.transcript_message.text() == 'Credits "half" is not a number of credits; type e.g. 0.5 or 1.'
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM edfi.coursetranscript "
                              "WHERE externaleducationorganizationnameofinstitution = 'Lakeside High School'")).scalar() == 0
    p.official.setChecked(True)
    run_async(p.issue())
    number = p.issued.document_number
    assert p.transcript_message.text().startswith(f"Official transcript {number} issued")
    run_async(p.record_release())
    assert p.transcript_message.text() == ("Type who asked for the transcript (the student, a parent, or the school "
                                           "that requested it).")
    QTest.keyClicks(p.requested_by, "The student, with signed consent")
    QTest.keyClicks(p.recipient, "Admissions, State University")
    p.legal_basis.setCurrentText("Written consent")
    try:
        run_async(p.record_release())
        assert p.transcript_message.text() == f"Release of {number} to Admissions, State University recorded."
        assert p.releases_model.rowCount() == 1 and p.releases_model.rows[0].legal_basis == "Written consent"
        shot(p, "reports_transcripts.png")
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM grades.transcript_release WHERE document_number = :n"), {"n": number})
            c.execute(text("DELETE FROM grades.issued_document WHERE document_number = :n"), {"n": number})


def test_a_registrar_records_a_graduates_diploma_from_the_keyboard(qtbot, signed_in, run_until, run_async,
                                                                  demo_engine):
    with demo_engine.connect() as c:
        usi, uid = c.execute(text("SELECT s.studentusi, s.studentuniqueid FROM edfi.coursetranscript t "
                                  "JOIN edfi.student s USING (studentusi) WHERE t.coursecode = 'APUSH' "
                                  "ORDER BY s.studentusi DESC LIMIT 1")).one()
    p = make_page(qtbot, signed_in, run_until, "demo_registrar")
    p.tabs.setCurrentIndex(2)
    assert not p.diploma_box.isHidden()
    QTest.keyClicks(p.student_id, uid)
    later = DEMO_AS_OF.replace(year=DEMO_AS_OF.year + 1)
    QTest.keyClicks(p.graduated_on, f"{later:%m/%d/%Y}")
    QTest.keyClick(p.diploma_button, Qt.Key.Key_Space)  # Space on the "Record diploma" button
    run_until(lambda: p.transcript_message.text().startswith("The award date"))
    assert p.transcript_message.text() == (f"The award date {later:%m/%d/%Y} is in the future; type the graduation "
                                           "date once it has passed.")
    p.graduated_on.clear()
    QTest.keyClicks(p.graduated_on, f"{DEMO_AS_OF:%m/%d/%Y}")
    QTest.keyClick(p.diploma_type, Qt.Key.Key_End)
    QTest.keyClick(p.diploma_type, Qt.Key.Key_Home)  # back to the first diploma type on the list
    assert p.diploma_type.currentText() == "Regular diploma"
    try:
        QTest.keyClick(p.diploma_button, Qt.Key.Key_Space)
        run_until(lambda: p.transcript_message.text().startswith("Graduated"))
        assert p.transcript_message.text() == (
            f"Graduated {DEMO_AS_OF:%B} {DEMO_AS_OF.day}, {DEMO_AS_OF:%Y} · Diploma: Regular diploma: recorded; "
            "transcripts issued from now on say so.")
        with demo_engine.connect() as c:
            assert c.execute(text("SELECT d.diplomaawarddate, t.codevalue FROM edfi.studentacademicrecorddiploma d "
                                  "JOIN edfi.descriptor t ON t.descriptorid = d.diplomatypedescriptorid "
                                  "WHERE d.studentusi = :u"), {"u": usi}).all() == [(DEMO_AS_OF, "Regular diploma")]
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM edfi.studentacademicrecorddiploma WHERE studentusi = :u"), {"u": usi})


def test_the_correction_reason_is_labelled_and_the_grading_period_reads_whole(qtbot, signed_in, run_until):
    """The reason box had only its grey hint; Alt+R, as its label says, takes a keyboard user to it. The grading
    period's choice shows its window whole ("... (open until Dec 25)"), not cut off."""
    from PySide6.QtWidgets import QLabel

    p = make_page(qtbot, signed_in, run_until, "demo_teacher")
    label = next(w for w in p.findChildren(QLabel) if w.buddy() is p.reason)
    assert label.text() == "&Reason for a correction:" and label.isVisible()
    QTest.keyClick(p, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    assert p.reason.hasFocus()
    p.grab()
    text_width = p.period.fontMetrics().horizontalAdvance(p.period.currentText())
    assert "(open until" in p.period.currentText() and p.period.width() > text_width
