"""Library circulation: one row per physical copy, holds, the rules matrix, overrides, inventory

The design document's `library.resources` counts copies but cannot tell one copy from another:
`library.items` is one row per copy (barcode, call number, status, location, item type, price,
owning school) and `library.checkouts` now points at the copy (one open loan per copy, enforced
by a unique index). Existing titles get one item per counted copy.

Library records are confidential: loans, holds, overrides and offline conflicts are read only by
librarians of the schools the student attends or attended (through compliance.student_scope, so a
withdrawn student's open loans stay visible) and by administrators; no other desk reads them.
Librarians change the copies, rules, settings and inventories of their own schools only; a copy
of another school returned at this desk goes through library.check_in_elsewhere(), which closes
the loan and sends the copy home without revealing who had it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

MINE = "((SELECT compliance.my_school_ids())::bigint[])"
SCOPED = ("EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = {t}.student_usi "
          "AND sc.schoolid = ANY " + MINE + " OFFSET 0)")
# (table, its school column, commands the librarian may run)
STUDENT_TABLES = (("checkouts", "school_id", "SELECT, INSERT, UPDATE"), ("holds", "pickup_school_id", "SELECT, INSERT, UPDATE"),
                  ("overrides", "school_id", "SELECT, INSERT"), ("sync_conflicts", "school_id", "SELECT, INSERT, UPDATE"))
# (table, its school column): rows of the librarian's own schools are written, all are read
SCHOOL_TABLES = (("items", "school_id"), ("loan_rules", "school_id"), ("settings", "school_id"),
                 ("inventories", "school_id"), ("textbook_assignments", "schoolid"))


def _student_policies() -> str:
    out = ["DROP POLICY IF EXISTS own_schools ON library.checkouts;",
           "DROP POLICY IF EXISTS own_sections ON library.checkouts;",
           "DROP POLICY IF EXISTS administrators ON library.checkouts;",
           "REVOKE ALL ON library.checkouts FROM so_librarian;"]
    for t, school, privs in STUDENT_TABLES:
        vis = f"(({SCOPED.format(t=t)}) OR ({t}.student_usi IS NULL AND {t}.{school} = ANY {MINE}))"
        out += [f"ALTER TABLE library.{t} ENABLE ROW LEVEL SECURITY;",
                f"CREATE POLICY administrators ON library.{t} FOR ALL TO so_admin USING (true) WITH CHECK (true);",
                f"CREATE POLICY librarians_read ON library.{t} FOR SELECT TO so_librarian USING {vis};",
                f"CREATE POLICY librarians_add ON library.{t} FOR INSERT TO so_librarian WITH CHECK "
                f"({vis} AND {t}.{school} = ANY {MINE}"
                + (" AND approved_by = session_user::text" if t == "overrides" else "") + ");",
                f"GRANT {privs} ON library.{t} TO so_librarian;",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON library.{t} TO so_admin;"]
        if "UPDATE" in privs:
            out.append(f"CREATE POLICY librarians_change ON library.{t} FOR UPDATE TO so_librarian USING {vis} "
                       f"WITH CHECK {vis};")
        if t != "checkouts":
            out.append(f"SELECT compliance.attach_audit('library.{t}');")
    return "\n".join(out)


def _school_policies() -> str:
    out = []
    for t, school in SCHOOL_TABLES:
        own = f"({school} = ANY {MINE})"
        out += [f"ALTER TABLE library.{t} ENABLE ROW LEVEL SECURITY;",
                f"CREATE POLICY administrators ON library.{t} FOR ALL TO so_admin USING (true) WITH CHECK (true);",
                f"CREATE POLICY librarians_read ON library.{t} FOR SELECT TO so_librarian USING (true);",
                f"CREATE POLICY librarians_add ON library.{t} FOR INSERT TO so_librarian WITH CHECK {own};",
                f"CREATE POLICY librarians_change ON library.{t} FOR UPDATE TO so_librarian USING {own} WITH CHECK {own};",
                f"CREATE POLICY librarians_remove ON library.{t} FOR DELETE TO so_librarian USING {own};",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON library.{t} TO so_librarian, so_admin;",
                f"SELECT compliance.attach_audit('library.{t}');"]
    out.append("REVOKE DELETE ON library.items FROM so_librarian;  -- copies are withdrawn, not deleted")
    return "\n".join(out)


# Existing catalogues: one copy per counted copy (owned by the district's first school), open loans
# on distinct copies, past loans on the first copy.
EXISTING_DATA_SQL = r"""
INSERT INTO library.items (resource_id, barcode, call_number, location, item_type, school_id)
SELECT r.resource_id, 'R' || r.resource_id || '-' || n, r.call_number, r.location,
       CASE WHEN r.resource_type IS NULL OR lower(r.resource_type) = 'book' THEN 'book'
            ELSE left(lower(r.resource_type), 30) END,
       (SELECT min(schoolid) FROM edfi.school)
  FROM library.resources r
 CROSS JOIN LATERAL generate_series(1, greatest(coalesce(r.total_copies, 1), 1,
       (SELECT count(*) FROM library.checkouts c WHERE c.resource_id = r.resource_id AND c.return_date IS NULL)::int)) n
 WHERE EXISTS (SELECT 1 FROM edfi.school);
WITH o AS (SELECT c.checkout_id, c.resource_id,
                  row_number() OVER (PARTITION BY c.resource_id ORDER BY c.checkout_id) AS k
             FROM library.checkouts c WHERE c.return_date IS NULL)
UPDATE library.checkouts c SET item_id = i.item_id
  FROM o JOIN library.items i ON i.barcode = 'R' || o.resource_id || '-' || o.k
 WHERE c.checkout_id = o.checkout_id;
UPDATE library.checkouts c SET item_id = i.item_id FROM library.items i
 WHERE c.item_id IS NULL AND i.barcode = 'R' || c.resource_id || '-1';
UPDATE library.checkouts c SET school_id = i.school_id, checked_out_at = c.checkout_date::timestamptz,
       returned_at = c.return_date::timestamptz
  FROM library.items i WHERE i.item_id = c.item_id;
UPDATE library.items i SET status = 'checked_out'
 WHERE EXISTS (SELECT 1 FROM library.checkouts c WHERE c.item_id = i.item_id AND c.return_date IS NULL);
-- The district-wide default rule the matrix requires: two weeks, three items, two renewals, no fines.
INSERT INTO library.loan_rules (school_id, patron_category, item_type, loan_days, max_items, max_renewals,
                                holds_allowed, max_overdue, fine_per_day)
VALUES (NULL, NULL, NULL, 14, 3, 2, true, 0, 0);
"""

# A title's copy counts follow its copies; the matrix always keeps its default row.
COUNTS_SQL = r"""
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
REVOKE ALL ON FUNCTION library.keep_copy_counts() FROM PUBLIC;
CREATE TRIGGER keep_copy_counts_ins AFTER INSERT ON library.items REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION library.keep_copy_counts();
CREATE TRIGGER keep_copy_counts_upd AFTER UPDATE ON library.items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION library.keep_copy_counts();
CREATE TRIGGER keep_copy_counts_del AFTER DELETE ON library.items REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION library.keep_copy_counts();
UPDATE library.resources r SET total_copies = (SELECT count(*) FROM library.items i WHERE i.resource_id = r.resource_id
                                                 AND i.status <> 'withdrawn'),
       available_copies = (SELECT count(*) FROM library.items i WHERE i.resource_id = r.resource_id
                             AND i.status = 'available');

CREATE OR REPLACE FUNCTION library.keep_default_rule() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM library.loan_rules
                    WHERE school_id IS NULL AND patron_category IS NULL AND item_type IS NULL) THEN
        RAISE EXCEPTION 'the circulation rules need their default row (every school, every patron, every item type)'
            USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION library.keep_default_rule() FROM PUBLIC;
CREATE TRIGGER keep_default_rule AFTER UPDATE OR DELETE ON library.loan_rules
    FOR EACH STATEMENT EXECUTE FUNCTION library.keep_default_rule();
"""

SECURITY_SQL = _student_policies() + "\n" + _school_policies() + r"""
ALTER TABLE library.inventory_scans ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON library.inventory_scans FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY own_inventories ON library.inventory_scans FOR ALL TO so_librarian
    USING (EXISTS (SELECT 1 FROM library.inventories v WHERE v.inventory_id = inventory_scans.inventory_id
                     AND v.school_id = ANY ((SELECT compliance.my_school_ids())::bigint[])))
    WITH CHECK (EXISTS (SELECT 1 FROM library.inventories v WHERE v.inventory_id = inventory_scans.inventory_id
                     AND v.school_id = ANY ((SELECT compliance.my_school_ids())::bigint[]) AND v.finalized_at IS NULL));
GRANT SELECT, INSERT ON library.inventory_scans TO so_librarian;
GRANT SELECT, INSERT, UPDATE, DELETE ON library.inventory_scans TO so_admin;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA library TO so_librarian, so_admin;
-- Homeroom lists, class sets and textbooks: who is in which section and who teaches it (no more).
GRANT SELECT (studentusi, localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, begindate, enddate,
              homeroomindicator) ON edfi.studentsectionassociation TO so_librarian;
GRANT SELECT (staffusi, localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, begindate, enddate)
    ON edfi.staffsectionassociation TO so_librarian;
GRANT SELECT (staffusi, staffuniqueid, firstname, lastsurname, preferredfirstname, loginid) ON edfi.staff TO so_librarian;
"""

# A copy of another school returned at this desk: close its loan and send it home. The librarian
# here may not see the borrower (another school's student); the function answers with the title
# and the owning school only.
FUNCTIONS_SQL = r"""
CREATE OR REPLACE FUNCTION library.check_in_elsewhere(p_barcode text, p_school_id bigint)
RETURNS TABLE (item_id integer, title text, owner_school text, was_out boolean, days_late integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    it record;
    loan record;
    late integer := NULL;
BEGIN
    IF NOT (pg_catalog.pg_has_role(session_user, 'so_librarian', 'MEMBER')
            OR pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'only librarians check in library items' USING ERRCODE = '42501';
    END IF;
    IF NOT (p_school_id = ANY (compliance.my_school_ids())) THEN
        RAISE EXCEPTION 'you do not work at school %', p_school_id USING ERRCODE = '42501';
    END IF;
    SELECT i.* INTO it FROM library.items i WHERE i.barcode = btrim(p_barcode) FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no copy has barcode %', p_barcode USING ERRCODE = 'P0002';
    END IF;
    IF it.school_id = p_school_id THEN
        RAISE EXCEPTION 'copy % belongs to this school: check it in here', p_barcode USING ERRCODE = '22023';
    END IF;
    SELECT c.* INTO loan FROM library.checkouts c WHERE c.item_id = it.item_id AND c.return_date IS NULL FOR UPDATE;
    IF FOUND THEN
        late := greatest(current_date - loan.due_date, 0);
        UPDATE library.checkouts c SET return_date = current_date, returned_at = now(), days_late = late,
               checkin_school_id = p_school_id, checkout_status = 'Returned'
         WHERE c.checkout_id = loan.checkout_id;
    END IF;
    UPDATE library.items i SET status = 'in_transit', transit_to_school_id = it.school_id, status_changed_at = now(),
           status_note = 'returned at school ' || p_school_id
     WHERE i.item_id = it.item_id;
    RETURN QUERY SELECT it.item_id, r.title::text, eo.nameofinstitution::text, loan.checkout_id IS NOT NULL, late
                   FROM library.resources r, edfi.educationorganization eo
                  WHERE r.resource_id = it.resource_id AND eo.educationorganizationid = it.school_id;
END;
$$;
REVOKE ALL ON FUNCTION library.check_in_elsewhere(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION library.check_in_elsewhere(text, bigint) TO so_librarian, so_admin;
"""

DOWNGRADE_SQL = r"""
DROP FUNCTION IF EXISTS library.check_in_elsewhere(text, bigint);
DROP TRIGGER IF EXISTS keep_copy_counts_ins ON library.items;
DROP TRIGGER IF EXISTS keep_copy_counts_upd ON library.items;
DROP TRIGGER IF EXISTS keep_copy_counts_del ON library.items;
DROP FUNCTION IF EXISTS library.keep_copy_counts();
DROP TRIGGER IF EXISTS keep_default_rule ON library.loan_rules;
DROP FUNCTION IF EXISTS library.keep_default_rule();
REVOKE SELECT ON edfi.studentsectionassociation, edfi.staffsectionassociation, edfi.staff FROM so_librarian;
DROP POLICY IF EXISTS administrators ON library.checkouts;
DROP POLICY IF EXISTS librarians_read ON library.checkouts;
DROP POLICY IF EXISTS librarians_add ON library.checkouts;
DROP POLICY IF EXISTS librarians_change ON library.checkouts;
GRANT SELECT, INSERT, UPDATE, DELETE ON library.checkouts TO so_librarian;
CREATE POLICY administrators ON library.checkouts FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY own_schools ON library.checkouts FOR ALL
    TO so_front_office, so_dean, so_nurse, so_cashier, so_librarian, so_transportation, so_registrar
    USING (EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = checkouts.student_usi
                   AND sc.schoolid = ANY ((SELECT compliance.my_school_ids())::bigint[]) OFFSET 0))
    WITH CHECK (EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = checkouts.student_usi
                   AND sc.schoolid = ANY ((SELECT compliance.my_school_ids())::bigint[]) OFFSET 0)
                OR compliance.student_unplaced(student_usi));
CREATE POLICY own_sections ON library.checkouts FOR ALL TO so_teacher
    USING (EXISTS (SELECT 1 FROM compliance.teacher_scope ts WHERE ts.studentusi = checkouts.student_usi
                   AND ts.staffusi = (SELECT compliance.my_staff_usi())))
    WITH CHECK (EXISTS (SELECT 1 FROM compliance.teacher_scope ts WHERE ts.studentusi = checkouts.student_usi
                   AND ts.staffusi = (SELECT compliance.my_staff_usi())));
"""


def upgrade() -> None:
    op.create_table('inventories',
    sa.Column('inventory_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('call_from', sa.String(length=50), autoincrement=False, nullable=True, comment='First call number of the range'),
    sa.Column('call_to', sa.String(length=50), autoincrement=False, nullable=True, comment='Last call number of the range'),
    sa.Column('started_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.Column('started_by', sa.String(length=100), server_default=sa.text('session_user'), autoincrement=False, nullable=False),
    sa.Column('finalized_at', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True),
    sa.Column('marked_missing', sa.Integer(), autoincrement=False, nullable=True),
    sa.ForeignKeyConstraint(['school_id'], ['edfi.school.schoolid'], name=op.f('fk_inventories_school_id_school')),
    sa.PrimaryKeyConstraint('inventory_id', name=op.f('pk_inventories')),
    schema='library',
    comment='A shelf inventory: scans of a call-number range'
    )
    op.create_table('items',
    sa.Column('item_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('resource_id', sa.Integer(), autoincrement=False, nullable=False, comment='The title this is a copy of'),
    sa.Column('barcode', sa.String(length=32), autoincrement=False, nullable=False, comment="The copy's barcode"),
    sa.Column('call_number', sa.String(length=50), autoincrement=False, nullable=True, comment='Spine label call number'),
    sa.Column('status', sa.String(length=20), server_default=sa.text("'available'"), autoincrement=False, nullable=False, comment='available, checked_out, lost, ...'),
    sa.Column('location', sa.String(length=100), autoincrement=False, nullable=True, comment='Shelf location'),
    sa.Column('item_type', sa.String(length=30), server_default=sa.text("'book'"), autoincrement=False, nullable=False, comment='Item type of the rules matrix'),
    sa.Column('price', sa.Numeric(precision=8, scale=2), autoincrement=False, nullable=True, comment='Replacement price'),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='The school that owns the copy'),
    sa.Column('transit_to_school_id', sa.BigInteger(), autoincrement=False, nullable=True, comment='In transit: the school it is going back to'),
    sa.Column('status_changed_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.Column('status_note', sa.Text(), autoincrement=False, nullable=True, comment='Why the status was set'),
    sa.Column('in_house_uses', sa.Integer(), server_default=sa.text('0'), autoincrement=False, nullable=False, comment='Times used in the library without a loan'),
    sa.Column('last_seen_at', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True, comment='Last scanned in an inventory or at the desk'),
    sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.CheckConstraint("status IN ('available', 'checked_out', 'on_hold_shelf', 'in_transit', 'lost', 'damaged', 'missing', 'claims_returned', 'withdrawn', 'not_for_loan')", name=op.f('ck_items_item_status')),
    sa.ForeignKeyConstraint(['resource_id'], ['library.resources.resource_id'], name=op.f('fk_items_resource_id_resources')),
    sa.ForeignKeyConstraint(['school_id'], ['edfi.school.schoolid'], name=op.f('fk_items_school_id_school')),
    sa.ForeignKeyConstraint(['transit_to_school_id'], ['edfi.school.schoolid'], name=op.f('fk_items_transit_to_school_id_school')),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_items')),
    sa.UniqueConstraint('barcode', name=op.f('uq_items_barcode')),
    schema='library',
    comment='One physical copy of a resource'
    )
    op.create_index('ix_items_resource_id', 'items', ['resource_id'], unique=False, schema='library')
    op.create_index('ix_items_school_call_number', 'items', ['school_id', 'call_number'], unique=False, schema='library')
    op.create_table('loan_rules',
    sa.Column('rule_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=True, comment='NULL: every school'),
    sa.Column('patron_category', sa.String(length=20), autoincrement=False, nullable=True, comment='K-2, 3-5, 6-8, 9-12, staff; NULL: everyone'),
    sa.Column('item_type', sa.String(length=30), autoincrement=False, nullable=True, comment='NULL: every item type'),
    sa.Column('loan_days', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('max_items', sa.Integer(), autoincrement=False, nullable=False, comment='Loans at once (of this item type; of all with item type NULL)'),
    sa.Column('max_renewals', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('holds_allowed', sa.Boolean(), server_default=sa.text('true'), autoincrement=False, nullable=False),
    sa.Column('max_overdue', sa.Integer(), server_default=sa.text('0'), autoincrement=False, nullable=False, comment='Overdue loans allowed before checkout is blocked'),
    sa.Column('fine_per_day', sa.Numeric(precision=6, scale=2), server_default=sa.text('0'), autoincrement=False, nullable=False, comment='Off (0) by default: schools block instead'),
    sa.CheckConstraint('loan_days > 0 AND max_items >= 0 AND max_renewals >= 0 AND max_overdue >= 0 AND fine_per_day >= 0', name=op.f('ck_loan_rules_sane_rule')),
    sa.ForeignKeyConstraint(['school_id'], ['edfi.school.schoolid'], name=op.f('fk_loan_rules_school_id_school')),
    sa.PrimaryKeyConstraint('rule_id', name=op.f('pk_loan_rules')),
    schema='library',
    comment='Circulation rules: patron category x item type x school; the most specific wins'
    )
    op.create_index('ux_loan_rules_cell', 'loan_rules', [sa.literal_column('coalesce(school_id, 0)'), sa.literal_column("coalesce(patron_category, '')"), sa.literal_column("coalesce(item_type, '')")], unique=True, schema='library')
    op.create_table('settings',
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('barcode_scheme', sa.String(length=20), server_default=sa.text("'none'"), autoincrement=False, nullable=False, comment='none or codabar14 (mod-10 check digit)'),
    sa.Column('hold_shelf_days', sa.Integer(), server_default=sa.text('7'), autoincrement=False, nullable=False, comment='Days a held copy waits on the hold shelf'),
    sa.CheckConstraint("barcode_scheme IN ('none', 'codabar14')", name=op.f('ck_settings_barcode_scheme')),
    sa.ForeignKeyConstraint(['school_id'], ['edfi.school.schoolid'], name=op.f('fk_settings_school_id_school')),
    sa.PrimaryKeyConstraint('school_id', name=op.f('pk_settings')),
    schema='library',
    comment='Per-school library settings'
    )
    op.create_table('holds',
    sa.Column('hold_id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('resource_id', sa.Integer(), autoincrement=False, nullable=False, comment='The title held'),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=True, comment='Who is waiting (a student)'),
    sa.Column('staff_usi', sa.Integer(), autoincrement=False, nullable=True, comment='Who is waiting (staff)'),
    sa.Column('pickup_school_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='Where it will be picked up'),
    sa.Column('placed_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=20), server_default=sa.text("'waiting'"), autoincrement=False, nullable=False, comment='waiting, ready, filled, cancelled, expired'),
    sa.Column('item_id', sa.Integer(), autoincrement=False, nullable=True, comment='The copy pulled to the hold shelf'),
    sa.Column('ready_at', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True, comment='When the copy reached the hold shelf'),
    sa.Column('shelf_expires_on', sa.Date(), autoincrement=False, nullable=True, comment='Last day on the hold shelf'),
    sa.Column('not_needed_after', sa.Date(), autoincrement=False, nullable=True, comment='The hold lapses after this day'),
    sa.Column('closed_at', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True),
    sa.Column('request_id', sa.UUID(), autoincrement=False, nullable=True),
    sa.CheckConstraint("status IN ('waiting', 'ready', 'filled', 'cancelled', 'expired')", name=op.f('ck_holds_hold_status')),
    sa.CheckConstraint('(student_usi IS NULL) <> (staff_usi IS NULL)', name=op.f('ck_holds_one_patron')),
    sa.ForeignKeyConstraint(['item_id'], ['library.items.item_id'], name=op.f('fk_holds_item_id_items')),
    sa.ForeignKeyConstraint(['pickup_school_id'], ['edfi.school.schoolid'], name=op.f('fk_holds_pickup_school_id_school')),
    sa.ForeignKeyConstraint(['resource_id'], ['library.resources.resource_id'], name=op.f('fk_holds_resource_id_resources')),
    sa.ForeignKeyConstraint(['staff_usi'], ['edfi.staff.staffusi'], name=op.f('fk_holds_staff_usi_staff')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_holds_student_usi_student')),
    sa.PrimaryKeyConstraint('hold_id', name=op.f('pk_holds')),
    sa.UniqueConstraint('request_id', name=op.f('uq_holds_request_id')),
    schema='library',
    comment='Holds on a title, first come first served'
    )
    op.create_index('ix_holds_queue', 'holds', ['resource_id', 'placed_at'], unique=False, schema='library', postgresql_where=sa.text("status IN ('waiting', 'ready')"))
    op.create_index('ix_holds_student', 'holds', ['student_usi'], unique=False, schema='library')
    op.create_table('inventory_scans',
    sa.Column('scan_id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('inventory_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False, comment='Order on the shelf'),
    sa.Column('barcode', sa.String(length=32), autoincrement=False, nullable=False),
    sa.Column('item_id', sa.Integer(), autoincrement=False, nullable=True),
    sa.Column('scanned_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.Column('problem', sa.String(length=200), autoincrement=False, nullable=True, comment='Out of order, unknown barcode, checked out, ...'),
    sa.ForeignKeyConstraint(['inventory_id'], ['library.inventories.inventory_id'], name=op.f('fk_inventory_scans_inventory_id_inventories')),
    sa.ForeignKeyConstraint(['item_id'], ['library.items.item_id'], name=op.f('fk_inventory_scans_item_id_items')),
    sa.PrimaryKeyConstraint('scan_id', name=op.f('pk_inventory_scans')),
    schema='library',
    comment='One barcode scanned during an inventory'
    )
    op.create_index('ix_inventory_scans_inventory', 'inventory_scans', ['inventory_id', 'seq'], unique=False, schema='library')
    op.create_table('overrides',
    sa.Column('override_id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=True),
    sa.Column('staff_usi', sa.Integer(), autoincrement=False, nullable=True),
    sa.Column('item_id', sa.Integer(), autoincrement=False, nullable=True),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('action', sa.String(length=20), autoincrement=False, nullable=False, comment='checkout or renew'),
    sa.Column('block_code', sa.String(length=40), autoincrement=False, nullable=False, comment='What was overridden'),
    sa.Column('reason', sa.Text(), autoincrement=False, nullable=False),
    sa.Column('approved_by', sa.String(length=100), server_default=sa.text('session_user'), autoincrement=False, nullable=False, comment="The librarian's sign-in"),
    sa.Column('at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.CheckConstraint('length(btrim(reason)) >= 3', name=op.f('ck_overrides_override_reason')),
    sa.ForeignKeyConstraint(['item_id'], ['library.items.item_id'], name=op.f('fk_overrides_item_id_items')),
    sa.ForeignKeyConstraint(['staff_usi'], ['edfi.staff.staffusi'], name=op.f('fk_overrides_staff_usi_staff')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_overrides_student_usi_student')),
    sa.PrimaryKeyConstraint('override_id', name=op.f('pk_overrides')),
    schema='library',
    comment='Blocks a librarian overrode, with the reason'
    )
    op.create_table('sync_conflicts',
    sa.Column('conflict_id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.UUID(), autoincrement=False, nullable=False, comment="The journal entry's id"),
    sa.Column('kind', sa.String(length=30), autoincrement=False, nullable=False, comment='already_out, hold_placed, unknown_item, ...'),
    sa.Column('action', sa.String(length=20), autoincrement=False, nullable=False, comment='checkout, checkin or renew'),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=True),
    sa.Column('item_id', sa.Integer(), autoincrement=False, nullable=True),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('workstation', sa.String(length=100), autoincrement=False, nullable=True),
    sa.Column('recorded_at', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=False, comment='When the desk recorded it offline'),
    sa.Column('detected_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.Column('offline_side', postgresql.JSONB(astext_type=sa.Text()), autoincrement=False, nullable=False, comment='What the desk recorded'),
    sa.Column('server_side', postgresql.JSONB(astext_type=sa.Text()), autoincrement=False, nullable=False, comment='What the database held when it arrived'),
    sa.Column('resolved_at', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True),
    sa.Column('resolved_by', sa.String(length=100), autoincrement=False, nullable=True),
    sa.Column('resolution', sa.Text(), autoincrement=False, nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['library.items.item_id'], name=op.f('fk_sync_conflicts_item_id_items')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_sync_conflicts_student_usi_student')),
    sa.PrimaryKeyConstraint('conflict_id', name=op.f('pk_sync_conflicts')),
    sa.UniqueConstraint('request_id', name=op.f('uq_sync_conflicts_request_id')),
    schema='library',
    comment='Offline circulation that could not be applied as recorded: for review'
    )
    op.create_table('textbook_assignments',
    sa.Column('assignment_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('resource_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('localcoursecode', sa.String(length=60), autoincrement=False, nullable=False),
    sa.Column('schoolid', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('schoolyear', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('sectionidentifier', sa.String(length=255), autoincrement=False, nullable=False),
    sa.Column('sessionname', sa.String(length=60), autoincrement=False, nullable=False),
    sa.Column('assigned_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['localcoursecode', 'schoolid', 'schoolyear', 'sectionidentifier', 'sessionname'], ['edfi.section.localcoursecode', 'edfi.section.schoolid', 'edfi.section.schoolyear', 'edfi.section.sectionidentifier', 'edfi.section.sessionname'], name=op.f('fk_textbook_assignments_localcoursecode_schoolid_schoolyear_sectionidentifier_sessionname_section')),
    sa.ForeignKeyConstraint(['resource_id'], ['library.resources.resource_id'], name=op.f('fk_textbook_assignments_resource_id_resources')),
    sa.PrimaryKeyConstraint('assignment_id', name=op.f('pk_textbook_assignments')),
    schema='library',
    comment='A textbook title every student of a section should have'
    )
    op.add_column('checkouts', sa.Column('item_id', sa.Integer(), autoincrement=False, nullable=True, comment='The copy borrowed'), schema='library')
    op.add_column('checkouts', sa.Column('staff_usi', sa.Integer(), autoincrement=False, nullable=True, comment='Borrower (a teacher: class sets)'), schema='library')
    op.add_column('checkouts', sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=True, comment='The school whose desk lent it'), schema='library')
    op.add_column('checkouts', sa.Column('checked_out_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False, comment="When borrowed (desk's clock)"), schema='library')
    op.add_column('checkouts', sa.Column('returned_at', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True, comment='When checked in'), schema='library')
    op.add_column('checkouts', sa.Column('days_late', sa.Integer(), autoincrement=False, nullable=True, comment='Days past due at check-in'), schema='library')
    op.add_column('checkouts', sa.Column('checkin_school_id', sa.BigInteger(), autoincrement=False, nullable=True, comment='The school that checked it in'), schema='library')
    op.add_column('checkouts', sa.Column('request_id', sa.UUID(), autoincrement=False, nullable=True, comment="The desk's id of the checkout (repeat-proof, offline sync)"), schema='library')
    op.add_column('checkouts', sa.Column('renew_request_id', sa.UUID(), autoincrement=False, nullable=True, comment="The desk's id of the last renewal (repeat-proof)"), schema='library')
    op.alter_column('checkouts', 'student_usi',
               existing_type=sa.INTEGER(),
               nullable=True,
               comment='Borrower (a student)',
               existing_comment='Borrower',
               schema='library')
    op.create_index('ix_checkouts_due_open', 'checkouts', ['school_id', 'due_date'], unique=False, schema='library', postgresql_where=sa.text('return_date IS NULL'))
    op.create_index('ix_checkouts_staff_open', 'checkouts', ['staff_usi'], unique=False, schema='library', postgresql_where=sa.text('return_date IS NULL'))
    op.create_index('ix_checkouts_student_open', 'checkouts', ['student_usi'], unique=False, schema='library', postgresql_where=sa.text('return_date IS NULL'))
    op.create_unique_constraint(op.f('uq_checkouts_request_id'), 'checkouts', ['request_id'], schema='library')
    op.create_index('ux_checkouts_open_item', 'checkouts', ['item_id'], unique=True, schema='library', postgresql_where=sa.text('return_date IS NULL'))
    op.create_foreign_key(op.f('fk_checkouts_item_id_items'), 'checkouts', 'items', ['item_id'], ['item_id'], source_schema='library', referent_schema='library')
    op.create_foreign_key(op.f('fk_checkouts_school_id_school'), 'checkouts', 'school', ['school_id'], ['schoolid'], source_schema='library', referent_schema='edfi')
    op.create_foreign_key(op.f('fk_checkouts_staff_usi_staff'), 'checkouts', 'staff', ['staff_usi'], ['staffusi'], source_schema='library', referent_schema='edfi')
    op.add_column('resources', sa.Column('added_authors', sa.Text(), autoincrement=False, nullable=True, comment='Added entries (MARC 700)'), schema='library')
    op.add_column('resources', sa.Column('audience', sa.String(length=200), autoincrement=False, nullable=True, comment='Target audience (MARC 521)'), schema='library')
    op.add_column('resources', sa.Column('reading_program', sa.String(length=200), autoincrement=False, nullable=True, comment='Reading program and level (MARC 526)'), schema='library')
    op.add_column('resources', sa.Column('control_number', sa.String(length=50), autoincrement=False, nullable=True, comment='MARC 001 of the imported record'), schema='library')
    op.create_index('ix_resources_isbn', 'resources', ['isbn'], unique=False, schema='library')
    op.execute(EXISTING_DATA_SQL)
    op.alter_column('checkouts', 'item_id', nullable=False, schema='library')
    op.alter_column('checkouts', 'school_id', nullable=False, schema='library')
    op.execute(COUNTS_SQL)
    op.execute(SECURITY_SQL)
    op.execute(FUNCTIONS_SQL)


def downgrade() -> None:
    op.execute(DOWNGRADE_SQL)
    op.drop_index('ix_resources_isbn', table_name='resources', schema='library')
    op.drop_column('resources', 'control_number', schema='library')
    op.drop_column('resources', 'reading_program', schema='library')
    op.drop_column('resources', 'audience', schema='library')
    op.drop_column('resources', 'added_authors', schema='library')
    op.drop_constraint(op.f('fk_checkouts_staff_usi_staff'), 'checkouts', schema='library', type_='foreignkey')
    op.drop_constraint(op.f('fk_checkouts_school_id_school'), 'checkouts', schema='library', type_='foreignkey')
    op.drop_constraint(op.f('fk_checkouts_item_id_items'), 'checkouts', schema='library', type_='foreignkey')
    op.drop_index('ux_checkouts_open_item', table_name='checkouts', schema='library', postgresql_where=sa.text('return_date IS NULL'))
    op.drop_constraint(op.f('uq_checkouts_request_id'), 'checkouts', schema='library', type_='unique')
    op.drop_index('ix_checkouts_student_open', table_name='checkouts', schema='library', postgresql_where=sa.text('return_date IS NULL'))
    op.drop_index('ix_checkouts_staff_open', table_name='checkouts', schema='library', postgresql_where=sa.text('return_date IS NULL'))
    op.drop_index('ix_checkouts_due_open', table_name='checkouts', schema='library', postgresql_where=sa.text('return_date IS NULL'))
    op.alter_column('checkouts', 'student_usi',
               existing_type=sa.INTEGER(),
               nullable=False,
               comment='Borrower',
               existing_comment='Borrower (a student)',
               schema='library')
    op.drop_column('checkouts', 'request_id', schema='library')
    op.drop_column('checkouts', 'renew_request_id', schema='library')
    op.drop_column('checkouts', 'checkin_school_id', schema='library')
    op.drop_column('checkouts', 'days_late', schema='library')
    op.drop_column('checkouts', 'returned_at', schema='library')
    op.drop_column('checkouts', 'checked_out_at', schema='library')
    op.drop_column('checkouts', 'school_id', schema='library')
    op.drop_column('checkouts', 'staff_usi', schema='library')
    op.drop_column('checkouts', 'item_id', schema='library')
    op.drop_table('textbook_assignments', schema='library')
    op.drop_table('sync_conflicts', schema='library')
    op.drop_table('overrides', schema='library')
    op.drop_index('ix_inventory_scans_inventory', table_name='inventory_scans', schema='library')
    op.drop_table('inventory_scans', schema='library')
    op.drop_index('ix_holds_student', table_name='holds', schema='library')
    op.drop_index('ix_holds_queue', table_name='holds', schema='library', postgresql_where=sa.text("status IN ('waiting', 'ready')"))
    op.drop_table('holds', schema='library')
    op.drop_table('settings', schema='library')
    op.drop_index('ux_loan_rules_cell', table_name='loan_rules', schema='library')
    op.drop_table('loan_rules', schema='library')
    op.drop_index('ix_items_school_call_number', table_name='items', schema='library')
    op.drop_index('ix_items_resource_id', table_name='items', schema='library')
    op.drop_table('items', schema='library')
    op.drop_table('inventories', schema='library')
