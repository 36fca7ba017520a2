"""References to retired records (found by session 13's stateful fuzzer): a sender that retires a user in one
package and the user's roles in the next was refused ("in neither the package nor the database"), and a bulk file
that leaves a record out (retiring it) still let the package's active rows name it, so the same package read once
was refused the next time."""

from __future__ import annotations

import pytest

from tests.integration.test_oneroster_firstload import databases  # noqa: F401 - fixture
from tests.integration.test_oneroster_person_ids import delta, loaded, problems  # noqa: F401 - fixtures
from tests.integration.test_oneroster_untried import package, read, write

pytestmark = pytest.mark.integration


def test_a_row_marking_a_record_tobedeleted_may_name_a_retired_user(loaded, tmp_path):
    assert problems(loaded, delta(tmp_path, "1.2", [["stu-7", "tobedeleted", "X", "Y", "S0000007"]], name="a")) == []
    later = delta(tmp_path, "1.2", [["stu-8", "active", "Ok", "Fine", "S0000008"]],
                  [["role-stu-7", "tobedeleted", "stu-7", "student", "sch-2"],
                   ["role-stu-8", "active", "stu-8", "student", "sch-1"]], name="b")
    assert problems(loaded, later) == []
    # an active row still may not name the retired user
    active = delta(tmp_path, "1.2", [["stu-8", "active", "Ok", "Fine", "S0000008"]],
                   [["role-stu-7", "active", "stu-7", "student", "sch-2"]], name="c")
    assert problems(loaded, active) == [
        'roles.csv, row 2, userSourcedId: users record "stu-7" is in neither the package nor the database.']


def test_a_bulk_file_leaving_a_user_out_may_not_be_named_by_the_packages_active_rows(loaded, tmp_path):
    full = package(tmp_path, "bulk")
    rows = [r for r in read(full / "users.csv") if r[0] != "stu-0"]
    write(full / "users.csv", rows)
    manifest = read(full / "manifest.csv")
    write(full / "manifest.csv", [[k, "absent" if k.startswith("file.") and k != "file.users" else v]
                                  for k, v in manifest])
    for f in full.iterdir():
        if f.name not in ("users.csv", "manifest.csv"):
            f.unlink()
    first = problems(loaded, full)
    assert first and all('"stu-0" is in neither the package nor the database' in p for p in first)
    assert problems(loaded, full) == first
