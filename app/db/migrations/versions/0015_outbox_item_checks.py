"""Staff may queue only the DynamoDB records their own desks write

Until now any staff login could INSERT any item into sync.dynamo_outbox: a cashier could put a
made-up discipline entry on any student's timeline, a family notice for a student she does not
serve, or a sign-in event in another person's name. The outbox stays add-only (0008) and is now
also checked, once per statement (a transition table, so a 35-student roster save pays one query):

- `sync.outbox_writers` lists which group role may queue which kind of record (the timeline's
  ActivityType, a notice's Type, a SystemEvents EventType). A desk that adds a kind adds its row
  here in its own migration; an unlisted kind is refused.
- A timeline record or notice names a student the writer can see (row-level security decides),
  its keys agree with its StudentUniqueId and Timestamp, its Actor is the writer's own staff id or
  login (or empty), and it
  is not dated in the future.
- A UserSessions item is the writer's own session; no item is larger than 64 KB.
The schema owner and the functions it owns (migrations, the demo load, audited SECURITY DEFINER
functions) are trusted and not checked.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

STAFF = ("so_front_office", "so_teacher", "so_dean", "so_nurse", "so_cashier", "so_librarian",
         "so_transportation", "so_registrar", "so_admin")
ATTENDANCE = ("so_teacher", "so_front_office", "so_dean", "so_registrar", "so_admin")
OFFICE = ("so_front_office", "so_registrar", "so_admin")
WRITERS = (
    [("StudentActivityLogs", "attendance.marked", r) for r in ATTENDANCE]
    + [("NotificationQueue", "absence", r) for r in ATTENDANCE]
    + [("StudentActivityLogs", k, r) for k in ("discipline.incident", "discipline.action", "discipline.corrected")
       for r in ("so_dean", "so_admin")]
    + [("StudentActivityLogs", k, r) for k in ("enrollment.registered", "enrollment.enrolled",
                                                "enrollment.withdrawn", "schedule.added", "schedule.dropped")
       for r in OFFICE]
    # failed sign-ins and lock-outs wait on the workstation until somebody signs in, who sends them
    + [("SystemEvents", k, r) for k in ("sign_in.failed", "sign_in.locked_out") for r in STAFF]
    + [("SystemEvents", k, "so_admin") for k in ("login.created", "login.disabled", "login.enabled")]
    + [("SystemEvents", "outbox.dead_lettered", "so_shipper")]
)

UPGRADE_SQL = """
CREATE TABLE sync.outbox_writers (
    target_table varchar(64) NOT NULL,
    kind varchar(64) NOT NULL,
    writer_role varchar(63) NOT NULL,
    CONSTRAINT pk_outbox_writers PRIMARY KEY (target_table, kind, writer_role)
);
COMMENT ON TABLE sync.outbox_writers IS
    'Which group role may queue which kind of DynamoDB record (ActivityType, notice Type, EventType)';
GRANT SELECT ON sync.outbox_writers TO {readers};

-- The staff id a desk records as a change's Actor: the signed-in person's own, nobody else's.
CREATE FUNCTION compliance.my_staff_unique_id() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT st.staffuniqueid FROM edfi.staff st WHERE st.loginid = (session_user::text COLLATE "default")
             ORDER BY st.staffusi LIMIT 1);
END;
$$;
REVOKE ALL ON FUNCTION compliance.my_staff_unique_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION compliance.my_staff_unique_id() TO {readers};

CREATE FUNCTION sync.check_queued_items() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    allowed text[];
    me text;
    bad record;
BEGIN
    IF pg_catalog.pg_has_role(current_user, (SELECT c.relowner FROM pg_catalog.pg_class c
                                              WHERE c.oid = 'sync.dynamo_outbox'::pg_catalog.regclass), 'MEMBER') THEN
        RETURN NULL;  -- the owner: migrations, the demo load, its own audited functions
    END IF;
    allowed := ARRAY(SELECT w.target_table || '/' || w.kind FROM sync.outbox_writers w
                      WHERE pg_catalog.pg_has_role(current_user, w.writer_role, 'MEMBER'));
    me := coalesce(compliance.my_staff_unique_id(), session_user::text);
    SELECT n.target_table, coalesce(n.item ->> 'PK', n.item ->> 'SessionId') AS key INTO bad
      FROM queued n
      LEFT JOIN edfi.student s  -- under the writer's row-level security: only students they can see
        ON n.target_table IN ('StudentActivityLogs', 'NotificationQueue')
       AND s.studentuniqueid = n.item ->> 'StudentUniqueId'
     WHERE NOT coalesce(pg_catalog.pg_column_size(n.item) <= 65536 AND CASE n.target_table
        WHEN 'StudentActivityLogs' THEN
                n.target_table || '/' || (n.item ->> 'ActivityType') = ANY (allowed)
            AND s.studentusi IS NOT NULL
            AND n.item ->> 'PK' = 'STUDENT#' || (n.item ->> 'StudentUniqueId')
            AND n.item ->> 'GSI1SK' = n.item ->> 'PK'
            AND n.item ->> 'GSI1PK' = 'DATE#' || left(n.item ->> 'Timestamp', 10)
            AND starts_with(n.item ->> 'SK', 'ACTIVITY#' || (n.item ->> 'Timestamp') || '#')
            AND (n.item ->> 'Timestamp') <= to_char(now() AT TIME ZONE 'UTC' + interval '1 hour',
                                                    'YYYY-MM-DD"T"HH24:MI:SS')
            AND coalesce(n.item ->> 'Actor', me) IN (me, session_user::text)
        WHEN 'NotificationQueue' THEN
                n.target_table || '/' || (n.item ->> 'Type') = ANY (allowed)
            AND s.studentusi IS NOT NULL
        WHEN 'SystemEvents' THEN
                n.target_table || '/' || (n.item ->> 'EventType') = ANY (allowed)
            AND starts_with(n.item ->> 'PK', 'STREAM#')
        WHEN 'UserSessions' THEN n.item ->> 'UserId' = session_user::text
        ELSE false END, false)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'School Office refused a % record (%): this login may not queue it', bad.target_table, bad.key
            USING ERRCODE = '42501';
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION sync.check_queued_items() FROM PUBLIC;
CREATE TRIGGER check_queued_items AFTER INSERT ON sync.dynamo_outbox
    REFERENCING NEW TABLE AS queued FOR EACH STATEMENT EXECUTE FUNCTION sync.check_queued_items();
"""


def upgrade() -> None:
    op.execute(UPGRADE_SQL.format(readers=", ".join(STAFF + ("so_shipper",))))
    values = ", ".join(f"('{t}', '{k}', '{r}')" for t, k, r in WRITERS)
    op.execute(f"INSERT INTO sync.outbox_writers (target_table, kind, writer_role) VALUES {values}")


def downgrade() -> None:
    op.execute("DROP TRIGGER check_queued_items ON sync.dynamo_outbox")
    op.execute("DROP FUNCTION sync.check_queued_items()")
    op.execute("DROP FUNCTION compliance.my_staff_unique_id()")
    op.execute("DROP TABLE sync.outbox_writers")
