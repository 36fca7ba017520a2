"""Library checkout in few round trips: one reads every fact the decision needs, one writes

A checkout used to be about fifteen statements (card, request lock, repeat check, copy lock,
rules, the patron's loans, the copy's loan, holds, names, the insert, the copy's status, the
hold, the overrides), each a round trip with its own row-level security checks, and each
student-scoped table in a statement asks compliance.my_school_ids() (about 0.15 ms) twice. The
functions here do the same reads and writes server-side and decide who may see what ONCE per
call. None of them decides a loan: the rules stay in app.domain.library_rules (Python), which
the offline desk runs too, so online and offline decisions cannot drift apart.

They are SECURITY DEFINER, pinned (search_path = pg_catalog, pg_temp), not executable by PUBLIC,
granted to librarians and administrators only, and apply the library's row-level security rules
themselves (tests/integration/test_library_checkout_functions.py tries each as every other role
and as another school's librarian):
  - only a librarian or an administrator may call them (checked again inside);
  - a student is visible when they attend or attended one of the caller's schools
    (compliance.student_scope), a staff member's loans and holds when made at one of them;
  - a copy is locked and changed only by its own school's librarians.

- library.patron_rows(card, student_usis): the desk's patron rows (name, grade, school,
  withdrawn, homeroom) for a card or a list of students, only those the caller may see.
- library.checkout_facts(barcode, student_usi, staff_usi, request_id): takes the request's lock
  and answers a repeat with the loan it made; otherwise locks the copy (when the caller's school
  owns it) and returns the copy, the patron's other open loans (item type, due date), the copy's
  open loan and its holder's name, the title's open holds with names (only those the caller may
  see), and a stamp of the rules matrix (so the desk keeps the matrix between checkouts).
- library.lend(...): closes the copy's previous loan when it is lent again (confirmed), inserts
  the loan, marks the copy checked out, fills the patron's hold or sends a shelved hold of
  someone else back to waiting, and records the overridden blocks with the reason.
- library.keep_copy_counts() counts a title's copies in one pass.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03
"""
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# Who is calling: an administrator sees every school; a librarian their own; anyone else is refused.
CALLER = r"""
    IF pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER') THEN
        admin := true;
    ELSIF pg_catalog.pg_has_role(session_user, 'so_librarian', 'MEMBER') THEN
        admin := false;
        mine := compliance.my_school_ids();
    ELSE
        RAISE EXCEPTION 'only librarians lend library items' USING ERRCODE = '42501';
    END IF;"""
# The library's row-level security, once per call: a student row is visible when the student is in
# the caller's scope; a staff member's row when it was made at one of the caller's schools.
SEES = ("(admin OR ({s} IS NULL AND {school} = ANY (mine)) OR EXISTS (SELECT 1 FROM compliance.student_scope sc "
        "WHERE sc.studentusi = {s} AND sc.schoolid = ANY (mine)))")
SIGNATURES = ("library.patron_rows(text, integer[])", "library.checkout_facts(text, integer, integer, uuid)",
              "library.lend(integer, integer, integer, bigint, date, date, timestamptz, uuid, bigint, bigint, boolean, "
              "text[], text)", "library.rules_stamp()")

FUNCTIONS_SQL = r"""
CREATE OR REPLACE FUNCTION library.rules_stamp() RETURNS text
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
    SELECT md5(coalesce(string_agg((r.rule_id, r.school_id, r.patron_category, r.item_type, r.loan_days, r.max_items,
                                    r.max_renewals, r.holds_allowed, r.max_overdue, r.fine_per_day)::text, ';'
                                   ORDER BY r.rule_id), ''))
      FROM library.loan_rules r
$$;

CREATE OR REPLACE FUNCTION library.patron_rows(p_card text, p_students integer[])
RETURNS TABLE (studentusi integer, studentuniqueid text, first text, lastsurname text, grade text, school text,
               withdrawn boolean, homeroom text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
     WHERE s.studentusi = ANY (usis);
END;
$$;

CREATE OR REPLACE FUNCTION library.checkout_facts(p_barcode text, p_student integer, p_staff integer, p_request uuid)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    admin boolean;
    mine bigint[];
    it record;
    prior record;
    loans jsonb;
    loan jsonb;
    holds jsonb;
BEGIN""" + CALLER + r"""
    IF (p_student IS NULL) = (p_staff IS NULL) THEN
        RAISE EXCEPTION 'a borrower is one student or one staff member' USING ERRCODE = '22023';
    END IF;
    IF p_student IS NOT NULL AND NOT """ + SEES.format(s="p_student", school="NULL") + r""" THEN
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
            RETURN jsonb_build_object('prior', jsonb_build_object('checkout_id', prior.checkout_id, 'due',
                                      prior.due_date, 'barcode', prior.barcode, 'title', prior.title));
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
            RETURN jsonb_build_object('item', NULL);
        END IF;
        RETURN jsonb_build_object('item', to_jsonb(it), 'locked', false);
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
    RETURN jsonb_build_object('item', to_jsonb(it), 'locked', true, 'loans', loans, 'loan', loan, 'holds', holds,
                              'rules_stamp', library.rules_stamp());
END;
$$;

CREATE OR REPLACE FUNCTION library.lend(p_item integer, p_student integer, p_staff integer, p_school bigint,
                                       p_today date, p_due date, p_at timestamptz, p_request uuid, p_reissue bigint,
                                       p_my_hold bigint, p_shelved boolean, p_overridden text[], p_reason text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    admin boolean;
    mine bigint[];
    it record;
    n integer;
    new_id bigint;
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
    INSERT INTO library.checkouts (student_usi, staff_usi, resource_id, item_id, school_id, checkout_date, due_date,
                                   checkout_status, librarian_id, checked_out_at, request_id)
    VALUES (p_student, p_staff, it.resource_id, p_item, p_school, p_today, p_due, 'Checked Out', session_user, p_at,
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

-- A title's copy counts in one pass over its copies (was two counts per title).
CREATE OR REPLACE FUNCTION library.keep_copy_counts() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ids integer[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        ids := ARRAY(SELECT DISTINCT n.resource_id FROM new_rows n);
    ELSIF TG_OP = 'DELETE' THEN
        ids := ARRAY(SELECT DISTINCT o.resource_id FROM old_rows o);
    ELSE
        ids := ARRAY(SELECT n.resource_id FROM new_rows n UNION SELECT o.resource_id FROM old_rows o);
    END IF;
    UPDATE library.resources r SET total_copies = x.total, available_copies = x.available
      FROM (SELECT u.id, count(i.item_id) FILTER (WHERE i.status <> 'withdrawn')::int AS total,
                   count(i.item_id) FILTER (WHERE i.status = 'available')::int AS available
              FROM unnest(ids) u(id) LEFT JOIN library.items i ON i.resource_id = u.id
             GROUP BY u.id) x
     WHERE r.resource_id = x.id
       AND (r.total_copies IS DISTINCT FROM x.total OR r.available_copies IS DISTINCT FROM x.available);
    RETURN NULL;
END;
$$;
""" + "\n".join(f"REVOKE ALL ON FUNCTION {f} FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION {f} TO so_librarian, so_admin;"
                for f in SIGNATURES)

DOWNGRADE_SQL = "\n".join(f"DROP FUNCTION IF EXISTS {f};" for f in SIGNATURES) + r"""
CREATE OR REPLACE FUNCTION library.keep_copy_counts() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ids integer[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        ids := ARRAY(SELECT DISTINCT n.resource_id FROM new_rows n);
    ELSIF TG_OP = 'DELETE' THEN
        ids := ARRAY(SELECT DISTINCT o.resource_id FROM old_rows o);
    ELSE
        ids := ARRAY(SELECT n.resource_id FROM new_rows n UNION SELECT o.resource_id FROM old_rows o);
    END IF;
    UPDATE library.resources r SET total_copies = x.total, available_copies = x.available
      FROM (SELECT u.id,
                   (SELECT count(*) FROM library.items i WHERE i.resource_id = u.id AND i.status <> 'withdrawn')::int
                       AS total,
                   (SELECT count(*) FROM library.items i WHERE i.resource_id = u.id AND i.status = 'available')::int
                       AS available
              FROM unnest(ids) u(id)) x
     WHERE r.resource_id = x.id
       AND (r.total_copies IS DISTINCT FROM x.total OR r.available_copies IS DISTINCT FROM x.available);
    RETURN NULL;
END;
$$;
"""


def upgrade() -> None:
    op.execute(FUNCTIONS_SQL)


def downgrade() -> None:
    op.execute(DOWNGRADE_SQL)
