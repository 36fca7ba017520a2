"""compliance.attach_row_audit (migration 0053): a FOR EACH ROW audit trigger that writes, for a
statement changing one row, exactly the audit rows the statement-level ones (compliance.attach_audit,
attach_compiled_audit) write: same user, app user, workstation, table, record key, operation, old
and new values; a changed key as two unpaired rows; nothing for a statement that changes nothing.
A statement changing several rows gets one entry per row, as attach_compiled_audit writes (the generic
trigger writes one entry for the whole statement since migration 0052; the audit trail expands it
into the same lines). Pinned, owner only."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.integration.test_security import denied

pytestmark = pytest.mark.integration

LOGGED = ("SELECT user_id, application_user, workstation, session_id, table_name, record_id, operation, old_values, "
          "new_values, user_agent, data_categories FROM compliance.audit_logs WHERE id > :mark ORDER BY id")
ROW_AUDITED = ("library.checkouts", "library.items", "library.holds", "library.overrides")


def _signed(c) -> int:
    c.execute(text("SELECT set_config('school_office.app_user', 'librarian@riverbend', true), "
                   "set_config('school_office.workstation', 'LIB-2', true), "
                   "set_config('school_office.session_id', 'S-42', true)"))
    return c.execute(text("SELECT coalesce(max(id), 0) FROM compliance.audit_logs")).scalar_one()


def _ops(c, t: str, several: bool) -> list:
    """One run of the statements the triggers must audit alike (one row each, or also several rows
    a statement); returns what was logged."""
    mark = _signed(c)
    c.execute(text(f"INSERT INTO {t} (k, v, qty) VALUES (1, 'a', 10)"))
    c.execute(text(f"INSERT INTO {t} (k, v, qty) VALUES (2, 'b', NULL)"))
    c.execute(text(f"INSERT INTO {t} (k, v, qty) VALUES (4, 'd', 12)"))
    c.execute(text(f"UPDATE {t} SET v = 'c' WHERE k = 1"))
    c.execute(text(f"UPDATE {t} SET k = 3 WHERE k = 2"))  # a key that changes
    c.execute(text(f"UPDATE {t} SET v = 'x' WHERE k = 99"))  # no row: no entry
    c.execute(text(f"DELETE FROM {t} WHERE k = 1"))
    if several:
        c.execute(text(f"INSERT INTO {t} (k, v, qty) VALUES (5, 'e', 1), (6, 'f', 2)"))
        c.execute(text(f"UPDATE {t} SET qty = qty + 1 WHERE k IN (4, 5)"))
        c.execute(text(f"DELETE FROM {t} WHERE k IN (5, 6)"))
    return [tuple(r)[:4] + (r.table_name.split(".")[1][:-2],) + tuple(r)[5:]
            for r in c.execute(text(LOGGED), {"mark": mark})]


@pytest.mark.parametrize("with_id", [False, True], ids=["keyed", "root-table-id"])
def test_the_row_trigger_writes_exactly_the_rows_the_statement_trigger_writes(demo_engine, with_id):
    logged = {}
    with demo_engine.connect() as c:
        tx = c.begin()
        try:
            for t, attach in (("t_audit_st", "attach_audit"), ("t_audit_cs", "attach_compiled_audit"),
                              ("t_audit_rw", "attach_row_audit")):
                # a root table with an `id` column pairs a changed key's rows by id, as audit_statement does
                extra = ", id serial" if with_id else ""
                c.execute(text(f"CREATE TABLE public.{t} (k integer PRIMARY KEY, v text, qty integer{extra})"))
                c.execute(text(f"SELECT compliance.{attach}('public.{t}')"))
                logged[attach] = _ops(c, f"public.{t}", several=False)
                c.execute(text(f"DROP TABLE public.{t}"))
                c.execute(text(f"CREATE TABLE public.{t} (k integer PRIMARY KEY, v text, qty integer{extra})"))
                c.execute(text(f"SELECT compliance.{attach}('public.{t}')"))
                logged[attach, "several"] = _ops(c, f"public.{t}", several=True)
            trig = c.execute(text("SELECT tgname, tgtype FROM pg_trigger WHERE tgrelid = 'public.t_audit_rw'::regclass "
                                  "AND NOT tgisinternal")).all()
        finally:
            tx.rollback()
    assert logged["attach_row_audit"] == logged["attach_audit"] == logged["attach_compiled_audit"]
    ops = [r[6] for r in logged["attach_row_audit"]]
    # 3 inserted, 1 updated, the changed key as 1 (paired by id) or 2 (unpaired), 1 deleted
    assert ops == ["INSERT"] * 3 + ["UPDATE"] * (2 if with_id else 3) + ["DELETE"]
    # several rows a statement: an entry per row, as the compiled statement trigger writes them
    several = logged["attach_row_audit", "several"]
    assert several == logged["attach_compiled_audit", "several"]
    assert [(r[5], r[6]) for r in several[len(ops):]] == [
        ('{"k": 5}', "INSERT"), ('{"k": 6}', "INSERT"), ('{"k": 4}', "UPDATE"), ('{"k": 5}', "UPDATE"),
        ('{"k": 5}', "DELETE"), ('{"k": 6}', "DELETE")]
    first = logged["attach_row_audit"][0]
    assert first[:4] == (first[0], "librarian@riverbend", "LIB-2", "S-42") and first[5] == '{"k": 1}'
    assert first[8] == {"k": 1, "v": "a", "qty": 10, **({"id": 1} if with_id else {})}
    assert [t.tgname for t in trig] == ["audit_row"]  # one FOR EACH ROW trigger instead of three


def test_a_checkout_writes_the_same_audit_rows_under_either_trigger(demo_engine):
    """On the library's own tables: a loan written, its copy changed, returned, an override, a hold:
    the row triggers log what the compiled statement triggers log."""
    def run_ops(c):
        mark = _signed(c)
        item, resource, school = c.execute(text(
            "SELECT i.item_id, i.resource_id, i.school_id FROM library.items i WHERE i.status = 'available' AND NOT "
            "EXISTS (SELECT 1 FROM library.checkouts k WHERE k.item_id = i.item_id AND k.return_date IS NULL) "
            "ORDER BY i.item_id LIMIT 1")).one()
        student = c.execute(text("SELECT studentusi FROM compliance.student_scope WHERE schoolid = :s ORDER BY 1 LIMIT 1"),
                            {"s": school}).scalar_one()
        c.execute(text("INSERT INTO library.checkouts (checkout_id, student_usi, resource_id, item_id, school_id, "
                       "checkout_date, due_date, checked_out_at) VALUES (987654, :st, :r, :i, :s, DATE '2026-11-02', "
                       "DATE '2026-11-16', TIMESTAMPTZ '2026-11-02 10:00Z')"), {"st": student, "r": resource, "i": item,
                                                                                  "s": school})
        c.execute(text("UPDATE library.items SET status = 'checked_out', status_changed_at = TIMESTAMPTZ "
                       "'2026-11-02 10:00Z' WHERE item_id = :i"), {"i": item})
        c.execute(text("UPDATE library.checkouts SET return_date = DATE '2026-11-10' WHERE checkout_id = 987654"))
        c.execute(text("INSERT INTO library.overrides (override_id, student_usi, item_id, school_id, action, block_code, "
                       "reason, at) VALUES (987654, :st, :i, :s, 'checkout', 'too_many_items', 'class project', "
                       "TIMESTAMPTZ '2026-11-02 10:00Z')"), {"st": student, "i": item, "s": school})
        c.execute(text("INSERT INTO library.holds (hold_id, resource_id, student_usi, pickup_school_id, status, "
                       "placed_at) VALUES (987654, :r, :st, :s, 'waiting', TIMESTAMPTZ '2026-11-02 10:00Z')"),
                  {"r": resource, "st": student, "s": school})
        c.execute(text("DELETE FROM library.holds WHERE hold_id = 987654"))
        return c.execute(text(LOGGED), {"mark": mark}).all()

    with demo_engine.connect() as c:
        tx = c.begin()
        try:
            triggers = c.execute(text(
                "SELECT tgrelid::regclass::text, tgname, p.prosecdef, p.proconfig, "
                "has_function_privilege('public', p.oid, 'EXECUTE') FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE tgrelid::regclass::text = ANY (:t) AND tgname LIKE 'audit%' ORDER BY 1"), {"t": list(ROW_AUDITED)}
            ).all()
            c.execute(text("SAVEPOINT rows"))
            by_row = run_ops(c)
            c.execute(text("ROLLBACK TO SAVEPOINT rows"))
            for t in ROW_AUDITED:
                c.execute(text(f"SELECT compliance.attach_compiled_audit('{t}')"))
            by_statement = run_ops(c)
        finally:
            tx.rollback()
    assert [(t[0], t[1]) for t in triggers] == [(t, "audit_row") for t in sorted(ROW_AUDITED)]
    assert all(t.prosecdef and t.proconfig == ["search_path=pg_catalog, pg_temp"] and not t[4] for t in triggers)
    assert [(r.table_name, r.operation) for r in by_row] == [
        ("library.checkouts", "INSERT"), ("library.items", "UPDATE"), ("library.checkouts", "UPDATE"),
        ("library.overrides", "INSERT"), ("library.holds", "INSERT"), ("library.holds", "DELETE")]
    assert by_row == by_statement
    assert by_row[2].old_values["return_date"] is None and by_row[2].new_values["return_date"] == "2026-11-10"


def test_only_the_owner_attaches_a_row_audit(login_engine):
    for login in ("demo_librarian", "demo_admin"):
        assert denied(login_engine(login), "SELECT compliance.attach_row_audit('library.checkouts')"), login
        assert denied(login_engine(login), "SELECT compliance.audit_row_library__checkouts()"), login
