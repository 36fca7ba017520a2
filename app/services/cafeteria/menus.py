"""What a cafeteria manager keeps for their site (issue 9): menu items (name, code, register key,
category, a la carte price, allergen and diet tags), which meal services run on a day and which items
they offer, and the site's settings (balance display, alternate meal).

Written as the signed-in manager: row-level security keeps each manager to their own schools'
rows, the audit trigger records every change, and cashiers hold no grant to change any of it. A
change reaches the registers with their next snapshot (its version changes with its content).
Each save is one transaction; saving the same form twice changes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from app.domain.cafeteria_menus import (
    BALANCE_DISPLAYS, MenuItemDraft, clean_item, key_taken_by, service_hours,
)
from app.domain.cafeteria_rules import SERVICE_NAMES, SERVICES
from app.domain.typed_input import show_date
from app.errors import UserError
from app.services.cafeteria.manager import _sentence

__all__ = ["MenuItemDraft", "MenuItemRow", "ServiceDay", "SiteSettings", "menu_items", "save_menu_item",
           "retire_menu_item", "set_item_price", "meal_services", "save_meal_service", "copy_meal_week",
           "monday_of", "site_settings", "save_site_settings"]


@dataclass(frozen=True)
class MenuItemRow:
    item_id: int
    code: str
    name: str
    category: str
    meal_service: str | None
    price: Decimal | None
    allergens: tuple[str, ...]
    diet_flags: tuple[str, ...]
    fkey: int | None
    is_active: bool


@dataclass(frozen=True)
class ServiceDay:
    service: str
    runs: bool
    starts_at: time | None
    ends_at: time | None
    item_codes: tuple[str, ...]  # the items offered, by code; empty: every item of the service


@dataclass(frozen=True)
class SiteSettings:
    school_id: int
    balance_display: str
    alternate_item_id: int | None
    cep: bool


_ITEMS = text("SELECT item_id, code, name, category, meal_service, a_la_carte_price, allergens, diet_flags, fkey, "
              "is_active FROM cafeteria.menu_items WHERE school_id = :s ORDER BY is_active DESC, "
              "array_position(ARRAY['breakfast', 'lunch', 'snack'], meal_service) NULLS LAST, fkey NULLS LAST, "
              "sort_order, name")


def _rows(conn: Connection, school_id: int) -> list[MenuItemRow]:
    return [MenuItemRow(r.item_id, r.code, r.name, r.category, r.meal_service, r.a_la_carte_price,
                        tuple(r.allergens or ()), tuple(r.diet_flags or ()), r.fkey, r.is_active)
            for r in conn.execute(_ITEMS, {"s": school_id})]


def _write(engine: Engine, school_id: int, work):
    """One transaction, serialized per site (the key and code checks read, then write), with the
    database's refusal (no grant, another school's row) turned into one sentence."""
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('cafeteria.site_menu'), CAST(:s AS integer))"),
                         {"s": school_id % 2_000_000_000})
            return work(conn)
    except DBAPIError as exc:
        if "row-level security" in str(exc.orig):
            raise UserError("Only a cafeteria manager of this school may change its menu, meal services or "
                            "settings.") from None
        raise _sentence(exc) from None


def menu_items(engine: Engine, school_id: int) -> list[MenuItemRow]:
    with engine.connect() as conn:
        return _rows(conn, school_id)


def save_menu_item(engine: Engine, school_id: int, draft: MenuItemDraft) -> int:
    """Add (item_id None) or change one item of the site. Returns its id."""
    item = clean_item(draft)

    def work(conn: Connection) -> int:
        rows = _rows(conn, school_id)
        mine = {r.item_id for r in rows}
        if draft.item_id is not None and draft.item_id not in mine:
            raise UserError("That item is not on your school's menu; reload the menu and choose it again.")
        same_code = next((r for r in rows if r.code == item.code and r.item_id != draft.item_id), None)
        if same_code is not None:
            if draft.item_id is None and _same(same_code, item):
                return same_code.item_id  # the same form saved twice: already there
            raise UserError(f"{same_code.name} already has the code {item.code}; give this item another code.")
        taken = key_taken_by(item, draft.item_id, rows)
        if taken is not None:
            where = SERVICE_NAMES.get(item.meal_service or taken.meal_service or "", "every service").lower()
            raise UserError(f"F{item.fkey} already holds {taken.name} at {where}; choose another key or move "
                            f"{taken.name} first.")
        if draft.item_id is not None and item.category != "meal":
            alt = conn.execute(text("SELECT alternate_item_id FROM cafeteria.site_settings WHERE school_id = :s"),
                               {"s": school_id}).scalar()
            if alt == draft.item_id:
                raise UserError("This item is the site's alternate meal, so it must stay a meal; choose another "
                                "alternate meal first.")
        p = {"s": school_id, "code": item.code, "name": item.name, "cat": item.category, "svc": item.meal_service,
             "price": item.price, "alg": list(item.allergens), "diet": list(item.diet_flags), "fkey": item.fkey,
             "i": draft.item_id}
        if draft.item_id is None:
            return conn.execute(text(
                "INSERT INTO cafeteria.menu_items (school_id, code, name, category, meal_service, a_la_carte_price, "
                "allergens, diet_flags, fkey, sort_order) VALUES (:s, :code, :name, :cat, :svc, :price, :alg, :diet, "
                ":fkey, :sort) RETURNING item_id"), {**p, "sort": (item.fkey or 20) * 10}).scalar()
        conn.execute(text(
            "UPDATE cafeteria.menu_items SET code = :code, name = :name, category = :cat, meal_service = :svc, "
            "a_la_carte_price = :price, allergens = :alg, diet_flags = :diet, fkey = :fkey, is_active = true "
            "WHERE item_id = :i AND school_id = :s"), p)
        return draft.item_id

    return _write(engine, school_id, work)


def _same(row: MenuItemRow, item) -> bool:
    return (row.name, row.category, row.meal_service, row.price, row.allergens, row.diet_flags, row.fkey) == (
        item.name, item.category, item.meal_service, item.price, item.allergens, item.diet_flags, item.fkey)


def set_item_price(engine: Engine, school_id: int, item_id: int, price) -> None:
    """Only an a la carte item's price (meals are priced by the price groups)."""
    with engine.connect() as conn:
        row = next((r for r in _rows(conn, school_id) if r.item_id == item_id), None)
    if row is None:
        raise UserError("That item is not on your school's menu; reload the menu and choose it again.")
    save_menu_item(engine, school_id, MenuItemDraft(item_id, row.code, row.name, row.category, row.meal_service,
                                                    str(price), row.allergens, row.diet_flags, row.fkey))


def retire_menu_item(engine: Engine, school_id: int, item_id: int) -> None:
    """Take an item off the registers (kept: the ledger's past lines name it)."""
    def work(conn: Connection) -> None:
        alt = conn.execute(text("SELECT alternate_item_id FROM cafeteria.site_settings WHERE school_id = :s"),
                           {"s": school_id}).scalar()
        if alt == item_id:
            raise UserError("This item is the site's alternate meal; choose another alternate meal first.")
        if not conn.execute(text("UPDATE cafeteria.menu_items SET is_active = false, fkey = NULL "
                                 "WHERE item_id = :i AND school_id = :s"), {"i": item_id, "s": school_id}).rowcount:
            raise UserError("That item is not on your school's menu; reload the menu and choose it again.")

    _write(engine, school_id, work)


# -- meal services of a day -------------------------------------------------------------------------
def meal_services(engine: Engine, school_id: int, day: date) -> list[ServiceDay]:
    with engine.connect() as conn:
        found = {r.meal_service: r for r in conn.execute(text(
            "SELECT meal_service, starts_at, ends_at, item_codes FROM cafeteria.meal_services "
            "WHERE school_id = :s AND service_date = :d"), {"s": school_id, "d": day})}
    return [ServiceDay(k, k in found, found[k].starts_at if k in found else None,
                       found[k].ends_at if k in found else None, tuple(found[k].item_codes) if k in found else ())
            for k in SERVICES]


def save_meal_service(engine: Engine, school_id: int, day: date, service: str, runs: bool, starts: str = "",
                      ends: str = "", item_codes: tuple[str, ...] = ()) -> None:
    """Whether `service` runs at the site on `day`, its hours and the items it offers."""
    if service not in SERVICES:
        raise UserError("Choose breakfast, lunch or snack.")
    start, end = service_hours(service, starts, ends) if runs else (None, None)

    def work(conn: Connection) -> None:
        p = {"s": school_id, "d": day, "m": service}
        if not runs:
            conn.execute(text("DELETE FROM cafeteria.meal_services WHERE school_id = :s AND service_date = :d "
                              "AND meal_service = :m"), p)
            return
        sold = {r.code for r in _rows(conn, school_id) if r.is_active and r.meal_service in (None, service)}
        unknown = [c for c in item_codes if c not in sold]
        if unknown:
            raise UserError(f"{', '.join(unknown)} is not an item of this site sold at "
                            f"{SERVICE_NAMES[service].lower()}; take it off the list.")
        n = conn.execute(text(
            "INSERT INTO cafeteria.meal_services (school_id, service_date, meal_service, starts_at, ends_at, "
            "item_codes) VALUES (:s, :d, :m, :a, :b, :codes) ON CONFLICT (school_id, service_date, meal_service) "
            "DO UPDATE SET starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, "
            "item_codes = EXCLUDED.item_codes"), {**p, "a": start, "b": end, "codes": list(item_codes)}).rowcount
        if n != 1:
            raise UserError("Only a cafeteria manager of this school may change its meal services.")

    _write(engine, school_id, work)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def copy_meal_week(engine: Engine, school_id: int, from_day: date, to_day: date, today: date | None = None) -> int:
    """Plan a week from another: every meal service of the week of `from_day` (which run, their hours, the
    items they offer) onto the same weekdays of the week of `to_day`, in one transaction. It never merges:
    when the target week already has a meal service nothing is copied (the manager changes that week a
    day at a time, or takes its services off first). Returns how many meal services were copied."""
    src, dst = monday_of(from_day), monday_of(to_day)
    if src == dst:
        raise UserError("A week cannot be copied onto itself; choose the week to copy to.")
    if dst + timedelta(days=6) < (today or date.today()):
        raise UserError(f"The week of {show_date(dst)} is over; copy to this week or a later one.")

    def work(conn: Connection) -> int:
        p = {"s": school_id, "a": src, "b": dst, "shift": (dst - src).days}
        taken = conn.execute(text("SELECT count(*) FROM cafeteria.meal_services WHERE school_id = :s "
                                  "AND service_date BETWEEN :b AND CAST(:b AS date) + 6"), p).scalar()
        if taken:
            raise UserError(f"The week of {show_date(dst)} already has {taken} meal service"
                            f"{'s' if taken != 1 else ''} planned, so nothing was copied; change that week a day "
                            "at a time, or take its services off first.")
        n = conn.execute(text(
            "INSERT INTO cafeteria.meal_services (school_id, service_date, meal_service, starts_at, ends_at, "
            "item_codes) SELECT school_id, service_date + CAST(:shift AS integer), meal_service, starts_at, ends_at, "
            "item_codes FROM cafeteria.meal_services WHERE school_id = :s "
            "AND service_date BETWEEN :a AND CAST(:a AS date) + 6"), p).rowcount
        if not n:
            raise UserError(f"The week of {show_date(src)} has no meal services to copy; plan it first or "
                            "choose another week.")
        return n

    return _write(engine, school_id, work)


# -- the site's settings -----------------------------------------------------------------------------
def site_settings(engine: Engine, school_id: int) -> SiteSettings:
    with engine.connect() as conn:
        r = conn.execute(text("SELECT balance_display, alternate_item_id, cep FROM cafeteria.site_settings "
                              "WHERE school_id = :s"), {"s": school_id}).first()
    return SiteSettings(school_id, r.balance_display, r.alternate_item_id, r.cep) if r else \
        SiteSettings(school_id, "on_request", None, False)


def save_site_settings(engine: Engine, school_id: int, balance_display: str, alternate_item_id: int | None) -> None:
    """When the register shows a student's balance, and the meal given past the charge limit."""
    if balance_display not in BALANCE_DISPLAYS:
        raise UserError("Choose when the register shows the balance: always, on request or never.")

    def work(conn: Connection) -> None:
        if alternate_item_id is not None and not any(
                r.item_id == alternate_item_id and r.is_active and r.category == "meal"
                for r in _rows(conn, school_id)):
            raise UserError("The alternate meal must be a meal on this site's menu; choose one from the list.")
        n = conn.execute(text(
            "INSERT INTO cafeteria.site_settings (school_id, balance_display, alternate_item_id) VALUES (:s, :b, :a) "
            "ON CONFLICT (school_id) DO UPDATE SET balance_display = EXCLUDED.balance_display, "
            "alternate_item_id = EXCLUDED.alternate_item_id, updated_at = now()"),
            {"s": school_id, "b": balance_display, "a": alternate_item_id}).rowcount
        if n != 1:
            raise UserError("Only a cafeteria manager of this school may change its settings.")

    _write(engine, school_id, work)
