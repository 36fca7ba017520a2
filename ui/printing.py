"""Printing the PDFs our reports build: the system print dialog, a preview, and Save as PDF.

PySide6-Essentials has no QtPdf, so each PDF page is rendered with pypdfium2 at (a whole fraction
of) the printer's resolution and painted at actual size onto the QPrinter: one printer page per
PDF page, each the size the document gives it (a CR80 ID card is one small page; nothing is fitted
to the paper, so the card's barcode keeps its bar widths and still scans). Save as PDF writes the
report's own bytes, never a re-rendering.

Dialogs open from plain slots (before any coroutine starts) or with open(): exec() inside a
coroutine would nest the event loop and re-enter asyncio tasks. The printer chosen is remembered
per kind of printout on this workstation (ID cards go to the card printer, schedules to the office
printer)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
from PySide6.QtCore import QMarginsF, QObject, QRectF, QSizeF, Qt, QTimer
from PySide6.QtGui import QAction, QImage, QPageLayout, QPageSize, QPainter, QPaintEngine
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo, QPrintPreviewDialog, QPrintPreviewWidget
from PySide6.QtWidgets import QDialog, QFileDialog, QMenu, QPushButton, QWidget

from app.errors import UserError
from ui.ops import OpFailed, run_op, spawn
from ui.settings import UiSettings
from ui.text import plural

log = logging.getLogger(__name__)

POINTS_PER_INCH = 72
# ISO/IEC 7810 ID-1, the size card printers call CR80. Given portrait with landscape orientation,
# as card printer drivers list it, so the driver finds its own paper.
CR80 = QPageSize(QSizeF(53.98, 85.60), QPageSize.Unit.Millimeter, "CR80 card", QPageSize.SizeMatchPolicy.ExactMatch)
MAX_RENDER_DPI = 600  # finer than any office or card printer prints a raster
MAX_RENDER_PIXELS = 13_000_000  # Letter or A4 at 360 dpi fit (12.5 Mpx); Letter at 1200 dpi would be 540 MB
# The preview shows pages scaled down on screen: a coarser raster is quicker and scales down cleanly.
PREVIEW_DPI, PREVIEW_PIXELS = 300, 2_200_000


@dataclass(frozen=True)
class Printout:
    kind: str  # "schedule", "id_card": which remembered printer to offer
    title: str  # "Theo Marsh's ID card": the job name in the print queue and in messages
    file_name: str  # what Save as PDF suggests
    build: Callable[[], bytes]  # the report's PDF; runs on a worker thread (it reads the database)


# -- painting a PDF onto a printer -----------------------------------------------------------------
def page_layout(width_pt: float, height_pt: float) -> QPageLayout:
    """The printer page for a PDF page of this size, without margins. A card within a point of CR80
    (reportlab's 3.375 × 2.125 in) prints on CR80; Letter stays Letter, so the printer picks its tray."""
    short, long_ = sorted((width_pt, height_pt))
    cr80 = CR80.size(QPageSize.Unit.Point)
    if abs(short - cr80.width()) <= 1 and abs(long_ - cr80.height()) <= 1:
        size = CR80
    else:
        size = QPageSize(QSizeF(short, long_), QPageSize.Unit.Point, "", QPageSize.SizeMatchPolicy.FuzzyMatch)
    orientation = QPageLayout.Orientation.Landscape if width_pt > height_pt else QPageLayout.Orientation.Portrait
    return QPageLayout(size, orientation, QMarginsF(0, 0, 0, 0))


def render_dpi(device_dpi: int, width_pt: float, height_pt: float, max_dpi: int = MAX_RENDER_DPI,
               max_pixels: int = MAX_RENDER_PIXELS) -> int:
    """The printer's resolution divided by the smallest whole number that keeps the page's raster
    within bounds: device pixels then map onto whole image pixels (crisp bars, no moiré)."""
    divisor = 1
    while True:
        dpi = device_dpi / divisor
        pixels = (width_pt * dpi / POINTS_PER_INCH) * (height_pt * dpi / POINTS_PER_INCH)
        if dpi <= 72 or (dpi <= max_dpi and pixels <= max_pixels):
            return max(1, round(dpi))
        divisor += 1


def pages_to_print(count: int, printer: QPrinter) -> list[int]:
    """The page indexes in printing order: the range chosen in the dialog, the copies the printer
    cannot make itself (a PDF file cannot), collated or not, last page first if asked."""
    first, last = 1, count
    if printer.printRange() == QPrinter.PrintRange.PageRange and printer.fromPage() > 0:
        first, last = printer.fromPage(), min(count, printer.toPage() or count)
    if first > last:
        raise UserError(f"The pages chosen are not in this printout: it has {plural(count, 'page')}; "
                        f"choose pages 1 to {count}.")
    pages = list(range(first - 1, last))
    if printer.pageOrder() == QPrinter.PageOrder.LastPageFirst:
        pages.reverse()
    copies = 1 if printer.supportsMultipleCopies() else max(1, printer.copyCount())
    if printer.collateCopies():
        return pages * copies
    return [p for p in pages for _ in range(copies)]


def paint_pdf(printer: QPrinter, data: bytes) -> int:
    """Paint the PDF onto the printer, each page at actual size on a page of its own size; return
    the number of pages painted. UserError when the printer does not take the job."""
    document = pypdfium2.PdfDocument(data)
    try:
        order = pages_to_print(len(document), printer)
        printer.setFullPage(True)  # the PDF page is the paper: origin at the paper's corner
        painter = QPainter()
        for n, index in enumerate(order):
            page = document[index]
            width, height = page.get_size()
            if page.get_rotation() % 180:  # a page turned a quarter prints as it is shown
                width, height = height, width
            layout = page_layout(width, height)
            if not printer.pageLayout().isEquivalentTo(layout):
                # Before begin() or newPage(): this page's size. Mid-job only PDF-based engines (CUPS,
                # a file) take a new size; elsewhere the page keeps the job's size, still at 100 %.
                printer.setPageLayout(layout)
            if n == 0:
                if not painter.begin(printer):
                    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
                        raise UserError(f"{printer.outputFileName()} could not be written; choose another "
                                        "folder or file name.")
                    raise UserError("The printer did not take the job; check that it is switched on and "
                                    "connected, then print again.")
            elif not printer.newPage():
                painter.end()
                raise UserError("The printer stopped taking pages; check it and print again.")
            _paint_page(painter, printer, page, width, height)
        painter.end()
        return len(order)
    finally:
        document.close()


def _paint_page(painter: QPainter, printer: QPrinter, page: pypdfium2.PdfPage, width: float, height: float) -> None:
    device_dpi = printer.resolution()
    preview = painter.paintEngine().type() == QPaintEngine.Type.Picture  # the preview records a picture
    dpi = render_dpi(device_dpi, width, height, *((PREVIEW_DPI, PREVIEW_PIXELS) if preview else ()))
    bitmap = page.render(scale=dpi / POINTS_PER_INCH, prefer_bgrx=True, optimize_mode="print")
    image = QImage(bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride, QImage.Format.Format_RGB32)
    # Actual size in device pixels, centred on the paper: a 3.375 in card on CR80 paper (3.370 in)
    # loses 0.06 mm at each end instead of 0.13 mm at one.
    target = QRectF(0, 0, width * device_dpi / POINTS_PER_INCH, height * device_dpi / POINTS_PER_INCH)
    target.moveCenter(QRectF(printer.paperRect(QPrinter.Unit.DevicePixel)).center())
    # Smooth in the preview, which scales pages down on screen. On paper the raster maps onto whole
    # device pixels and stays sharp (a barcode's bars keep hard edges).
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, preview)
    painter.drawImage(target, image)
    del image  # it borrows the bitmap's memory
    bitmap.close()


# -- the dialogs (each replaceable in tests: the printer is outside our control) -------------------
def ask_printer(printer: QPrinter, parent: QWidget | None, title: str) -> bool:
    """The system print dialog on this printer; True when the user pressed Print."""
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"Print {title}")
    dialog.setAccessibleName(f"Print {title}")
    dialog.setOption(QPrintDialog.PrintDialogOption.PrintCurrentPage, False)
    dialog.setOption(QPrintDialog.PrintDialogOption.PrintSelection, False)
    return dialog.exec() == QDialog.DialogCode.Accepted


def open_preview(printer: QPrinter, paint: Callable[[QPrinter], None], parent: QWidget | None,
                 title: str) -> QDialog:
    """The preview of the pages as they will print, with its own Print button; opened, not exec()'d."""
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setWindowTitle(f"Preview: {title}")
    dialog.setAccessibleName(f"Preview of {title}")
    dialog.paintRequested.connect(paint)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.resize(900, 700)
    dialog.open()
    view = dialog.findChild(QPrintPreviewWidget)
    if view is not None:
        view.setAccessibleName(f"Pages of {title}")
        view.fitInView()  # a whole card or a whole page at once
    return dialog


def choose_printer_name(remembered: str | None, installed: Iterable[str]) -> str | None:
    """The remembered printer if it is still installed; otherwise None (the system's default)."""
    return remembered if remembered and remembered in set(installed) else None


# -- the Print… / Preview… / Save as PDF… choice on a desk's button --------------------------------
class Printing(QObject):
    """Prints a desk's printouts. `report` receives the one sentence the desk shows afterwards."""

    CHOICES = (("print", "&Print…"), ("preview", "Pre&view…"), ("save", "&Save as PDF…"))

    def __init__(self, parent: QWidget, report: Callable[[str], None], *, settings: UiSettings | None = None,
                 ask_printer_fn: Callable[[QPrinter, QWidget | None, str], bool] | None = None,
                 choose_pdf_path: Callable[[str], str | None] | None = None,
                 open_preview_fn: Callable[..., QDialog] | None = None,
                 installed_printers: Callable[[], list[str]] = QPrinterInfo.availablePrinterNames,
                 busy: Iterable[QWidget] = ()) -> None:
        super().__init__(parent)
        self.widget = parent
        self.report = report
        self._settings = settings
        self.ask_printer = ask_printer_fn or ask_printer
        # (every desk but the front office gave none: "Save as PDF…" then never asked for a file, and saved nothing)
        self.choose_pdf_path = choose_pdf_path or self._ask_pdf_path
        self.open_preview = open_preview_fn or open_preview
        self.installed_printers = installed_printers
        self.busy = tuple(busy)
        self.preview_dialog: QDialog | None = None

    def _ask_pdf_path(self, suggested: str) -> str | None:
        """The workstation's save dialog, in the user's home folder with the printout's own file name. Asked from
        the event loop (`_chosen`), never from inside a coroutine."""
        path, _ = QFileDialog.getSaveFileName(self.widget, "Save the PDF", str(Path.home() / suggested), "PDF (*.pdf)")
        return path or None

    @property
    def settings(self) -> UiSettings:
        if self._settings is None:  # the workstation's own settings, read only when printing
            self._settings = UiSettings()
        return self._settings

    def attach(self, button: QPushButton, printout: Callable[[], Printout | None], what: str) -> QMenu:
        """Give the button its menu of choices (Space or a click opens it; arrows and Enter choose).
        `printout` returns None when there is nothing to print (it has said why)."""
        label = button.text().replace("&", "").rstrip("…").strip()  # a screen reader says what is shown
        menu = QMenu(button)
        menu.setAccessibleName(label)
        for how, text in self.CHOICES:
            action = QAction(text, menu)
            action.setObjectName(how)
            action.triggered.connect(lambda _checked=False, how=how: self._chosen(how, printout))
            menu.addAction(action)
        button.setMenu(menu)
        button.setAccessibleName(label)
        button.setAccessibleDescription("Opens a menu: print, preview, or save as PDF")
        button.setToolTip(f"Print {what} on a printer, preview it first, or save it as a PDF file.")
        return menu

    def _chosen(self, how: str, printout: Callable[[], Printout | None]) -> None:
        # After the menu has closed, from the event loop: the dialogs then nest in no coroutine.
        QTimer.singleShot(0, lambda: self._start(how, printout))

    def _start(self, how: str, printout: Callable[[], Printout | None]) -> None:
        p = printout()
        if p is not None:
            self.choose(how, p)

    def choose(self, how: str, p: Printout) -> None:
        """Ask what has to be asked (printer, file), then build and print in a coroutine."""
        if how == "print":
            printer = self.printer_for(p)
            if not self.ask_printer(printer, self.widget, p.title):
                self.report(f"Not printed: {p.title} was not sent to a printer.")
                return
            self.remember(p.kind, printer)
            spawn(self.print_on(p, printer))
        elif how == "preview":
            spawn(self.preview(p))
        else:
            path = self.choose_pdf_path(p.file_name)
            if not path:
                self.report(f"Not saved: no file was chosen for {p.title}.")
                return
            spawn(self.save(p, path))

    def printer_for(self, p: Printout) -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)  # the printer's own resolution
        name = choose_printer_name(self.settings.printer_for(p.kind), self.installed_printers())
        if name:
            printer.setPrinterName(name)
        if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:  # no printer installed: a file, well named
            printer.setOutputFileName(str(Path.home() / p.file_name))
        printer.setDocName(p.title)
        return printer

    def remember(self, kind: str, printer: QPrinter) -> None:
        if printer.outputFormat() == QPrinter.OutputFormat.NativeFormat and printer.printerName():
            self.settings.set_printer_for(kind, printer.printerName())

    async def _build(self, p: Printout) -> bytes | None:
        try:
            return await run_op(p.build, disable=self.busy)
        except OpFailed as err:
            self.report(err.message)
            return None

    async def print_on(self, p: Printout, printer: QPrinter) -> int:
        """Build the printout and paint it onto the printer chosen; the number of pages sent."""
        data = await self._build(p)
        if data is None:
            return 0
        try:
            pages = paint_pdf(printer, data)
        except UserError as err:
            self.report(f"Not printed: {err.message}")
            return 0
        self.report(self._sent(p, printer, pages))
        return pages

    @staticmethod
    def _sent(p: Printout, printer: QPrinter, pages: int | None) -> str:
        how_many = f" ({plural(pages, 'page')})" if pages is not None else " from the preview"
        if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat and printer.outputFileName():
            return f"Printed {p.title} to the file {printer.outputFileName()}{how_many}."
        return f"Sent {p.title} to {printer.printerName() or 'the printer'}{how_many}."

    async def preview(self, p: Printout) -> QDialog | None:
        data = await self._build(p)
        if data is None:
            return None
        printer = self.printer_for(p)

        def paint(on: QPrinter) -> None:
            try:
                paint_pdf(on, data)
            except UserError as err:
                self.report(f"Not printed: {err.message}")

        def closed(result: int) -> None:
            self.preview_dialog = None
            if result == QDialog.DialogCode.Accepted:  # printed from the preview
                self.remember(p.kind, printer)
                self.report(self._sent(p, printer, None))
            else:
                self.report(f"Not printed: the preview of {p.title} was closed.")

        dialog = self.open_preview(printer, paint, self.widget, p.title)
        dialog.finished.connect(closed)
        self.preview_dialog = dialog
        self.report(f"Showing the preview of {p.title}; print it from there or close it.")
        return dialog

    async def save(self, p: Printout, path: str) -> str | None:
        """Write the report's own PDF bytes to the file chosen."""
        data = await self._build(p)
        if data is None:
            return None
        try:
            Path(path).write_bytes(data)
        except OSError as err:
            log.warning("could not write %s: %s", path, err)
            self.report(f"Not saved: {path} could not be written ({err.strerror or 'refused'}); "
                        "choose another folder.")
            return None
        self.report(f"Saved {p.title} to {path}.")
        return path
