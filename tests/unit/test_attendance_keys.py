from app.domain.attendance_keys import keys_for

ED_FI = ("Early departure", "Excused Absence", "In Attendance", "Partial", "Present", "Tardy", "Unexcused Absence")


def test_the_usual_letters_for_the_usual_codes():
    keys = keys_for(ED_FI)
    assert {keys[k] for k in "PAETDH"} == {"In Attendance", "Unexcused Absence", "Excused Absence", "Tardy",
                                          "Early departure", "Partial"}
    assert keys["P"] == "In Attendance" and keys["A"] == "Unexcused Absence"


def test_every_code_gets_its_own_key():
    keys = keys_for(ED_FI + ("Pandemic remote", "Appointment"))
    distinct = tuple(c for c in ED_FI if c != "Present")  # the twin of In Attendance
    assert sorted(keys.values()) == sorted(distinct + ("Pandemic remote", "Appointment"))
    assert len(keys) == len(set(keys))


def test_present_gets_no_second_key_next_to_in_attendance():
    keys = keys_for(ED_FI)
    assert "Present" not in keys.values() and keys["P"] == "In Attendance"
    assert "R" not in keys
    # a district that uses only "Present" still gets a key for it
    assert "Present" in keys_for(("Present", "Tardy")).values()
