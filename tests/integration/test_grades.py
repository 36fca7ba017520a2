"""Grades end to end on the demo district, signed in as the staff who do it (row-level security on)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.errors import UserError
from app.services.grades import entry, term_end

pytestmark = pytest.mark.integration
RES, RMS, RHS = 255950001, 255950002, 255950003


def owner(demo_engine, sql, **p):
    with demo_engine.connect() as c:
        return c.execute(text(sql), p).all()


def test_demo_district_has_two_grading_periods_for_every_section(demo_engine):
    missing = owner(demo_engine,
        "SELECT s.sectionidentifier FROM edfi.section s WHERE (SELECT count(DISTINCT g.gradingperiodname) "
        "FROM edfi.grade g WHERE g.sectionidentifier = s.sectionidentifier AND g.schoolid = s.schoolid "
        "AND g.sessionname = s.sessionname) < 2 AND EXISTS (SELECT 1 FROM edfi.studentsectionassociation a "
        "WHERE a.sectionidentifier = s.sectionidentifier AND a.schoolid = s.schoolid)")
    assert missing == []
    # the elementary homerooms are graded on standards, 4 to 1 or NA, and work habits on their own scale
    marks = {r[0] for r in owner(demo_engine, "SELECT DISTINCT lettergradeearned FROM edfi.gradelearningstandardgrade")}
    assert {"4", "3", "2", "NA", "E", "S"} <= marks


def test_graduating_class_has_three_years_of_transcripts_honors_ap_repeat_and_transfer(demo_engine):
    years = owner(demo_engine, "SELECT count(DISTINCT schoolyear) FROM edfi.coursetranscript")[0][0]
    assert years == 3
    levels = {r[0] for r in owner(demo_engine,
        "SELECT d.codevalue FROM edfi.coursetranscript t JOIN edfi.courselevelcharacteristic l USING (coursecode) "
        "JOIN edfi.descriptor d ON d.descriptorid = l.courselevelcharacteristicdescriptorid")}
    assert {"Honors", "Advanced Placement"} <= levels
    repeats = {r[0] for r in owner(demo_engine,
        "SELECT d.codevalue FROM edfi.coursetranscript t JOIN edfi.descriptor d "
        "ON d.descriptorid = t.courserepeatcodedescriptorid")}
    assert repeats == {"Replaced NotCounted", "Replacement Counted"}
    assert owner(demo_engine, "SELECT count(*) FROM edfi.coursetranscript "
                              "WHERE externaleducationorganizationnameofinstitution IS NOT NULL")[0][0] > 0
    ranks = owner(demo_engine, "SELECT classrank, totalnumberinclass FROM edfi.studentacademicrecordclassranking "
                               "ORDER BY classrank")
    assert ranks[0][0] == 1 and all(r[1] == ranks[0][1] for r in ranks)
