"""Library checkout in one call when nothing is in the way; cheaper triggers and plans

Measured on the bench district as the librarian (server side, per checkout): the copy's and the
loan's generic audit triggers build and plan their SQL on every statement (0.4-0.9 ms each), the
copy-count trigger and the checkout functions were planned afresh on every call (plpgsql keeps
a "custom" plan for parameters it judges selective: 0.3-0.6 ms of planning a call), and the
decision needed two round trips (read the facts, then lend). Now:

- library.checkouts, items, holds and overrides get compliance.attach_compiled_audit (0031): the
  same audit rows, written by static SQL whose plans PostgreSQL keeps.
- The checkout functions and library.keep_copy_counts keep generic plans (plan_cache_mode).
- library.checkout(card, student, staff, category, barcode, request, school, today, at, terms):
  reads what library.checkout_facts read (the same jsonb, plus the patron when a card was given)
  and, when the desk sent `terms` and the case is clean, lends in the same call and says so
  ("lent": checkout id and due date). Clean means: the terms were made from the rules matrix as it
  is now (its stamp), the copy is this school's and 'available', nobody has an open loan of it or
  a waiting or shelved hold on its title, and library.checkout_clean finds the patron under every
  limit. Anything else lends nothing and returns the facts: the desk decides in Python
  (app.domain.library_rules.decide_checkout) and calls library.lend, as before.
  The terms are not rules: app.domain.library_rules.checkout_terms resolves the matrix in Python
  (the most specific rule per patron category and item type) and sends only loan days and limits.
  The desk checks every lend made this way against decide_checkout on the same facts and aborts
  the transaction if they disagree; tests/integration/test_library_checkout_parity.py feeds both
  the same cases.
- library.checkout_facts is library.checkout without terms (the offline sync's reader).
- The shared parts are internal functions nobody may call directly (owner only):
  library.patron_rows_of, library.checkout_read, library.lend_rows.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

_spec = importlib.util.spec_from_file_location("_library_0026", Path(__file__).with_name(
    "0026_library_checkout_one_trip.py"))
_m0026 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_m0026)
CALLER, SEES = _m0026.CALLER, _m0026.SEES

AUDITED = ("library.checkouts", "library.items", "library.holds", "library.overrides")
GENERIC = "SET plan_cache_mode = force_generic_plan"
PATRON_COLUMNS = ("studentusi integer, studentuniqueid text, first text, lastsurname text, grade text, school text, "
                  "withdrawn boolean, homeroom text")
INTERNAL = ("library.patron_rows_of(integer[])",
            "library.checkout_clean(jsonb, text, text, jsonb, date)",
            "library.lend_rows(boolean, bigint[], integer, integer, integer, integer, bigint, date, date, timestamptz, "
            "uuid, bigint, boolean, text[], text)",
            "library.checkout_read(boolean, bigint[], text, integer, integer, text, text, uuid, bigint, date, "
            "timestamptz, jsonb)")
PUBLIC_NEW = "library.checkout(text, integer, integer, text, text, uuid, bigint, date, timestamptz, jsonb)"

FUNCTIONS_SQL = r"""
CREATE FUNCTION library.patron_rows_of(p_students integer[])
RETURNS TABLE (""" + PATRON_COLUMNS + r""")
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp """ + GENERIC + r""" AS $$
BEGIN
    -- internal (owner only): the caller has already decided which students may be shown
    RETURN QUERY
    SELECT s.studentusi, s.studentuniqueid::text, coalesce(s.preferredfirstname, s.firstname)::text,
           s.lastsurname::text, enr.grade::text, enr.school::text, enr.withdrawn,
           (SELECT coalesce(st.preferredfirstname, st.firstname) || ' ' || st.lastsurname
              FROM edfi.studentsectionassociation x
              JOIN edfi.staffsectionassociation t ON t.localcoursecode = x.localcoursecode AND t.schoolid = x.schoolid
                   AND t.schoolyear = x.schoolyear AND t.sectionidentifier = x.sectionidentifier
                   AND t.sessionname = x.sessionname
              JOIN edfi.staff st ON st.staffusi = t.staffusi
             WHERE x.studentusi = s.studentusi AND x.homeroomindicator
             ORDER BY x.begindate DESC LIMIT 1)::text
      FROM edfi.student s
      LEFT JOIN LATERAL (
          SELECT d.codevalue AS grade, eo.nameofinstitution AS school, a.exitwithdrawdate IS NOT NULL AS withdrawn
            FROM edfi.studentschoolassociation a
            JOIN edfi.descriptor d ON d.descriptorid = a.entrygradeleveldescriptorid
            JOIN edfi.educationorganization eo ON eo.educationorganizationid = a.schoolid
           WHERE a.studentusi = s.studentusi
           ORDER BY (a.exitwithdrawdate IS NULL) DESC, a.entrydate DESC LIMIT 1) enr ON true
     WHERE s.studentusi = ANY (p_students);
END;
$$;

CREATE OR REPLACE FUNCTION library.patron_rows(p_card text, p_students integer[])
RETURNS TABLE (""" + PATRON_COLUMNS + r""")
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp """ + GENERIC + r""" AS $$
DECLARE
    admin boolean;
    mine bigint[];
    usis integer[] := p_students;
BEGIN""" + CALLER + r"""
    IF p_card IS NOT NULL THEN
        usis := ARRAY(SELECT s.studentusi FROM edfi.student s WHERE s.studentuniqueid = btrim(p_card));
    END IF;
    IF NOT admin THEN
        usis := ARRAY(SELECT DISTINCT sc.studentusi FROM compliance.student_scope sc
                       WHERE sc.studentusi = ANY (usis) AND sc.schoolid = ANY (mine));
    END IF;
    RETURN QUERY SELECT * FROM library.patron_rows_of(usis);
END;
$$;

-- Loan days when the patron is under every limit the terms give for this copy's type, else NULL.
-- p_cat: {"types": {item type: [loan days, cap]}, "other": [loan days, cap], "max_items": n,
-- "max_overdue": n} where cap is the most a patron may have of that type (null: no limit of its
-- own; 0: not lent to this category). p_loans: the patron's other open loans [[item type, due]].
CREATE FUNCTION library.checkout_clean(p_cat jsonb, p_item_type text, p_status text, p_loans jsonb, p_today date)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp """ + GENERIC + r""" AS $$
DECLARE
    t jsonb;
    cap integer;
    n_total integer;
    n_type integer;
    n_over integer;
BEGIN
    IF p_cat IS NULL OR p_status IS DISTINCT FROM 'available' THEN
        RETURN NULL;
    END IF;
    t := coalesce(p_cat->'types'->p_item_type, p_cat->'other');
    IF t IS NULL OR jsonb_typeof(t->0) <> 'number' THEN
        RETURN NULL;
    END IF;
    cap := (t->>1)::integer;
    SELECT count(*), count(*) FILTER (WHERE l->>0 = p_item_type), count(*) FILTER (WHERE (l->>1)::date < p_today)
      INTO n_total, n_type, n_over
      FROM jsonb_array_elements(coalesce(p_loans, '[]'::jsonb)) l;
    IF cap = 0 OR n_type >= cap OR n_total >= (p_cat->>'max_items')::integer
       OR n_over > (p_cat->>'max_overdue')::integer OR (p_cat->>'max_items') IS NULL
       OR (p_cat->>'max_overdue') IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN (t->>0)::integer;
END;
$$;

-- internal: insert the loan, mark the copy out, fill or release holds, record overridden blocks
CREATE FUNCTION library.lend_rows(admin boolean, mine bigint[], p_item integer, p_resource integer, p_student integer,
                                  p_staff integer, p_school bigint, p_today date, p_due date, p_at timestamptz,
                                  p_request uuid, p_my_hold bigint, p_shelved boolean, p_overridden text[],
                                  p_reason text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp """ + GENERIC + r""" AS $$
DECLARE
    new_id bigint;
BEGIN
    INSERT INTO library.checkouts (student_usi, staff_usi, resource_id, item_id, school_id, checkout_date, due_date,
                                   checkout_status, librarian_id, checked_out_at, request_id)
    VALUES (p_student, p_staff, p_resource, p_item, p_school, p_today, p_due, 'Checked Out', session_user, p_at,
            p_request)
    RETURNING checkout_id INTO new_id;
    UPDATE library.items
       SET status = 'checked_out', status_changed_at = now(), last_seen_at = now(), transit_to_school_id = NULL,
           status_note = NULL
     WHERE item_id = p_item;
    IF p_my_hold IS NOT NULL THEN
        UPDATE library.holds h SET status = 'filled', closed_at = now(), item_id = p_item WHERE h.hold_id = p_my_hold;
    ELSIF p_shelved THEN
        -- lent past someone else's hold (confirmed): their hold goes back to waiting for the next copy
        UPDATE library.holds h SET status = 'waiting', item_id = NULL, ready_at = NULL, shelf_expires_on = NULL
         WHERE h.item_id = p_item AND h.status = 'ready'
           AND """ + SEES.format(s="h.student_usi", school="h.pickup_school_id") + r""";
    END IF;
    IF coalesce(array_length(p_overridden, 1), 0) > 0 THEN
        INSERT INTO library.overrides (student_usi, staff_usi, item_id, school_id, action, block_code, reason, approved_by)
        SELECT p_student, p_staff, p_item, p_school, 'checkout', code, btrim(p_reason), session_user
          FROM unnest(p_overridden) AS code;
    END IF;
    RETURN new_id;
END;
$$;

CREATE OR REPLACE FUNCTION library.lend(p_item integer, p_student integer, p_staff integer, p_school bigint,
                                       p_today date, p_due date, p_at timestamptz, p_request uuid, p_reissue bigint,
                                       p_my_hold bigint, p_shelved boolean, p_overridden text[], p_reason text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp """ + GENERIC + r""" AS $$
DECLARE
    admin boolean;
    mine bigint[];
    it record;
    n integer;
BEGIN""" + CALLER + r"""
    IF NOT (admin OR p_school = ANY (mine)) THEN
        RAISE EXCEPTION 'you do not work at school %', p_school USING ERRCODE = '42501';
    END IF;
    IF (p_student IS NULL) = (p_staff IS NULL) THEN
        RAISE EXCEPTION 'a borrower is one student or one staff member' USING ERRCODE = '22023';
    END IF;
    IF p_student IS NOT NULL AND NOT """ + SEES.format(s="p_student", school="NULL") + r""" THEN
        RAISE EXCEPTION 'that student is not one of your schools'' students' USING ERRCODE = '42501';
    END IF;
    SELECT i.item_id, i.resource_id, i.school_id INTO it FROM library.items i WHERE i.item_id = p_item FOR UPDATE;
    IF NOT FOUND OR it.school_id <> p_school THEN
        RAISE EXCEPTION 'copy % does not belong to school %', p_item, p_school USING ERRCODE = '42501';
    END IF;
    IF p_my_hold IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM library.holds h
             WHERE h.hold_id = p_my_hold AND h.resource_id = it.resource_id AND h.status IN ('waiting', 'ready')
               AND (h.student_usi = p_student OR h.staff_usi = p_staff)) THEN
        RAISE EXCEPTION 'hold % is not this patron''s open hold for this title', p_my_hold USING ERRCODE = '42501';
    END IF;
    IF p_reissue IS NOT NULL THEN  -- "still out to another student: return it, reissue"
        UPDATE library.checkouts c
           SET return_date = p_today, returned_at = p_at, days_late = greatest(p_today - c.due_date, 0),
               checkin_school_id = p_school, checkout_status = 'Returned (reissued)'
         WHERE c.checkout_id = p_reissue AND c.item_id = p_item AND c.return_date IS NULL
           AND """ + SEES.format(s="c.student_usi", school="c.school_id") + r""";
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n = 0 THEN
            RAISE EXCEPTION 'loan % is not an open loan of this copy you may close', p_reissue USING ERRCODE = '42501';
        END IF;
    END IF;
    RETURN library.lend_rows(admin, mine, p_item, it.resource_id, p_student, p_staff, p_school, p_today, p_due, p_at,
                             p_request, p_my_hold, p_shelved, p_overridden, p_reason);
END;
$$;

-- internal: the facts of a checkout (library.checkout_facts' answer), and the lend itself when the
-- desk sent terms and the case is clean (see the module's docstring)
CREATE FUNCTION library.checkout_read(admin boolean, mine bigint[], p_card text, p_student integer, p_staff integer,
                                      p_category text, p_barcode text, p_request uuid, p_school bigint, p_today date,
                                      p_at timestamptz, p_terms jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp """ + GENERIC + r""" AS $$
DECLARE
    pat jsonb;
    extra jsonb := '{}'::jsonb;  -- the patron, when the caller gave a card
    it record;
    prior record;
    loans jsonb;
    loan jsonb;
    holds jsonb;
    facts jsonb;
    stamp text;
    days integer;
    new_id bigint;
BEGIN
    IF p_card IS NOT NULL THEN  -- a student's card (a staff card, or none the caller may see: NULL patron)
        SELECT to_jsonb(r) INTO pat FROM library.patron_rows_of(ARRAY(
            SELECT s.studentusi FROM edfi.student s WHERE s.studentuniqueid = btrim(p_card)
               AND """ + SEES.format(s="s.studentusi", school="NULL") + r""")) r LIMIT 1;
        IF pat IS NULL THEN
            RETURN jsonb_build_object('patron', NULL);
        END IF;
        p_student := (pat->>'studentusi')::integer;
        p_staff := NULL;
        extra := jsonb_build_object('patron', pat);
    ELSIF (p_student IS NULL) = (p_staff IS NULL) THEN
        RAISE EXCEPTION 'a borrower is one student or one staff member' USING ERRCODE = '22023';
    ELSIF p_student IS NOT NULL AND NOT """ + SEES.format(s="p_student", school="NULL") + r""" THEN
        RAISE EXCEPTION 'that student is not one of your schools'' students' USING ERRCODE = '42501';
    END IF;
    IF p_request IS NOT NULL THEN
        -- the same lock app.services.request_ids.lock_request takes: a repeated submit waits here
        PERFORM pg_advisory_xact_lock(hashtextextended(p_request::text, 0));
        SELECT c.checkout_id, c.due_date, i.barcode, r.title, c.student_usi, c.school_id INTO prior
          FROM library.checkouts c JOIN library.items i ON i.item_id = c.item_id
          JOIN library.resources r ON r.resource_id = c.resource_id
         WHERE c.request_id = p_request;
        IF FOUND THEN
            IF NOT """ + SEES.format(s="prior.student_usi", school="prior.school_id") + r""" THEN
                RAISE EXCEPTION 'that request id was used by another loan' USING ERRCODE = '23505';
            END IF;
            RETURN extra || jsonb_build_object('prior', jsonb_build_object('checkout_id', prior.checkout_id,
                                               'due', prior.due_date, 'barcode', prior.barcode, 'title', prior.title));
        END IF;
    END IF;
    -- only the owning school's librarians lock (change) a copy; every librarian may read the union catalogue
    SELECT i.item_id, i.barcode, i.status, i.item_type, i.school_id, i.resource_id, r.title, i.call_number,
           i.transit_to_school_id
      INTO it
      FROM library.items i JOIN library.resources r ON r.resource_id = i.resource_id
     WHERE i.barcode = btrim(p_barcode) AND (admin OR i.school_id = ANY (mine))
       FOR UPDATE OF i;
    IF NOT FOUND THEN
        SELECT i.item_id, i.barcode, i.status, i.item_type, i.school_id, i.resource_id, r.title, i.call_number,
               i.transit_to_school_id
          INTO it
          FROM library.items i JOIN library.resources r ON r.resource_id = i.resource_id
         WHERE i.barcode = btrim(p_barcode);
        IF NOT FOUND THEN
            RETURN extra || jsonb_build_object('item', NULL);
        END IF;
        RETURN extra || jsonb_build_object('item', to_jsonb(it), 'locked', false);
    END IF;
    IF p_student IS NOT NULL THEN  -- (two statements: each uses its partial index of open loans)
        SELECT coalesce(jsonb_agg(jsonb_build_array(i.item_type, c.due_date)), '[]'::jsonb) INTO loans
          FROM library.checkouts c JOIN library.items i ON i.item_id = c.item_id
         WHERE c.student_usi = p_student AND c.return_date IS NULL AND c.item_id <> it.item_id;
    ELSE
        SELECT coalesce(jsonb_agg(jsonb_build_array(i.item_type, c.due_date)), '[]'::jsonb) INTO loans
          FROM library.checkouts c JOIN library.items i ON i.item_id = c.item_id
         WHERE c.staff_usi = p_staff AND c.return_date IS NULL AND c.item_id <> it.item_id
           AND (admin OR c.school_id = ANY (mine));
    END IF;
    SELECT jsonb_build_object('checkout_id', c.checkout_id, 'student_usi', c.student_usi, 'staff_usi', c.staff_usi,
                              'checked_out_at', c.checked_out_at,
                              'name', coalesce(coalesce(s.preferredfirstname, s.firstname) || ' ' || s.lastsurname,
                                               coalesce(t.preferredfirstname, t.firstname) || ' ' || t.lastsurname))
      INTO loan
      FROM library.checkouts c
      LEFT JOIN edfi.student s ON s.studentusi = c.student_usi
      LEFT JOIN edfi.staff t ON t.staffusi = c.staff_usi
     WHERE c.item_id = it.item_id AND c.return_date IS NULL
       AND """ + SEES.format(s="c.student_usi", school="c.school_id") + r""";
    SELECT coalesce(jsonb_agg(jsonb_build_array(h.hold_id, h.student_usi, h.staff_usi, h.item_id, h.status,
                              coalesce(coalesce(s.preferredfirstname, s.firstname) || ' ' || s.lastsurname,
                                       coalesce(t.preferredfirstname, t.firstname) || ' ' || t.lastsurname))
                              ORDER BY h.placed_at), '[]'::jsonb)
      INTO holds
      FROM library.holds h
      LEFT JOIN edfi.student s ON s.studentusi = h.student_usi
      LEFT JOIN edfi.staff t ON t.staffusi = h.staff_usi
     WHERE h.resource_id = it.resource_id AND h.status IN ('waiting', 'ready')
       AND (h.item_id IS NULL OR h.item_id = it.item_id)
       AND """ + SEES.format(s="h.student_usi", school="h.pickup_school_id") + r""";
    stamp := library.rules_stamp();
    facts := extra || jsonb_build_object('item', to_jsonb(it), 'locked', true, 'loans', loans, 'loan', loan,
                                         'holds', holds, 'rules_stamp', stamp);
    IF p_terms IS NULL OR p_terms->>'stamp' IS DISTINCT FROM stamp OR it.school_id IS DISTINCT FROM p_school
       OR p_today IS NULL OR loan IS NOT NULL OR jsonb_array_length(holds) > 0
       OR EXISTS (SELECT 1 FROM library.checkouts c WHERE c.item_id = it.item_id AND c.return_date IS NULL)
       OR EXISTS (SELECT 1 FROM library.holds h WHERE h.resource_id = it.resource_id
                     AND h.status IN ('waiting', 'ready')) THEN
        RETURN facts;
    END IF;
    days := library.checkout_clean(p_terms->'categories'->coalesce(
                CASE WHEN p_staff IS NOT NULL THEN 'staff' END, p_category,
                p_terms->'bands'->>(pat->>'grade'), p_terms->>'band_default'),
            it.item_type, it.status, loans, p_today);
    IF days IS NULL THEN
        RETURN facts;
    END IF;
    new_id := library.lend_rows(admin, mine, it.item_id, it.resource_id, p_student, p_staff, p_school, p_today,
                                p_today + days, p_at, p_request, NULL, false, NULL, NULL);
    RETURN facts || jsonb_build_object('lent', jsonb_build_object('checkout_id', new_id, 'due', p_today + days));
END;
$$;

CREATE OR REPLACE FUNCTION library.checkout_facts(p_barcode text, p_student integer, p_staff integer, p_request uuid)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp """ + GENERIC + r""" AS $$
DECLARE
    admin boolean;
    mine bigint[];
BEGIN""" + CALLER + r"""
    RETURN library.checkout_read(admin, mine, NULL, p_student, p_staff, NULL, p_barcode, p_request, NULL, NULL, NULL,
                                 NULL);
END;
$$;

CREATE FUNCTION library.checkout(p_card text, p_student integer, p_staff integer, p_category text, p_barcode text,
                                 p_request uuid, p_school bigint, p_today date, p_at timestamptz, p_terms jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp """ + GENERIC + r""" AS $$
DECLARE
    admin boolean;
    mine bigint[];
BEGIN""" + CALLER + r"""
    IF p_terms IS NOT NULL AND NOT (admin OR p_school = ANY (mine)) THEN
        RAISE EXCEPTION 'you do not work at school %', p_school USING ERRCODE = '42501';
    END IF;
    RETURN library.checkout_read(admin, mine, p_card, p_student, p_staff, p_category, p_barcode, p_request, p_school,
                                 p_today, p_at, p_terms);
END;
$$;

ALTER FUNCTION library.keep_copy_counts() """ + GENERIC + r""";
""" + "\n".join(f"REVOKE ALL ON FUNCTION {f} FROM PUBLIC;" for f in INTERNAL) + f"""
REVOKE ALL ON FUNCTION {PUBLIC_NEW} FROM PUBLIC;
GRANT EXECUTE ON FUNCTION {PUBLIC_NEW} TO so_librarian, so_admin;
"""


def upgrade() -> None:
    for table in AUDITED:
        op.execute(f"SELECT compliance.attach_compiled_audit('{table}')")
    op.execute(FUNCTIONS_SQL)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {PUBLIC_NEW}")
    op.execute("ALTER FUNCTION library.keep_copy_counts() RESET plan_cache_mode")
    op.execute(_m0026.FUNCTIONS_SQL)  # 0026's patron_rows, checkout_facts and lend (they no longer use these)
    for f in INTERNAL:
        op.execute(f"DROP FUNCTION {f}")
    for table in AUDITED:
        op.execute(f"SELECT compliance.attach_audit('{table}')")
        schema, name = table.split(".")
        op.execute(f"DROP FUNCTION compliance.audit_{schema}__{name}()")
