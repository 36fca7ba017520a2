"""The one-call checkout runs in one function, with fewer statements (issue 10, the checkout bench)

Measured per clean checkout in the server (2,000-student bench district, a loop of library.checkout calls as
the librarian, clock_timestamp() between its steps): the patron row 74 µs, the copy's other reads 55 µs, the
loan and the copy's update 185 µs (keys, audit, copy counts), compliance.my_school_ids 65-95 µs; and the calls
between the layers (library.checkout -> checkout_read -> patron_rows_of, lend_rows, each with its own SET
clauses, which plpgsql saves and restores on every call).

library.checkout now does in its own body what it did through library.checkout_read, library.patron_rows_of and
library.lend_rows, with the same statements and the same answer:
- the patron found by card in one statement (the row patron_rows_of builds, for the one student the caller
  may see);
- after the copy's lock, one statement reads the patron's other open loans, the copy's open loan (named only
  to a caller who may see its holder), whether it has one, and whether the title has open holds; the holds
  themselves are read only when there are some (the usual copy has none);
- a clean case's loan is inserted and the copy marked out here (library.lend_rows' INSERT and UPDATE for a
  loan with no hold, no reissue and no override), so its audit rows and copy counts are the same triggers'.
library.checkout_read, patron_rows_of and lend_rows stay for library.checkout_facts, library.patron_rows and
library.lend. The function keeps its SET clauses and the district's time zone it was pinned to (0064).
Held to the same answers by tests/integration/test_library_checkout_parity.py (the database's comparison
against app.domain.library_rules) and test_library_checkout_functions.py (who may call it and what they see).

Revision ID: 0072
Revises: 0071
Create Date: 2026-12-04
"""
from alembic import op

revision = "0072"
down_revision = "0071"
branch_labels = None
depends_on = None

CHECKOUT = "library.checkout(text, integer, integer, text, text, uuid, bigint, date, timestamptz, jsonb)"
_SIGNATURE = """CREATE OR REPLACE FUNCTION library.checkout(p_card text, p_student integer, p_staff integer,
    p_category text, p_barcode text, p_request uuid, p_school bigint, p_today date, p_at timestamp with time zone,
    p_terms jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
DECLARE
    admin boolean;
    mine bigint[];
"""
_ROLE = """BEGIN
    IF pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER') THEN
        admin := true;
    ELSIF pg_catalog.pg_has_role(session_user, 'so_librarian', 'MEMBER') THEN
        admin := false;
        mine := compliance.my_school_ids();
    ELSE
        RAISE EXCEPTION 'only librarians lend library items' USING ERRCODE = '42501';
    END IF;
    IF p_terms IS NOT NULL AND NOT (admin OR p_school = ANY (mine)) THEN
        RAISE EXCEPTION 'you do not work at school %', p_school USING ERRCODE = '42501';
    END IF;
"""
# who may see a student's loan or hold (the same expressions as library.checkout_read's)
_SEES_LOAN = ("admin OR (c.student_usi IS NULL AND c.school_id = ANY (mine)) OR EXISTS (SELECT 1 FROM "
              "compliance.student_scope sc WHERE sc.studentusi = c.student_usi AND sc.schoolid = ANY (mine))")
_SEES_HOLD = ("admin OR (h.student_usi IS NULL AND h.pickup_school_id = ANY (mine)) OR EXISTS (SELECT 1 FROM "
              "compliance.student_scope sc WHERE sc.studentusi = h.student_usi AND sc.schoolid = ANY (mine))")
_SEES_PRIOR = ("admin OR (prior.student_usi IS NULL AND prior.school_id = ANY (mine)) OR EXISTS (SELECT 1 FROM "
               "compliance.student_scope sc WHERE sc.studentusi = prior.student_usi AND sc.schoolid = ANY (mine))")
_SEES_STUDENT = ("admin OR EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = p_student "
                 "AND sc.schoolid = ANY (mine))")

NEW_SQL = _SIGNATURE + """    pat jsonb;
    extra jsonb := '{}'::jsonb;  -- the patron, when the caller gave a card
    it record;
    prior record;
    loans jsonb;
    loan jsonb;
    holds jsonb;
    facts jsonb;
    stamp text;
    days integer;
    out_any boolean;
    held_any boolean;
    cat text;
    terms jsonb;
    new_id bigint;
""" + _ROLE + f"""    -- a student's card (a staff card, or none the caller may see: NULL patron)
    IF p_card IS NOT NULL THEN
        -- library.patron_rows_of's row, of the one student with this card whom the caller may see
        SELECT to_jsonb(r) INTO pat FROM (
            SELECT s.studentusi, s.studentuniqueid::text AS studentuniqueid,
                   coalesce(s.preferredfirstname, s.firstname)::text AS first, s.lastsurname::text AS lastsurname,
                   enr.grade::text AS grade, enr.school::text AS school, enr.withdrawn,
                   (SELECT coalesce(st.preferredfirstname, st.firstname) || ' ' || st.lastsurname
                      FROM edfi.studentsectionassociation x
                      JOIN edfi.staffsectionassociation t ON t.localcoursecode = x.localcoursecode
                           AND t.schoolid = x.schoolid AND t.schoolyear = x.schoolyear
                           AND t.sectionidentifier = x.sectionidentifier AND t.sessionname = x.sessionname
                      JOIN edfi.staff st ON st.staffusi = t.staffusi
                     WHERE x.studentusi = s.studentusi AND x.homeroomindicator
                     ORDER BY x.begindate DESC LIMIT 1)::text AS homeroom
              FROM edfi.student s
              LEFT JOIN LATERAL (
                  SELECT d.codevalue AS grade, eo.nameofinstitution AS school,
                         a.exitwithdrawdate IS NOT NULL AS withdrawn
                    FROM edfi.studentschoolassociation a
                    JOIN edfi.descriptor d ON d.descriptorid = a.entrygradeleveldescriptorid
                    JOIN edfi.educationorganization eo ON eo.educationorganizationid = a.schoolid
                   WHERE a.studentusi = s.studentusi
                   ORDER BY (a.exitwithdrawdate IS NULL) DESC, a.entrydate DESC LIMIT 1) enr ON true
             WHERE s.studentuniqueid = btrim(p_card)
               AND (admin OR EXISTS (SELECT 1 FROM compliance.student_scope sc
                                      WHERE sc.studentusi = s.studentusi AND sc.schoolid = ANY (mine)))
             LIMIT 1) r;
        IF pat IS NULL THEN
            RETURN jsonb_build_object('patron', NULL);
        END IF;
        p_student := (pat->>'studentusi')::integer;
        p_staff := NULL;
        extra := jsonb_build_object('patron', pat);
    ELSIF (p_student IS NULL) = (p_staff IS NULL) THEN
        RAISE EXCEPTION 'a borrower is one student or one staff member' USING ERRCODE = '22023';
    ELSIF p_student IS NOT NULL
          AND NOT ({_SEES_STUDENT}) THEN
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
            IF NOT ({_SEES_PRIOR}) THEN
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
    -- after the copy's lock, in one statement: the patron's other open loans (each by its partial index of
    -- open loans), the copy's open loan (at most one; its holder named only to a caller who may see them),
    -- whether it has one at all, and whether the title has open holds (seen or not, for any copy)
    SELECT CASE WHEN p_student IS NOT NULL THEN
               (SELECT coalesce(jsonb_agg(jsonb_build_array(i.item_type, c.due_date)), '[]'::jsonb)
                  FROM library.checkouts c JOIN library.items i ON i.item_id = c.item_id
                 WHERE c.student_usi = p_student AND c.return_date IS NULL AND c.item_id <> it.item_id)
           ELSE
               (SELECT coalesce(jsonb_agg(jsonb_build_array(i.item_type, c.due_date)), '[]'::jsonb)
                  FROM library.checkouts c JOIN library.items i ON i.item_id = c.item_id
                 WHERE c.staff_usi = p_staff AND c.return_date IS NULL AND c.item_id <> it.item_id
                   AND (admin OR c.school_id = ANY (mine)))
           END,
           (SELECT CASE WHEN {_SEES_LOAN}
                        THEN jsonb_build_object('checkout_id', c.checkout_id, 'student_usi', c.student_usi,
                                 'staff_usi', c.staff_usi, 'checked_out_at', c.checked_out_at,
                                 'name', coalesce(coalesce(s.preferredfirstname, s.firstname) || ' ' || s.lastsurname,
                                                  coalesce(t.preferredfirstname, t.firstname) || ' ' || t.lastsurname))
                   END
              FROM library.checkouts c
              LEFT JOIN edfi.student s ON s.studentusi = c.student_usi
              LEFT JOIN edfi.staff t ON t.staffusi = c.staff_usi
             WHERE c.item_id = it.item_id AND c.return_date IS NULL),
           EXISTS (SELECT 1 FROM library.checkouts c WHERE c.item_id = it.item_id AND c.return_date IS NULL),
           EXISTS (SELECT 1 FROM library.holds h
                    WHERE h.resource_id = it.resource_id AND h.status IN ('waiting', 'ready'))
      INTO loans, loan, out_any, held_any;
    IF held_any THEN
        -- the title's open holds for any copy or this one that the caller may see, oldest first
        SELECT coalesce(jsonb_agg(jsonb_build_array(h.hold_id, h.student_usi, h.staff_usi, h.item_id, h.status,
                                  coalesce(coalesce(s.preferredfirstname, s.firstname) || ' ' || s.lastsurname,
                                           coalesce(t.preferredfirstname, t.firstname) || ' ' || t.lastsurname))
                                  ORDER BY h.placed_at)
                        FILTER (WHERE (h.item_id IS NULL OR h.item_id = it.item_id) AND ({_SEES_HOLD})),
                        '[]'::jsonb)
          INTO holds
          FROM library.holds h
          LEFT JOIN edfi.student s ON s.studentusi = h.student_usi
          LEFT JOIN edfi.staff t ON t.staffusi = h.staff_usi
         WHERE h.resource_id = it.resource_id AND h.status IN ('waiting', 'ready');
    ELSE
        holds := '[]'::jsonb;
    END IF;
    -- the rules' stamp and terms kept for the lending school (library.keep_checkout_terms)
    SELECT t.stamp, t.terms INTO stamp, terms FROM library.checkout_terms t WHERE t.school_id = p_school;
    IF NOT FOUND THEN  -- a school added since the rules last changed, or no lending school (facts only)
        stamp := library.rules_stamp();
    END IF;
    facts := extra || jsonb_build_object('item', to_jsonb(it), 'locked', true, 'loans', loans, 'loan', loan,
                                         'holds', holds, 'rules_stamp', stamp, 'asof', greatest(p_today, current_date));
    IF p_terms IS NULL OR it.school_id IS DISTINCT FROM p_school
       OR p_today IS NULL OR out_any OR held_any
       OR p_today > current_date + 1 OR p_today < current_date - 120 THEN
        RETURN facts;
    END IF;
    cat := library.patron_category(CASE WHEN pat IS NOT NULL THEN pat->>'grade' ELSE (
               SELECT d.codevalue FROM edfi.studentschoolassociation a
                 JOIN edfi.descriptor d ON d.descriptorid = a.entrygradeleveldescriptorid
                WHERE a.studentusi = p_student
                ORDER BY (a.exitwithdrawdate IS NULL) DESC, a.entrydate DESC LIMIT 1) END, p_staff IS NOT NULL);
    days := library.checkout_clean(coalesce(terms, library.compute_terms(p_school))->cat,
            it.item_type, it.status, loans, greatest(p_today, current_date));
    IF days IS NULL THEN
        RETURN facts;
    END IF;
    -- library.lend_rows for a loan with no hold, no reissue and no override: the loan, the copy marked out
    INSERT INTO library.checkouts (student_usi, staff_usi, resource_id, item_id, school_id, checkout_date, due_date,
                                   checkout_status, librarian_id, checked_out_at, request_id)
    VALUES (p_student, p_staff, it.resource_id, it.item_id, p_school, p_today, p_today + days, 'Checked Out',
            session_user, p_at, p_request)
    RETURNING checkout_id INTO new_id;
    UPDATE library.items
       SET status = 'checked_out', status_changed_at = now(), last_seen_at = now(), transit_to_school_id = NULL,
           status_note = NULL
     WHERE item_id = it.item_id;
    RETURN facts || jsonb_build_object('lent', jsonb_build_object('checkout_id', new_id, 'due', p_today + days));
END;
$function$
"""

# 0036's library.checkout as it stood at 0071 (0048, 0057, 0064 and 0066 changed what it calls)
OLD_SQL = _SIGNATURE + _ROLE + """    RETURN library.checkout_read(admin, mine, p_card, p_student, p_staff, p_category,
                                 p_barcode, p_request, p_school, p_today, p_at, p_terms);
END;
$function$
"""


def _zone() -> str:
    """The zone library.checkout is pinned to (the district's, 0064): CREATE OR REPLACE drops it."""
    zone = op.get_bind().exec_driver_sql(
        "SELECT substr(c, length('TimeZone=') + 1) FROM pg_proc p, unnest(p.proconfig) c "
        f"WHERE p.oid = '{CHECKOUT}'::regprocedure AND strpos(c, 'TimeZone=') = 1").scalar()
    if zone is None:
        zone = op.get_bind().exec_driver_sql(
            "SELECT substr(c, length('TimeZone=') + 1) FROM pg_proc p, unnest(p.proconfig) c "
            "WHERE p.oid = 'library.close_loan(bigint, date, timestamptz, text)'::regprocedure "
            "AND strpos(c, 'TimeZone=') = 1").scalar() or op.get_bind().exec_driver_sql("SHOW TimeZone").scalar()
    if not zone or "'" in zone:
        raise RuntimeError(f"migration 0072: unexpected time zone {zone!r}")
    return zone


def _replace(sql: str) -> None:
    zone = _zone()
    op.execute(sql)
    op.execute(f"ALTER FUNCTION {CHECKOUT} SET TimeZone = '{zone}'")


def upgrade() -> None:
    _replace(NEW_SQL)


def downgrade() -> None:
    _replace(OLD_SQL)
