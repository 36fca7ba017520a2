"""Printing the schedule and the ID card (#16.10). The printer is outside our control, so a real
QPrinter writes PDF to a temporary file in place of the paper, and the test reads that "paper"
back: page count, page size (CR80 for the card, Letter for the schedule), the pages looking like
the report, and the card's barcode still scanning as the student id."""

from __future__ import annotations

import io
from datetime import date

import pypdfium2
import pytest
import zxingcpp
from PIL import ImageChops, ImageFilter, ImageStat
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QPageLayout, QPageSize
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewWidget
from PySide6.QtTest import QTest
from pypdf import PdfReader
from sqlalchemy import text

from app.errors import UserError
from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.session import sign_in
from app.services import schedule as S
from app.services.printouts import schedule_document
from reports import id_card as id_card_pdf
from reports import student_schedule
from reports.documents import IdCard, ScheduleDocument, ScheduleRow
from tests.conftest import DEMO_AS_OF
from ui.printing import CR80, choose_printer_name, paint_pdf, render_dpi
from ui.screens.desk_context import DeskContext
from ui.screens.front_office.front_office_page import FrontOfficePage
from ui.settings import UiSettings

pytestmark = pytest.mark.ui
MM_PER_POINT = 25.4 / 72


def card_pdf(uid: str = "605501", name: str = "Mia Okafor") -> bytes:
    return id_card_pdf.build(IdCard("Riverbend ISD", "Riverbend Elementary School", "2026-2027", name, uid,
                                    "Kindergarten"))


def long_schedule_pdf() -> bytes:
    rows = tuple(ScheduleRow(f"Period {i}", "08:00–08:50", f"Course {i}", f"S{i}", "Teacher", "101", "")
                 for i in range(60))
    return student_schedule.build(ScheduleDocument("Riverbend ISD", "Riverbend High School", "2026-2027",
                                                   "Zoë Ødegård-Nguyễn", "604001", "Ninth grade",
                                                   date(2026, 11, 20), rows), today=date(2026, 11, 20))


def pdf_printer(path, resolution: int | None = None) -> QPrinter:
    """The printer a user would choose, printing to a file instead of paper."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    if resolution:
        printer.setResolution(resolution)
    return printer


def page_sizes_mm(path) -> list[tuple[float, float]]:
    doc = pypdfium2.PdfDocument(str(path))
    try:
        return [(w * MM_PER_POINT, h * MM_PER_POINT) for w, h in (doc[i].get_size() for i in range(len(doc)))]
    finally:
        doc.close()


def page_image(source, index: int, dpi: float):
    doc = pypdfium2.PdfDocument(source)
    try:
        return doc[index].render(scale=dpi / 72).to_pil().convert("L")
    finally:
        doc.close()


def barcodes(source, dpi: float = 300) -> list[tuple[str, str, int, int]]:
    """What a scanner reads, with where the barcode starts and ends across the page (pixels)."""
    found = zxingcpp.read_barcodes(page_image(source, 0, dpi))
    return [(b.format.name, b.text, b.position.top_left.x, b.position.top_right.x) for b in found]


def difference(a, b) -> float:
    """Mean grey-level difference of two page images (0 = identical, 255 = inverted), slightly
    blurred so a raster and vector text compare alike. Same page printed: under 1; shifted by
    1 mm: about 4; another page: about 10."""
    blur = ImageFilter.GaussianBlur(1.5)
    return ImageStat.Stat(ImageChops.difference(a.filter(blur), b.filter(blur))).mean[0]


def is_cr80(width_mm: float, height_mm: float) -> bool:
    # A PDF file stores whole points, so 85.60 x 53.98 mm is written as 243 x 153 pt.
    return abs(width_mm - 85.60) <= 0.2 and abs(height_mm - 53.98) <= 0.2


# -- painting a PDF onto a printer -----------------------------------------------------------------
@pytest.mark.parametrize("resolution", [300, 600, 1200])
def test_the_id_card_prints_on_one_cr80_card_and_its_barcode_still_scans(qapp, tmp_path, resolution):
    """Card printers print at 300 dpi; office printers at 600 or 1200."""
    data = card_pdf("RB-2027-00042", "Maximiliana Alexandra Featherstonehaugh-Worthington")
    printer = pdf_printer(tmp_path / "card.pdf", resolution)
    assert paint_pdf(printer, data) == 1
    size = printer.pageLayout().pageSize()
    assert size.isEquivalentTo(CR80) and size.size(QPageSize.Unit.Millimeter).toTuple() == (53.98, 85.60)
    assert printer.pageLayout().orientation() == QPageLayout.Orientation.Landscape
    [(width, height)] = page_sizes_mm(tmp_path / "card.pdf")
    assert is_cr80(width, height), (width, height)
    printed, original = barcodes(str(tmp_path / "card.pdf")), barcodes(data)
    assert [b[:2] for b in printed] == [("Code128", "RB-2027-00042")]
    # Printed at actual size: the bars start and end where the report put them (within 2 px at 300 dpi).
    assert abs(printed[0][2] - original[0][2]) <= 2 and abs(printed[0][3] - original[0][3]) <= 2


def test_a_long_schedule_prints_every_page_on_letter_as_the_report_draws_it(qapp, tmp_path):
    data = long_schedule_pdf()
    pages = len(PdfReader(io.BytesIO(data)).pages)
    assert pages >= 2
    printer = pdf_printer(tmp_path / "schedule.pdf")
    assert paint_pdf(printer, data) == pages
    assert printer.pageLayout().pageSize().id() == QPageSize.PageSizeId.Letter  # the printer's Letter tray
    sizes = page_sizes_mm(tmp_path / "schedule.pdf")
    assert len(sizes) == pages and all(abs(w - 215.9) < 0.2 and abs(h - 279.4) < 0.2 for w, h in sizes)
    for i in range(pages):
        printed = page_image(str(tmp_path / "schedule.pdf"), i, 100)
        assert difference(printed, page_image(data, i, 100)) < 2, f"page {i + 1} does not look like the report"
    # the comparison can tell pages apart
    assert difference(page_image(str(tmp_path / "schedule.pdf"), 0, 100), page_image(data, 1, 100)) > 4


def test_the_pages_and_copies_chosen_in_the_print_dialog_are_printed(qapp, tmp_path):
    data = long_schedule_pdf()
    pages = len(PdfReader(io.BytesIO(data)).pages)
    printer = pdf_printer(tmp_path / "last.pdf")
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    printer.setFromTo(pages, pages)
    assert paint_pdf(printer, data) == 1
    assert difference(page_image(str(tmp_path / "last.pdf"), 0, 100), page_image(data, pages - 1, 100)) < 2

    printer = pdf_printer(tmp_path / "two-cards.pdf")
    printer.setCopyCount(2)  # a PDF file cannot make copies itself: the pages are repeated
    assert paint_pdf(printer, card_pdf()) == 2
    assert all(is_cr80(*s) for s in page_sizes_mm(tmp_path / "two-cards.pdf"))

    printer = pdf_printer(tmp_path / "none.pdf")
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    printer.setFromTo(5, 6)
    with pytest.raises(UserError, match=r"^The pages chosen are not in this printout: it has 1 page; "
                                        r"choose pages 1 to 1\.$"):
        paint_pdf(printer, card_pdf())
    assert not (tmp_path / "none.pdf").exists()


def test_each_page_keeps_its_own_size(qapp, tmp_path):
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(243, 153))
    c.drawString(10, 10, "card")
    c.showPage()
    c.setPageSize(letter)
    c.drawString(72, 72, "letter")
    c.showPage()
    c.save()
    printer = pdf_printer(tmp_path / "mixed.pdf")
    assert paint_pdf(printer, buf.getvalue()) == 2
    card, page = page_sizes_mm(tmp_path / "mixed.pdf")
    assert is_cr80(*card) and (round(page[0], 1), round(page[1], 1)) == (215.9, 279.4)


def test_pages_are_rendered_at_a_whole_fraction_of_the_printer_resolution():
    assert render_dpi(300, 243, 153) == 300 and render_dpi(1200, 243, 153) == 600
    assert render_dpi(600, 612, 792) == 300 and render_dpi(1200, 612, 792) == 300  # 8.4 Mpx, not 540 MB
    assert render_dpi(360, 612, 792) == 360 and render_dpi(720, 612, 792) == 360


def test_the_printer_is_remembered_per_printout_on_this_workstation(tmp_path):
    settings = UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    assert settings.printer_for("id_card") is None
    settings.set_printer_for("id_card", "Front desk card printer")
    settings.set_printer_for("schedule", "Office laser")
    settings.sync()
    again = UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    assert (again.printer_for("id_card"), again.printer_for("schedule")) == ("Front desk card printer", "Office laser")
    installed = ["Office laser", "Front desk card printer"]
    assert choose_printer_name(again.printer_for("id_card"), installed) == "Front desk card printer"
    # a printer taken away since: the system's default, not an error
    assert choose_printer_name("Old card printer", installed) is None
    assert choose_printer_name(None, installed) is None


# -- the desk: Print… / Preview… / Save as PDF… ----------------------------------------------------
@pytest.fixture(scope="module")
def clerk(demo_engine):
    create_demo_logins(demo_engine)
    user, eng = sign_in(demo_engine.url, "demo_front_office", DEMO_PASSWORD)
    yield user, eng
    eng.dispose()


@pytest.fixture(scope="module")
def student(clerk):
    """A student the clerk may see who has classes on the demo day: usi, name, student id."""
    _user, eng = clerk
    with eng.connect() as c:
        for usi, first, last, uid in c.execute(text(
                "SELECT studentusi, firstname, lastsurname, studentuniqueid FROM edfi.student ORDER BY studentusi "
                "LIMIT 40")):
            if S.student_schedule(c, usi, DEMO_AS_OF):
                return usi, f"{first} {last}", uid
    raise AssertionError("no student of the clerk's has classes on the demo day")


@pytest.fixture
def desk(qtbot, clerk, student, tmp_path, run_until):
    user, eng = clerk
    asked: dict = {"printers": [], "answer": True}

    def ask_printer(printer: QPrinter, parent, title: str) -> bool:
        # The user picks a printer; ours prints to a file we can read back.
        asked["printers"].append(title)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / f"printed-{len(asked['printers'])}.pdf"))
        return asked["answer"]

    page = FrontOfficePage(DeskContext(engine=lambda: eng, user=lambda: user, today=lambda: DEMO_AS_OF),
                           choose_pdf_path=lambda suggested: str(tmp_path / suggested), ask_printer_fn=ask_printer,
                           print_settings=UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)))
    page.asked = asked
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    page.activate()
    run_until(lambda: page._loaded)
    usi, name, uid = student
    page.set_student(usi, name, uid)
    page.schedule_day.setText(f"{DEMO_AS_OF:%m/%d/%Y}")
    page.tabs.setCurrentIndex(2)
    return page


def choice(button, how: str):
    return next(a for a in button.menu().actions() if a.objectName() == how)


def test_print_id_card_from_the_keyboard_prints_a_cr80_card_that_scans(desk, student, run_until, tmp_path):
    _usi, name, uid = student
    assert (desk.print_card.accessibleName(), desk.print_schedule.accessibleName()) == ("Print ID card",
                                                                                     "Print schedule")
    assert [a.text() for a in desk.print_card.menu().actions()] == ["&Print…", "Pre&view…", "&Save as PDF…"]
    menu = desk.print_card.menu()

    def choose_first():  # the menu is open: Down selects "Print…", Enter chooses it
        assert menu.isVisible()
        QTest.keyClick(menu, Qt.Key.Key_Down)
        QTest.keyClick(menu, Qt.Key.Key_Return)

    desk.print_card.setFocus()
    QTimer.singleShot(300, choose_first)
    QTest.keyClick(desk.print_card, Qt.Key.Key_Space)  # Space opens the button's menu
    run_until(lambda: desk.schedule_message.text().startswith("Printed"))
    assert desk.asked["printers"] == [f"{name}'s ID card"]
    printed = tmp_path / "printed-1.pdf"
    assert desk.schedule_message.text() == f"Printed {name}'s ID card to the file {printed} (1 page)."
    [(width, height)] = page_sizes_mm(printed)
    assert is_cr80(width, height)
    assert [b[:2] for b in barcodes(str(printed))] == [("Code128", uid)]


def test_print_schedule_prints_the_students_classes_on_letter(desk, student, clerk, run_until, tmp_path):
    usi, name, _uid = student
    choice(desk.print_schedule, "print").trigger()
    run_until(lambda: desk.schedule_message.text().startswith("Printed"))
    assert desk.asked["printers"] == [f"{name}'s schedule"]
    with clerk[1].connect() as c:
        report = student_schedule.build(schedule_document(c, usi, DEMO_AS_OF), today=DEMO_AS_OF)
    pages = len(PdfReader(io.BytesIO(report)).pages)
    printed = tmp_path / "printed-1.pdf"
    sizes = page_sizes_mm(printed)
    assert len(sizes) == pages and all((round(w, 1), round(h, 1)) == (215.9, 279.4) for w, h in sizes)
    # The printed page shows what the report shows (the "Printed on" day is the same: the desk's today).
    assert difference(page_image(str(printed), 0, 100), page_image(report, 0, 100)) < 2


def test_cancelling_the_print_dialog_prints_nothing(desk, student, run_until, tmp_path):
    desk.asked["answer"] = False
    choice(desk.print_card, "print").trigger()
    run_until(lambda: desk.schedule_message.text().startswith("Not printed"))
    assert desk.schedule_message.text() == f"Not printed: {student[1]}'s ID card was not sent to a printer."
    assert not (tmp_path / "printed-1.pdf").exists()


def test_preview_shows_the_card_as_it_will_print(desk, student, run_until, tmp_path):
    choice(desk.print_card, "preview").trigger()
    run_until(lambda: desk.printing.preview_dialog is not None and desk.printing.preview_dialog.isVisible())
    dialog = desk.printing.preview_dialog
    view = dialog.findChild(QPrintPreviewWidget)
    run_until(lambda: view.pageCount() == 1)
    assert dialog.windowTitle() == f"Preview: {student[1]}'s ID card"
    assert dialog.isModal()
    assert desk.schedule_message.text() == (f"Showing the preview of {student[1]}'s ID card; print it from there "
                                            "or close it.")
    # Its Print button prints the pages the preview shows, on the printer chosen (here a file).
    dialog.printer().setOutputFileName(str(tmp_path / "from-preview.pdf"))
    view.print_()
    dialog.accept()  # what the Print button does once the pages are sent
    run_until(lambda: desk.printing.preview_dialog is None)
    assert desk.schedule_message.text() == (f"Printed {student[1]}'s ID card to the file "
                                            f"{tmp_path / 'from-preview.pdf'} from the preview.")
    [(width, height)] = page_sizes_mm(tmp_path / "from-preview.pdf")
    assert is_cr80(width, height)
    assert [b[:2] for b in barcodes(str(tmp_path / "from-preview.pdf"))] == [("Code128", student[2])]


def test_closing_the_preview_prints_nothing(desk, student, run_until, tmp_path):
    choice(desk.print_schedule, "preview").trigger()
    run_until(lambda: desk.printing.preview_dialog is not None and desk.printing.preview_dialog.isVisible())
    desk.printing.preview_dialog.reject()  # Escape or the window's close button
    run_until(lambda: desk.printing.preview_dialog is None)
    assert desk.schedule_message.text() == f"Not printed: the preview of {student[1]}'s schedule was closed."
    assert list(tmp_path.glob("*.pdf")) == []


def test_save_as_pdf_writes_the_report_itself(desk, student, run_until, tmp_path):
    _usi, name, uid = student
    choice(desk.print_card, "save").trigger()
    saved = tmp_path / f"id-card-{uid}.pdf"
    run_until(lambda: desk.schedule_message.text().startswith("Saved"))
    assert desk.schedule_message.text() == f"Saved {name}'s ID card to {saved}."
    reader = PdfReader(str(saved))
    # the report's own PDF: text a reader can select, the card size reportlab drew, the barcode
    assert name in reader.pages[0].extract_text()
    assert (round(float(reader.pages[0].mediabox.width)), round(float(reader.pages[0].mediabox.height))) == (243, 153)
    assert [b[:2] for b in barcodes(saved.read_bytes())] == [("Code128", uid)]


def test_printing_with_no_student_open_says_what_to_do(qtbot, clerk, tmp_path, run_until):
    user, eng = clerk
    asked = []
    page = FrontOfficePage(DeskContext(engine=lambda: eng, user=lambda: user, today=lambda: DEMO_AS_OF),
                           ask_printer_fn=lambda *a: asked.append(a) or True,
                           print_settings=UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(page)
    choice(page.print_schedule, "print").trigger()
    run_until(lambda: page.schedule_message.text() != "")
    assert page.schedule_message.text() == "Open a student first: press Ctrl+F and type a name or student id."
    assert asked == []


def test_save_as_pdf_on_a_desk_that_brings_no_file_chooser_asks_the_workstations_dialog(qtbot, tmp_path,
                                                                                          monkeypatch, run_until):
    """Every desk but the front office builds its Printing without a chooser of its own (the nurse's lists, the
    library, report cards, transcripts, bus packets, the cafeteria's reports): "Save as PDF…" must still ask where,
    with the printout's own name, and write the report there. (It said "Not saved: no file was chosen" at once.)
    The workstation's file dialog is outside our control: it answers with a path here."""
    from PySide6.QtWidgets import QFileDialog, QLabel

    from ui.printing import Printing, Printout

    asked = []

    def dialog(parent, title, suggested, filters):
        asked.append((title, suggested, filters))
        return str(tmp_path / "card.pdf"), filters
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(dialog))
    label = QLabel()
    qtbot.addWidget(label)
    printing = Printing(label, label.setText)
    printing.choose("save", Printout("id_card", "Mia Okafor's ID card", "id-card-605501.pdf", card_pdf))
    run_until(lambda: label.text().startswith("Saved"))
    assert asked and asked[0][1].endswith("id-card-605501.pdf") and asked[0][2] == "PDF (*.pdf)"
    assert "Mia Okafor" in PdfReader(str(tmp_path / "card.pdf")).pages[0].extract_text()
