"""What a cafeteria manager keeps for their site (issue 9): menu items with their register key and
a la carte price, the day's meal services and the items they offer, the balance display and the
alternate meal. Written as the demo manager under row-level security and audited; refused, the way
a curious user with psql would try it, to cashiers, teachers, clerks and another school's manager;
bad input gets one sentence and nothing is half-saved; the register picks the change up with its
next snapshot."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from app.domain.cafeteria_menus import MenuItemDraft
from app.errors import UserError
from app.security.logins import create_staff_login
from app.services.cafeteria import menus as M
from app.services.cafeteria.register import Register
from tests.conftest import DEMO_AS_OF
from tests.integration.test_cafeteria_register import at
from tests.integration.test_security import denied, run

pytestmark = pytest.mark.integration
RES, RMS, RHS = 255950001, 255950002, 255950003


@pytest.fixture(scope="module")
def rhs_manager(demo_engine, login_engine):
    """A cafeteria manager at the high school: another school's manager for the middle school."""
    with demo_engine.begin() as c:
        staff = c.execute(text("SELECT staffusi FROM edfi.staffschoolassociation WHERE schoolid = :s "
                               "ORDER BY staffusi LIMIT 1"), {"s": RHS}).scalar()
        create_staff_login(c, "t_rhs_cafe_manager", "a-long-password-1", staff, ("so_cafeteria_manager",))
    return login_engine("t_rhs_cafe_manager", "a-long-password-1")


def owner_rows(demo_engine, sql, **p):
    with demo_engine.connect() as c:
        return c.execute(text(sql), p).all()


def test_a_new_item_on_a_key_reaches_the_register_with_a_new_snapshot(login_engine, demo_engine, tmp_path):
    manager = login_engine("demo_cafeteria_manager")
    reg = Register.open(login_engine("demo_cashier"), tmp_path, "RMS-MENU", clock=at(11, 45))
    try:
        before = reg.setup()
        assert [i.code for i in before.items if "lunch" in i.services and i.fkey == 6] == ["L900"]
        rows = M.menu_items(manager, RMS)
        lunch = next(s for s in M.meal_services(manager, RMS, DEMO_AS_OF) if s.service == "lunch")
        milk = next(r for r in rows if r.code == "A100")
        # bad input: one sentence each, nothing written
        for draft, words in (
                (MenuItemDraft(None, "L600", "  ", "meal", "lunch", None), "Type the item's name"),
                (MenuItemDraft(None, "A700", "Granola bar", "a_la_carte", None, "-1.00"), "cannot be negative"),
                (MenuItemDraft(None, "A700", "Granola bar", "a_la_carte", None, "1.10", fkey=7),
                 "F7 already holds Milk"),
                (MenuItemDraft(None, "A100", "Granola bar", "a_la_carte", None, "1.10"), "Milk already has the code"),
                (MenuItemDraft(None, "L600", "Lunch: tacos", "meal", None, None), "Choose the meal service"),
                (MenuItemDraft(None, "L600", "Lunch: tacos", "meal", "lunch", None, fkey=13), "F1 to F12")):
            with pytest.raises(UserError, match=words):
                M.save_menu_item(manager, RMS, draft)
        assert len(M.menu_items(manager, RMS)) == len(rows)
        # a new lunch on F7? a la carte holds F7-F12 at every service: lunch meals go on F1-F6; L900 moves off F6
        alt = next(r for r in rows if r.code == "L900")
        M.save_menu_item(manager, RMS, MenuItemDraft(alt.item_id, alt.code, alt.name, "meal", "lunch", None,
                                                      alt.allergens, alt.diet_flags, None))
        tacos = MenuItemDraft(None, "l600", "Lunch: fish tacos", "meal", "lunch", None, "Fish, Wheat/gluten", "", 6)
        made = M.save_menu_item(manager, RMS, tacos)
        assert M.save_menu_item(manager, RMS, tacos) == made  # the same form saved twice: one item
        M.set_item_price(manager, RMS, milk.item_id, "0.65")
        with pytest.raises(UserError, match="alternate meal"):
            M.retire_menu_item(manager, RMS, alt.item_id)
        # today's lunch offers the tacos, not the pizza
        codes = tuple(c for c in lunch.item_codes if c != "L100") + ("L600",)
        M.save_meal_service(manager, RMS, DEMO_AS_OF, "lunch", True, "10:30", "13:30", codes)
        with pytest.raises(UserError, match="end after it starts"):
            M.save_meal_service(manager, RMS, DEMO_AS_OF, "lunch", True, "13:30", "10:30", codes)
        with pytest.raises(UserError, match="B100 is not an item of this site sold at lunch"):
            M.save_meal_service(manager, RMS, DEMO_AS_OF, "lunch", True, "10:30", "13:30", codes + ("B100",))
        M.save_site_settings(manager, RMS, "on_request", alt.item_id)
        with pytest.raises(UserError, match="alternate meal must be a meal"):
            M.save_site_settings(manager, RMS, "never", milk.item_id)
        assert M.site_settings(manager, RMS).balance_display == "on_request"

        assert reg.refresh_snapshot()
        after = reg.setup()
        assert after.snapshot_version != before.snapshot_version
        lunch_items = {i.code: i for i in after.items if "lunch" in i.services}
        assert lunch_items["L600"].fkey == 6 and lunch_items["L600"].name == "Lunch: fish tacos"
        assert "L100" not in lunch_items and lunch_items["A100"].a_la_carte_price == Decimal("0.65")
        assert reg.snapshot.content["balance_display"] == "on_request"
        assert reg.identify(next(s["uid"] for s in reg.snapshot.content["students"].values()
                                 if s["has_account"] and not s["withdrawn"])).balance is None  # on request now
        # every change is in the audit trail, by the manager
        audited = {r[0] for r in owner_rows(demo_engine, "SELECT DISTINCT table_name FROM compliance.audit_logs "
                                            "WHERE user_id = 'demo_cafeteria_manager'")}
        assert {"cafeteria.menu_items", "cafeteria.meal_services", "cafeteria.site_settings"} <= audited
        # no other school's menu changed
        assert owner_rows(demo_engine, "SELECT count(*) FROM cafeteria.menu_items WHERE code = 'L600'") == [(1,)]
        assert owner_rows(demo_engine, "SELECT a_la_carte_price FROM cafeteria.menu_items WHERE code = 'A100' "
                          "AND school_id = :s", s=RHS) == [(Decimal("0.60"),)]
    finally:  # the shared demo district as it was, for the other tests
        reg.stop()
        for r in M.menu_items(manager, RMS):
            if r.code == "L600":
                M.retire_menu_item(manager, RMS, r.item_id)
            elif r.code in ("L900", "A100"):
                M.save_menu_item(manager, RMS, MenuItemDraft(r.item_id, r.code, r.name, r.category, r.meal_service,
                                                             "0.60" if r.code == "A100" else None, r.allergens,
                                                             r.diet_flags, 6 if r.code == "L900" else 7))
                if r.code == "L900":
                    M.save_site_settings(manager, RMS, "always", r.item_id)
        M.save_meal_service(manager, RMS, DEMO_AS_OF, "lunch", True, "10:30", "13:30", lunch.item_codes)


def test_only_the_sites_own_manager_changes_its_menu(login_engine, rhs_manager):
    manager = login_engine("demo_cafeteria_manager")
    rms_item = next(r.item_id for r in M.menu_items(manager, RMS) if r.code == "A200")
    # another school's manager: sees none of the middle school's items and changes none of its rows
    assert M.menu_items(rhs_manager, RMS) == []
    for sql in ("UPDATE cafeteria.menu_items SET a_la_carte_price = 0 WHERE school_id = 255950002",
                "UPDATE cafeteria.site_settings SET balance_display = 'never' WHERE school_id = 255950002",
                "DELETE FROM cafeteria.meal_services WHERE school_id = 255950002"):
        assert run(rhs_manager, sql) == 0, sql
    with pytest.raises(UserError, match="Only a cafeteria manager of this school"):
        M.save_menu_item(rhs_manager, RMS, MenuItemDraft(None, "A900", "Smuggled snack", "a_la_carte", None, "9.99"))
    with pytest.raises(UserError, match="not on your school's menu"):
        M.set_item_price(rhs_manager, RMS, rms_item, "9.99")
    with pytest.raises(UserError, match="Only a cafeteria manager of this school"):
        M.save_site_settings(rhs_manager, RMS, "never", None)
    with pytest.raises(UserError, match="Only a cafeteria manager of this school"):
        M.save_meal_service(rhs_manager, RMS, DEMO_AS_OF, "snack", True, "14:45", "16:00", ())
    # ... while their own school's are theirs
    own = next(r for r in M.menu_items(rhs_manager, RHS) if r.code == "A200")
    assert run(rhs_manager, "UPDATE cafeteria.menu_items SET a_la_carte_price = 1.10 WHERE item_id = :i",
               i=own.item_id) == 1
    # cashiers read the menu and change none of it; teachers and clerks do not even read it
    cashier = login_engine("demo_cashier")
    for sql in ("UPDATE cafeteria.menu_items SET a_la_carte_price = 0", "INSERT INTO cafeteria.menu_items (school_id, "
                "code, name, category, a_la_carte_price) VALUES (255950002, 'X1', 'x', 'a_la_carte', 0)",
                "UPDATE cafeteria.site_settings SET balance_display = 'never'",
                "DELETE FROM cafeteria.meal_services", "INSERT INTO cafeteria.meal_services (school_id, service_date, "
                "meal_service) VALUES (255950002, current_date + 400, 'snack')"):
        assert denied(cashier, sql), sql
    with pytest.raises(UserError, match="Only a cafeteria manager"):
        M.save_menu_item(cashier, RMS, MenuItemDraft(None, "A900", "Cashier's snack", "a_la_carte", None, "0.10"))
    for login in ("demo_teacher", "demo_front_office"):
        e = login_engine(login)
        for t in ("menu_items", "meal_services", "site_settings"):
            assert denied(e, f"SELECT * FROM cafeteria.{t} LIMIT 1"), (login, t)
            assert denied(e, f"DELETE FROM cafeteria.{t}"), (login, t)
