from app.domain.activity_text import describe, is_sensitive


def test_each_kind_reads_as_a_sentence():
    assert describe("attendance.marked", {"mark": "Tardy", "section": "ALG1-F01", "date": "2026-11-20",
                                          "previous": "In Attendance", "daily": "Tardy"}) == \
        "Marked Tardy in ALG1-F01 on 2026-11-20 (was In Attendance); day: Tardy"
    assert describe("enrollment.withdrawn", {"school": "Riverbend Elementary School", "exitDate": "2026-11-25",
                                             "exitType": "Withdrawn"}) == \
        "Withdrawn from Riverbend Elementary School on 2026-11-25 (Withdrawn)"
    assert describe("discipline.action", {"action": "In School Suspension", "date": "2026-11-20", "days": "2",
                                          "incident": "INC-1"}) == \
        "In School Suspension from 2026-11-20, 2 days (incident INC-1)"
    assert describe("discipline.action", {"action": "Removal from Classroom", "date": "2026-11-20", "days": "1",
                                          "incident": "INC-2"}) == \
        "Removal from Classroom from 2026-11-20, 1 day (incident INC-2)"
    assert describe("discipline.corrected", {"action": "ACT-1", "served": "1", "reason": "Illness"}) == \
        "Correction to ACT-1: 1 day served (Illness)"
    assert describe("something.new", {}) == "Something new"


def test_discipline_entries_are_sensitive():
    assert is_sensitive("discipline.incident") and not is_sensitive("attendance.marked")
