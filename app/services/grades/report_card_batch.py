"""A batch of report cards: one PDF per student and one merged print file, rendered on every core.

Reading is one set of queries for the whole batch (report_cards.report_cards); rendering is the
expensive part and runs in worker processes (reportlab holds the GIL), in chunks so progress can be
reported as students finish."""

from __future__ import annotations

import io
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
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


def _render_chunk(docs: list[ReportCardDocument], today: date) -> list[bytes]:
    return [report_card_pdf.build(d, today=today) for d in docs]


def merge(pdfs: list[bytes]) -> bytes:
    out = pdfium.PdfDocument.new()
    for data in pdfs:
        src = pdfium.PdfDocument(data)
        out.import_pages(src)
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def render_batch(docs: list[ReportCardDocument], today: date, *, processes: int | None = None,
                 progress: Callable[[int, int], None] | None = None, chunk: int = 20) -> Batch:
    """Render the cards (in `processes` worker processes; 1 renders here) and merge them."""
    processes = processes or min(2, os.cpu_count() or 1)
    chunks = [docs[i:i + chunk] for i in range(0, len(docs), chunk)]
    pdfs: list[bytes] = []
    if processes <= 1 or len(chunks) <= 1:
        for part in chunks:
            pdfs += _render_chunk(part, today)
            if progress:
                progress(len(pdfs), len(docs))
    else:
        # spawn, not fork: the caller may be a Qt application with threads running
        with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn")) as pool:
            for done in pool.map(_render_chunk, chunks, [today] * len(chunks)):
                pdfs += done
                if progress:
                    progress(len(pdfs), len(docs))
    cards = tuple(RenderedCard(d.student_name, d.student_id, p) for d, p in zip(docs, pdfs))
    return Batch(cards, merge(pdfs) if pdfs else b"")
