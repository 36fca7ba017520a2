from app.domain.attendance_keys import keys_for

ED_FI = ("Early departure", "Excused Absence", "In Attendance", "Partial", "Present", "Tardy", "Unexcused Absence")


def test_the_usual_letters_for_the_usual_codes():
    keys = keys_for(ED_FI)
    assert {keys[k] for k in "PAETDH"} == {"In Attendance", "Unexcused Absence", "Excused Absence", "Tardy",
                                          "Early departure", "Partial"}
    assert keys["P"] == "In Attendance" and keys["A"] == "Unexcused Absence"


def test_every_code_gets_its_own_key():
    keys = keys_for(ED_FI + ("Pandemic remote", "Appointment"))
    assert sorted(keys.values()) == sorted(ED_FI + ("Pandemic remote", "Appointment"))
    assert len(keys) == len(set(keys))
