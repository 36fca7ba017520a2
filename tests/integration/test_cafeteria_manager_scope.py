"""Migration 0042, attacked the way a curious cafeteria manager of another school, or a cashier, with psql
would: prices and charge policies belong to a school (a manager changes only the rows of the schools they
serve) or to the district (school NULL: administrators only); district settings and meal plans are the
administrators'; a site's alternate meal is one of its own items; journal flags show a manager only their
schools' cafeteria entries. The desk's service turns a manager's change of a district price into the
school's own row, and the register's snapshot prices with the site's row first."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.errors import UserError
from app.security.demo_logins import DEMO_PASSWORD
from app.security.logins import create_staff_login
from app.services.cafeteria import manager as M
from app.services.cafeteria.snapshot import SiteSnapshot, build_snapshot
from app.domain.cafeteria_rules import price_group
from tests.integration.test_security import denied, refused_by_policy, run, scalar

pytestmark = pytest.mark.integration
RMS, RHS = 255950002, 255950003
FUTURE = date(2031, 8, 1)  # rows made here start in the future: today's prices elsewhere stay as they are


def make_login(demo_engine, login_engine, login: str, school: int, other: int, groups: tuple[str, ...]):
    """A new sign-in for a staff member of `school` who does not also serve `other`."""
    with demo_engine.begin() as c:
        exists = c.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :l"), {"l": login}).first()
        if not exists:
            staff = c.execute(text(
                "SELECT w.staffusi FROM edfi.staffschoolassociation w JOIN edfi.staff st ON st.staffusi = w.staffusi "
                "WHERE w.schoolid = :h AND (st.loginid IS NULL OR NOT EXISTS (SELECT 1 FROM pg_roles r "
                "WHERE r.rolname = st.loginid)) AND NOT EXISTS (SELECT 1 FROM edfi.staffschoolassociation o "
                "WHERE o.staffusi = w.staffusi AND o.schoolid = :m) ORDER BY 1 LIMIT 1"),
                {"h": school, "m": other}).scalar()
            create_staff_login(c, login, DEMO_PASSWORD, staff, groups)
    return login_engine(login)


@pytest.fixture(scope="module")
def rhs_manager(demo_engine, login_engine):
    return make_login(demo_engine, login_engine, "t_rhs_cafmgr", RHS, RMS, ("so_cafeteria_manager",))


@pytest.fixture(scope="module")
def rows(demo_engine):
    """A district price and policy, and one price and policy of each school (future-dated), made by the owner."""
    with demo_engine.begin() as c:
        ids = {}
        for who, school in (("rms", RMS), ("rhs", RHS)):
            ids[f"{who}_price"] = c.execute(text(
                "INSERT INTO cafeteria.meal_prices (school_id, meal_service, grade_from, grade_to, eligibility, "
                "price, second_meal_price, effective_from) VALUES (:s, 'snack', 0, 12, 'paid', 1.00, 1.50, :f) "
                "RETURNING price_id"), {"s": school, "f": FUTURE}).scalar()
            ids[f"{who}_policy"] = c.execute(text(
                "INSERT INTO cafeteria.charge_policies (school_id, eligibility, grade_from, grade_to, "
                "meal_charge_limit, a_la_carte_limit) VALUES (:s, 'reduced', 11, 12, 7.00, 0) RETURNING policy_id"),
                {"s": school}).scalar()
        ids["district_price"] = c.execute(text(
            "SELECT price_id FROM cafeteria.meal_prices WHERE school_id IS NULL ORDER BY price_id LIMIT 1")).scalar()
        ids["district_policy"] = c.execute(text(
            "SELECT policy_id FROM cafeteria.charge_policies WHERE school_id IS NULL ORDER BY policy_id LIMIT 1")
        ).scalar()
    yield ids
    with demo_engine.begin() as c:
        c.execute(text("DELETE FROM cafeteria.meal_prices WHERE price_id IN (:a, :b)"),
                  {"a": ids["rms_price"], "b": ids["rhs_price"]})
        c.execute(text("DELETE FROM cafeteria.charge_policies WHERE policy_id IN (:a, :b)"),
                  {"a": ids["rms_policy"], "b": ids["rhs_policy"]})


@pytest.mark.parametrize("table,key,column,value", [
    ("meal_prices", "price", "price", "0.01"),
    ("charge_policies", "policy", "meal_charge_limit", "999"),
])
def test_a_manager_changes_only_the_rows_of_the_schools_they_serve(login_engine, rhs_manager, rows, table, key,
                                                                   column, value):
    rms = login_engine("demo_cafeteria_manager")
    upd = f"UPDATE cafeteria.{table} SET {column} = {value} WHERE {key}_id = :i"
    # their own school's row: yes
    assert run(rms, upd, i=rows[f"rms_{key}"]) == 1
    assert run(rhs_manager, upd, i=rows[f"rhs_{key}"]) == 1
    # another school's row, or the district's: no row changes, nothing is even visible to change
    for engine, other in ((rms, "rhs"), (rhs_manager, "rms")):
        assert run(engine, upd, i=rows[f"{other}_{key}"]) == 0
        assert run(engine, f"DELETE FROM cafeteria.{table} WHERE {key}_id = :i", i=rows[f"{other}_{key}"]) == 0
        assert run(engine, upd, i=rows[f"district_{key}"]) == 0
        assert run(engine, f"DELETE FROM cafeteria.{table} WHERE {key}_id = :i", i=rows[f"district_{key}"]) == 0
    assert run(rms, f"UPDATE cafeteria.{table} SET {column} = {value}") == 1  # only their own row of the lot
    # moving a row to another school, or making it district-wide, is refused
    for school in (RHS, None):
        assert refused_by_policy(rms, f"UPDATE cafeteria.{table} SET school_id = :s WHERE {key}_id = :i",
                                 s=school, i=rows[f"rms_{key}"]), school
    new_price = ("INSERT INTO cafeteria.meal_prices (school_id, meal_service, grade_from, grade_to, eligibility, price, "
                 "second_meal_price, effective_from) VALUES (:s, 'breakfast', 9, 9, 'paid', 0.01, 0.01, '2032-01-01')")
    new_policy = ("INSERT INTO cafeteria.charge_policies (school_id, eligibility, grade_from, grade_to, "
                  "meal_charge_limit) VALUES (:s, 'free', 9, 9, 999)")
    insert = new_price if table == "meal_prices" else new_policy
    assert run(rms, insert, s=RMS) == 1
    for school in (RHS, None):
        assert refused_by_policy(rms, insert, s=school), school
    # a cashier writes none of them, even their own school's
    cashier = login_engine("demo_cashier")
    assert denied(cashier, upd, i=rows[f"rms_{key}"])
    assert denied(cashier, insert, s=RMS)
    # the administrator changes the district's rows
    assert run(login_engine("demo_admin"), upd, i=rows[f"district_{key}"]) == 1


def test_who_reads_which_prices_and_policies(login_engine, rhs_manager, rows):
    for table, key in (("meal_prices", "price"), ("charge_policies", "policy")):
        seen = f"SELECT count(*) FROM cafeteria.{table} WHERE {key}_id = :i"
        for login in ("demo_cashier", "demo_cafeteria_manager"):
            e = login_engine(login)
            assert scalar(e, seen, i=rows[f"rms_{key}"]) == 1
            assert scalar(e, seen, i=rows[f"district_{key}"]) == 1
            assert scalar(e, seen, i=rows[f"rhs_{key}"]) == 0, (login, table)
        assert scalar(rhs_manager, seen, i=rows[f"rms_{key}"]) == 0
        assert denied(login_engine("demo_teacher"), f"SELECT * FROM cafeteria.{table}")


def test_district_settings_and_meal_plans_are_the_administrators(login_engine):
    for login in ("demo_cafeteria_manager", "demo_cashier"):
        e = login_engine(login)
        assert denied(e, "UPDATE cafeteria.district_settings SET low_balance_threshold = 0")
        assert denied(e, "UPDATE cafeteria.district_settings SET max_deposit = 100000")
        assert denied(e, "UPDATE cafeteria.meal_plans SET daily_rate = 0")
        assert denied(e, "INSERT INTO cafeteria.meal_plans (plan_name, daily_rate) VALUES ('Free for me', 0)")
        assert scalar(e, "SELECT low_balance_threshold FROM cafeteria.district_settings") is not None  # reads
    assert run(login_engine("demo_admin"), "UPDATE cafeteria.district_settings SET low_balance_threshold = 4") == 1


def test_a_site_alternate_meal_is_one_of_its_own_items(login_engine, demo_engine):
    with demo_engine.connect() as c:
        theirs = c.execute(text("SELECT item_id FROM cafeteria.menu_items WHERE school_id = :s LIMIT 1"),
                           {"s": RHS}).scalar()
        mine = c.execute(text("SELECT item_id FROM cafeteria.menu_items WHERE school_id = :s AND category = 'meal' "
                              "LIMIT 1"), {"s": RMS}).scalar()
    rms = login_engine("demo_cafeteria_manager")
    assert refused_by_policy(rms, "UPDATE cafeteria.site_settings SET alternate_item_id = :i WHERE school_id = :s",
                             i=theirs, s=RMS)
    assert run(rms, "UPDATE cafeteria.site_settings SET alternate_item_id = :i WHERE school_id = :s",
               i=mine, s=RMS) == 1


def test_a_manager_reviews_only_their_schools_cafeteria_journal_flags(login_engine, demo_engine, rhs_manager):
    flags = {}
    with demo_engine.begin() as c:
        for name, kind, school in (("rms", "cafeteria.sale", RMS), ("rhs", "cafeteria.sale", RHS),
                                   ("library", "library.checkout", RMS)):
            flags[name] = c.execute(text(
                "INSERT INTO sync.journal_flags (entry_id, terminal_id, seq, kind, payload_sha256, payload, reason) "
                "VALUES (gen_random_uuid(), 'T-FLAG', 1, :k, repeat('a', 64), CAST(:p AS jsonb), 'test') "
                "RETURNING flag_id"), {"k": kind, "p": f'{{"school_id": {school}}}'}).scalar()
    rms = login_engine("demo_cafeteria_manager")
    seen = "SELECT count(*) FROM sync.journal_flags WHERE flag_id = :i"
    review = "UPDATE sync.journal_flags SET reviewed_at = now(), review_note = 'seen' WHERE flag_id = :i"
    assert scalar(rms, seen, i=flags["rms"]) == 1 and run(rms, review, i=flags["rms"]) == 1
    for other in ("rhs", "library"):
        assert scalar(rms, seen, i=flags[other]) == 0 and run(rms, review, i=flags[other]) == 0
    assert scalar(rhs_manager, seen, i=flags["rms"]) == 0
    assert denied(login_engine("demo_cashier"), seen, i=flags["rms"])
    assert scalar(login_engine("demo_admin"), seen, i=flags["library"]) == 1


def test_the_desk_makes_a_managers_price_the_schools_own_and_the_register_uses_it(login_engine, demo_engine,
                                                                                 rhs_manager, rows):
    rms = login_engine("demo_cafeteria_manager")
    listed = M.prices(rms, RMS)
    lunch = next(r for r in listed if r.service == "lunch" and r.group.endswith(" paid") and not r.site)
    district_before = scalar(demo_engine, "SELECT price FROM cafeteria.meal_prices WHERE price_id = :i",
                             i=lunch.price_id)
    try:
        assert M.set_price(rms, RMS, lunch.price_id, "3.95", "4.75") == "site"
        # the district's row is untouched; the school has its own row now, listed in the district's stead
        assert scalar(demo_engine, "SELECT price FROM cafeteria.meal_prices WHERE price_id = :i",
                      i=lunch.price_id) == district_before
        mine = [r for r in M.prices(rms, RMS) if r.service == "lunch" and r.group == lunch.group]
        assert [(r.price, r.site) for r in mine] == [(Decimal("3.95"), True)]
        # a second change updates that row (no second copy)
        assert M.set_price(rms, RMS, mine[0].price_id, "3.90", "4.75") == "site"
        assert [r.price for r in M.prices(rms, RMS) if r.service == "lunch" and r.group == lunch.group] == \
            [Decimal("3.90")]
        # the register of RMS prices with it; RHS still with the district's
        grade = scalar(demo_engine, "SELECT grade_to FROM cafeteria.meal_prices WHERE price_id = :i", i=lunch.price_id)
        with login_engine("demo_cashier").begin() as c:
            snap = SiteSnapshot(build_snapshot(c, RMS, date.today()))
        assert price_group(snap.groups, "lunch", grade, "paid").price == Decimal("3.90")
        with rhs_manager.begin() as c:
            snap = SiteSnapshot(build_snapshot(c, RHS, date.today()))
        assert price_group(snap.groups, "lunch", grade, "paid").price == district_before
        # another school's manager cannot touch it, and is told in one sentence
        with pytest.raises(UserError) as err:
            M.set_price(rhs_manager, RHS, mine[0].price_id, "0.00", "0.00")
        assert err.value.message == "That price is no longer in the list; reload the prices."
        with pytest.raises(UserError) as err:
            M.set_price(rms, RMS, rows["rhs_price"], "0.00", "0.00")
        assert "no longer in the list" in err.value.message
        # an administrator changes the district's row itself
        assert M.set_price(login_engine("demo_admin"), RMS, lunch.price_id, str(district_before), "4.75") \
            == "district"
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM cafeteria.meal_prices WHERE school_id = :s AND effective_from < :f"),
                      {"s": RMS, "f": FUTURE})


def test_the_desk_makes_a_managers_policy_the_schools_own(login_engine, demo_engine):
    rms = login_engine("demo_cafeteria_manager")
    district = next(p for p in M.charge_policies(rms, RMS) if not p.site)
    try:
        from dataclasses import replace

        assert M.save_charge_policy(rms, RMS, replace(district, meal_charge_limit=Decimal("12.50"))) == "site"
        again = [p for p in M.charge_policies(rms, RMS) if p.eligibility == district.eligibility
                 and (p.grade_from, p.grade_to) == (district.grade_from, district.grade_to)]
        assert [(p.meal_charge_limit, p.site) for p in again] == [(Decimal("12.50"), True)]
        assert scalar(demo_engine, "SELECT meal_charge_limit FROM cafeteria.charge_policies WHERE policy_id = :i",
                      i=district.policy_id) == district.meal_charge_limit
        with pytest.raises(UserError) as err:
            M.save_charge_policy(rms, RMS, replace(district, meal_charge_limit=Decimal("-1")))
        assert err.value.message == "The meal charge limit must be between $0.00 and $100.00."
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM cafeteria.charge_policies WHERE school_id = :s AND grade_from = :a "
                           "AND grade_to = :b AND eligibility IS NOT DISTINCT FROM :e"),
                      {"s": RMS, "a": district.grade_from, "b": district.grade_to, "e": district.eligibility})


def test_the_not_yours_sentence_is_what_the_desk_shows_for_a_refusal_by_row_security(login_engine):
    from sqlalchemy.exc import DBAPIError

    rms = login_engine("demo_cafeteria_manager")
    try:
        run(rms, "INSERT INTO cafeteria.meal_prices (school_id, meal_service, grade_from, grade_to, eligibility, "
                 "price, second_meal_price, effective_from) VALUES (NULL, 'lunch', 0, 0, 'paid', 0, 0, current_date)")
    except DBAPIError as exc:
        assert M._sentence(exc).message == M.NOT_YOURS
    else:
        raise AssertionError("a manager wrote a district price")


def test_a_manager_changes_no_other_schools_students_accounts_limits_or_notices(login_engine, demo_engine,
                                                                                 rhs_manager):
    """The student-keyed tables a manager writes (eligibility, a student's own limits, low-balance notices)
    are scoped by the students of the schools they serve: another school's manager changes none of them."""
    from tests.integration.test_security_attacks import students_at

    rms_only = sorted(students_at(demo_engine, "demo_cafeteria_manager") - students_at(demo_engine, "t_rhs_cafmgr"))
    with demo_engine.connect() as c:
        kid = c.execute(text("SELECT student_usi FROM cafeteria.student_meal_plans WHERE is_active "
                             "AND student_usi = ANY(:k) ORDER BY 1 LIMIT 1"), {"k": rms_only}).scalar()
    rms = login_engine("demo_cafeteria_manager")
    eligibility = "UPDATE cafeteria.student_meal_plans SET free_reduced_status = 'Free' WHERE student_usi = :k"
    assert run(rms, eligibility, k=kid) == 1
    assert run(rhs_manager, eligibility, k=kid) == 0
    override = ("INSERT INTO cafeteria.charge_overrides (student_usi, meal_charge_limit, a_la_carte_limit, reason) "
                "VALUES (:k, 50, 50, 'test')")
    assert run(rms, override, k=kid) == 1
    assert refused_by_policy(rhs_manager, override, k=kid)
    notice = "INSERT INTO cafeteria.balance_notices (student_usi, balance) VALUES (:k, -5)"
    assert refused_by_policy(rhs_manager, notice, k=kid)
    assert denied(login_engine("demo_cashier"), override, k=kid)
    assert denied(login_engine("demo_cashier"), eligibility, k=kid)


def test_a_flag_reaches_a_schools_managers_only_from_someone_who_serves_it(login_engine, demo_engine, rhs_manager):
    """Review of session 6, LOW 2: the school of a flag is stamped by the database, not taken from the payload
    of whoever calls sync.journal_flag; a reviewed flag keeps its reason when flagged again."""
    flag = "SELECT sync.journal_flag(CAST(:e AS uuid), 'T-F', 1, 'cafeteria.sale', :sha, CAST(:p AS jsonb), :why)"
    cashier = login_engine("demo_cashier")  # serves RMS only
    forged, real = str(uuid.uuid4()), str(uuid.uuid4())
    with cashier.begin() as c:
        c.execute(text(flag), {"e": forged, "sha": "e" * 64, "p": f'{{"school_id": {RHS}}}', "why": "refused"})
        c.execute(text(flag), {"e": real, "sha": "f" * 64, "p": f'{{"school_id": {RMS}}}', "why": "refused"})
    seen = "SELECT count(*) FROM sync.journal_flags WHERE entry_id = CAST(:e AS uuid)"
    assert scalar(rhs_manager, seen, e=forged) == 0  # not in the other school's queue
    assert scalar(login_engine("demo_cafeteria_manager"), seen, e=forged) == 0
    assert scalar(login_engine("demo_admin"), seen, e=forged) == 1  # the administrators' queue
    rms = login_engine("demo_cafeteria_manager")
    assert scalar(rms, seen, e=real) == 1
    with rms.begin() as c:
        c.execute(text("UPDATE sync.journal_flags SET reviewed_at = now(), reviewed_by = 'demo_cafeteria_manager', "
                       "review_note = 'checked' WHERE entry_id = CAST(:e AS uuid)"), {"e": real})
    with cashier.begin() as c:
        c.execute(text(flag), {"e": real, "sha": "f" * 64, "p": f'{{"school_id": {RMS}}}', "why": "rewritten"})
    with demo_engine.connect() as c:
        row = c.execute(text("SELECT reason, review_note, school_id FROM sync.journal_flags "
                             "WHERE entry_id = CAST(:e AS uuid)"), {"e": real}).one()
    assert tuple(row) == ("refused", "checked", RMS)
