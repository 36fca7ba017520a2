"""A batch of report cards: one PDF per student and one merged print file, rendered on every core.

Reading is one set of queries for the whole batch (report_cards.report_cards); rendering is the
expensive part and runs in worker processes (reportlab holds the GIL), in chunks so progress can be
reported as students finish. Each chunk is laid out as ONE reportlab file (fonts subset and the logo
embedded once, each card numbering its own pages) and then cut into one file per student with
pdfium, which copies the finished objects without laying anything out again; the merged print file
joins the chunk files, so it holds the logo and fonts once per chunk instead of once per student."""

from __future__ import annotations

import io
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date

import pypdfium2 as pdfium

from reports import report_card as report_card_pdf
from reports.report_card import ReportCardDocument


@dataclass(frozen=True)
class RenderedCard:
    student_name: str
    student_id: str
    pdf: bytes


@dataclass(frozen=True)
class Batch:
    cards: tuple[RenderedCard, ...]
    merged: bytes  # every card in order, for one print job

    def file_name(self, card: RenderedCard, period: str) -> str:
        safe = "".join(ch if ch.isalnum() else "_" for ch in card.student_name).strip("_")
        return f"report_card_{period.replace(' ', '_')}_{card.student_id}_{safe}.pdf"


def _saved(pdf: pdfium.PdfDocument) -> bytes:
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def split(data: bytes, page_counts: list[int]) -> list[bytes]:
    """Cut a file of several documents into one file each (page_counts: pages of each, in order)."""
    src = pdfium.PdfDocument(data)
    out, start = [], 0
    for n in page_counts:
        one = pdfium.PdfDocument.new()
        one.import_pages(src, list(range(start, start + n)))
        out.append(_saved(one))
        start += n
    return out


def _render_chunk(docs: list[ReportCardDocument], today: date) -> tuple[bytes, list[bytes]]:
    """(the chunk as one file, one file per card)."""
    data, counts = report_card_pdf.build_many(docs, today=today)
    return data, split(data, counts)


def merge(pdfs: list[bytes]) -> bytes:
    out = pdfium.PdfDocument.new()
    for data in pdfs:
        out.import_pages(pdfium.PdfDocument(data))
    return _saved(out)


def _warm_up() -> None:
    """Run in each worker as the batch's data is being read: imports and fonts, before the first chunk."""
    from reports.base import styles

    styles()


class CardRenderer:
    """Worker processes for a batch, started before the batch's data is read so their start-up
    (spawn, imports, fonts) overlaps the database work. Use as a context manager."""

    def __init__(self, processes: int | None = None) -> None:
        self.processes = processes or min(2, os.cpu_count() or 1)
        self._pool: Executor | None = None
        if self.processes > 1:
            # spawn, not fork: the caller may be a Qt application with threads running
            self._pool = ProcessPoolExecutor(max_workers=self.processes,
                                             mp_context=multiprocessing.get_context("spawn"))
            for _ in range(self.processes):
                self._pool.submit(_warm_up)

    def __enter__(self) -> CardRenderer:
        return self

    def __exit__(self, *_exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def render(self, docs: list[ReportCardDocument], today: date, *,
               progress: Callable[[int, int], None] | None = None, chunk: int = 25) -> Batch:
        chunks = [docs[i:i + chunk] for i in range(0, len(docs), chunk)]
        files: list[bytes] = []
        pdfs: list[bytes] = []
        results = (map(_render_chunk, chunks, [today] * len(chunks)) if self._pool is None or len(chunks) <= 1
                   else self._pool.map(_render_chunk, chunks, [today] * len(chunks)))
        for whole, each in results:
            files.append(whole)
            pdfs += each
            if progress:
                progress(len(pdfs), len(docs))
        cards = tuple(RenderedCard(d.student_name, d.student_id, p) for d, p in zip(docs, pdfs))
        return Batch(cards, merge(files) if files else b"")


def render_batch(docs: list[ReportCardDocument], today: date, *, processes: int | None = None,
                 progress: Callable[[int, int], None] | None = None, chunk: int = 25) -> Batch:
    """Render the cards (in `processes` worker processes; 1 renders here) and merge them."""
    with CardRenderer(1 if len(docs) <= chunk else processes) as renderer:
        return renderer.render(docs, today, progress=progress, chunk=chunk)
