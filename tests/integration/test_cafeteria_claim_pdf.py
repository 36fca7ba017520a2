"""The monthly claim and the day's meal counts as a cafeteria manager prints them (issue 9): sales rung
up at the middle school on two days of a month nobody else sold in (free, reduced and paid students,
a second meal, a voided meal, a late offline sale), then the PDF's text, read back, gives the counts
the ledger gives: one reimbursable meal per student per service per day, by the eligibility at the
time of sale, second meals apart."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pypdfium2
import pytest
from sqlalchemy import text

from app.domain.cafeteria_rules import SERVICE_NAMES
from app.services.cafeteria import manager as M
from app.services.cafeteria import office
from app.services.cafeteria.dto import SaleDraft
from app.services.cafeteria.register import Register

pytestmark = pytest.mark.integration
RMS = 255950002
DAYS = (date(2027, 1, 11), date(2027, 1, 12))  # a month with no other sales in the demo district


def pdf_text(pdf: bytes, png_dir: Path | None = None, name: str = "") -> list[str]:
    doc = pypdfium2.PdfDocument(pdf)
    pages = []
    for n, page in enumerate(doc):
        pages.append(page.get_textpage().get_text_range())
        if png_dir is not None:  # for looking at the page (SO_LOOK_DIR=... while developing)
            page.render(scale=1.4).to_pil().save(png_dir / f"{name}-{n + 1}.png")
    return pages


def clock_at(day, hour, minute):
    return lambda: datetime.combine(day, datetime.min.time()).replace(hour=hour, minute=minute).astimezone()


@pytest.fixture(scope="module")
def month_of_sales(login_engine, tmp_path_factory):
    """Breakfasts and lunches on two January days; returns the sale ids of the voided meal."""
    journals = tmp_path_factory.mktemp("claim-journals")
    regs, voided = [], []
    try:
        for d, day in enumerate(DAYS):
            a = Register.open(login_engine("demo_cashier"), journals, f"CLAIM-A{d}", clock=clock_at(day, 11, 40))
            b = Register.open(login_engine("demo_cashier"), journals, f"CLAIM-B{d}", clock=clock_at(day, 11, 50))
            regs += [a, b]
            item = {i.code: i.item_id for i in a.setup().items}
            kids = [s for s in a.snapshot.content["students"].values()
                    if s["has_account"] and not s["allergies"] and not s["withdrawn"]]
            by = {e: [k for k in kids if k["eligibility"] == e] for e in ("free", "reduced", "paid")}
            sold = by["free"][:4 + d] + by["reduced"][:2] + by["paid"][:5 - d]
            for k in sold:
                a.record_sale(SaleDraft(str(uuid.uuid4()), k["usi"], "lunch", (item["L200"],), confirm_repeat=True,
                                        override_by="demo_cafeteria_manager", override_reason="claim test"))
            for k in sold[:3]:
                a.record_sale(SaleDraft(str(uuid.uuid4()), k["usi"], "breakfast", (item["B100"],),
                                        confirm_repeat=True, override_by="demo_cafeteria_manager",
                                        override_reason="claim test"))
            # a late offline lunch on the other terminal: a second meal, never a second claim
            b.record_sale(SaleDraft(str(uuid.uuid4()), by["paid"][0]["usi"], "lunch", (item["L500"],),
                                    confirm_repeat=True, override_by="demo_cafeteria_manager",
                                    override_reason="claim test"))
            gone = a.record_sale(SaleDraft(str(uuid.uuid4()), by["paid"][6]["usi"], "lunch", (item["L100"],),
                                           confirm_repeat=True, override_by="demo_cafeteria_manager",
                                           override_reason="claim test"))
            a.send_now()
            b.send_now()
            voided.append(gone.sale_id)
        for sale_id in voided:
            M.void_sale(login_engine("demo_cafeteria_manager"), sale_id, "Rung up by mistake", str(uuid.uuid4()))
    finally:
        for r in regs:
            r.stop()
    return voided


def ledger_counts(demo_engine, day_from, day_to):
    """From the ledger itself: per (student, day, service) the first meal line sold that was not voided
    is the reimbursable one, counted by its eligibility; every other meal line is not reimbursable."""
    with demo_engine.connect() as c:
        lines = c.execute(text("""
            SELECT t.student_usi, s.service_date, s.meal_service, t.eligibility, s.sold_at, s.terminal_id,
                   s.terminal_seq, t.line_no
              FROM cafeteria.meal_transactions t JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid
             WHERE s.school_id = :s AND s.service_date BETWEEN :a AND :b AND t.entry_kind IN ('meal', 'second_meal')
               AND NOT EXISTS (SELECT 1 FROM cafeteria.meal_transactions v WHERE v.reverses_transaction_id =
                               t.transaction_id AND v.entry_kind IN ('void', 'refund'))
             ORDER BY s.sold_at, s.terminal_id, s.terminal_seq, t.line_no"""),
                          {"s": RMS, "a": day_from, "b": day_to}).all()
    seen, reimbursable, other = set(), Counter(), Counter()
    for r in lines:
        key = (r.student_usi, r.service_date, r.meal_service)
        if key in seen:
            other[r.meal_service] += 1
        else:
            seen.add(key)
            reimbursable[r.service_date, r.meal_service, r.eligibility] += 1
    return reimbursable, other


def test_the_monthly_claim_pdf_counts_what_the_ledger_holds(month_of_sales, login_engine, demo_engine):
    look = Path(os.environ["SO_LOOK_DIR"]) if os.environ.get("SO_LOOK_DIR") else None
    manager = login_engine("demo_cafeteria_manager")
    reimbursable, other = ledger_counts(demo_engine, *DAYS)
    assert sum(other.values()) == 2 and sum(reimbursable.values()) == 2 * 11 + 2 * 3
    pages = pdf_text(office.monthly_claim_pdf(manager, RMS, DAYS[0]), look, "claim")
    words = " ".join(" ".join(p.split()) for p in pages)
    assert "Riverbend Middle School" in words and "January 2027" in words and "2 serving days" in words
    for service in ("breakfast", "lunch"):
        for cat in ("free", "reduced", "paid"):
            n = sum(v for (d, s, c), v in reimbursable.items() if s == service and c == cat)
            assert f"{SERVICE_NAMES[service]} {cat.capitalize()} {n}" in words, (service, cat, n)
        total = sum(v for (d, s, c), v in reimbursable.items() if s == service)
        not_claimed = other[service]
        assert f"{SERVICE_NAMES[service]} total {total} {not_claimed}" in words
    assert f"All services {sum(reimbursable.values())} {sum(other.values())}" in words
    checks = words.split("Eligible students Limit Check ")[1].split(" I certify")[0]
    assert checks.count(" OK") == 8 and "Over" not in checks  # each day and category, none over the limit
    assert f"Second meals and other meals not claimed: {sum(other.values())}" in words


def test_the_days_meal_counts_pdf_counts_what_the_ledger_holds(month_of_sales, login_engine, demo_engine):
    look = Path(os.environ["SO_LOOK_DIR"]) if os.environ.get("SO_LOOK_DIR") else None
    manager = login_engine("demo_cafeteria_manager")
    day = DAYS[1]
    reimbursable, other = ledger_counts(demo_engine, day, day)
    words = " ".join(" ".join(p.split()) for p in pdf_text(office.meal_counts_pdf(manager, RMS, day), look, "day"))
    assert "Tuesday, January 12, 2027" in words
    for service in ("breakfast", "lunch"):
        for cat in ("free", "reduced", "paid"):  # every category printed, zero or not, in this order
            n = reimbursable.get((day, service, cat), 0)
            not_claimed = other[service] if cat == "paid" else 0  # the late lunch was a paid student's
            assert f"{SERVICE_NAMES[service]} {cat.capitalize()} {n} {not_claimed}" in words, (service, cat)
    assert f"All services {sum(reimbursable.values())} {sum(other.values())}" in words
