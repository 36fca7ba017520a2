"""The field-trip health list (issue 11: health.allergies is the one source of truth for the lunch
register, bus rosters, field-trip lists and the profile badge): printed from the nurse desk's Lists
tab for a class, it shows each student's allergies as health.allergies holds them, and each student
printed is in the audit trail with the printout's reason."""

from __future__ import annotations

import pypdfium2
import pytest
from sqlalchemy import text

from app.services.nurse.common import FIELD_TRIP_PRINTED
from tests.conftest import DEMO_AS_OF
from tests.ui.test_nurse_desk import SHOTS, page, shot  # noqa: F401 (fixture)

pytestmark = pytest.mark.ui
RES = 255950001
CLASS_WITH_ALLERGY = """
SELECT x.localcoursecode, x.schoolid, x.schoolyear, x.sectionidentifier, x.sessionname, st.studentusi,
       st.firstname, st.lastsurname, al.allergen_name
  FROM edfi.studentsectionassociation x JOIN edfi.student st ON st.studentusi = x.studentusi
  JOIN health.allergies al ON al.student_usi = x.studentusi AND coalesce(al.is_active, true)
 WHERE x.schoolid = :s AND x.begindate <= :d AND (x.enddate IS NULL OR x.enddate >= :d)
 ORDER BY x.sectionidentifier LIMIT 1"""


def test_the_field_trip_list_prints_each_students_allergies_and_logs_each_view(page, run_async, demo_engine,
                                                                              login_engine):
    with demo_engine.connect() as c:
        r = c.execute(text(CLASS_WITH_ALLERGY), {"s": RES, "d": DEMO_AS_OF}).one()
    lists = page.lists
    page.tabs.setCurrentWidget(lists)
    assert run_async(lists.refresh())
    i = next((n for n in range(lists.ft_class.count()) if tuple(lists.ft_class.itemData(n)) == tuple(r[:5])), -1)
    assert i >= 0 and lists.ft_class.count() > 1
    lists.ft_class.setCurrentIndex(i)
    lists.ft_name.setText("")
    assert lists.field_trip_printout() is None and "where the field trip goes" in lists.message.text()
    lists.ft_day.setText("13/45/2026")
    lists.ft_name.setText("Science museum")
    assert lists.field_trip_printout() is None and lists.message.text().count(". ") == 0
    lists.ft_day.setText("")
    shot(page, "lists-field-trip")
    with admin_connection(login_engine) as a:
        since = a.execute(text("SELECT localtimestamp")).scalar()
    data = lists.field_trip_printout().build()
    pdf = pypdfium2.PdfDocument(data)
    words = " ".join(" ".join(pdf[n].get_textpage().get_text_range().split()) for n in range(len(pdf)))
    assert "Field-trip health list" in words and "Science museum" in words
    assert f"{r.lastsurname}, {r.firstname}" in words and r.allergen_name in words
    pdf[0].render(scale=1.2).to_pil().save(f"{SHOTS}/field-trip-list.png")
    with admin_connection(login_engine) as a:  # the audit trail, read as the administrator
        seen = set(a.execute(text(
            "SELECT (record_id::jsonb ->> 'studentusi')::int FROM compliance.audit_logs WHERE operation = 'VIEW' "
            "AND user_id = 'demo_nurse' AND justification = :j AND timestamp >= :t"),
            {"j": FIELD_TRIP_PRINTED, "t": since}).scalars())
    assert r.studentusi in seen and len(seen) > 1


def admin_connection(login_engine):
    return login_engine("demo_admin").connect()
