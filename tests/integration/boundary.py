"""What the database grants on every table, read from the catalogs as the owner: the facts the
boundary test compares with tests/data/security_boundary.json."""

from __future__ import annotations

from sqlalchemy import Connection, text

SCHEMAS = ("edfi", "oneroster", "two_hour_learning", "health", "transportation", "specialed", "cafeteria", "library",
           "activities", "compliance", "sync", "grades")
# A table holds student (or family) data when it has one of these columns.
STUDENT_KEY_COLUMNS = ("studentusi", "student_usi", "student_id", "contactusi", "user_sourced_id",
                       "student_sourced_id")
# ... or it is one of these (keyed by the person's own sourcedId).
STUDENT_TABLES_BY_NAME = ("oneroster.users", "oneroster.demographics")

_TABLES = """
SELECT n.nspname || '.' || c.relname AS name, c.oid, c.relrowsecurity,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
               AND a.attname = ANY (CAST(:keys AS text[]))) AS keyed,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
       EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname IN ('audit_upd', 'audit_row')) AS audited,
       ARRAY(SELECT DISTINCT r.rolname::text FROM (
                 SELECT (aclexplode(c.relacl)).grantee
                 UNION ALL
                 SELECT (aclexplode(a.attacl)).grantee FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attacl IS NOT NULL
             ) g JOIN pg_roles r ON r.oid = g.grantee
             WHERE r.rolname LIKE 'so\\_%' ORDER BY 1) AS grantees
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition AND n.nspname = ANY (CAST(:schemas AS text[]))
 ORDER BY 1
"""


def table_facts(conn: Connection) -> list[dict]:
    rows = conn.execute(text(_TABLES), {"keys": list(STUDENT_KEY_COLUMNS), "schemas": list(SCHEMAS)}).mappings()
    out = []
    for r in rows:
        d = dict(r)
        d["keyed"] = d["keyed"] or d["name"] in STUDENT_TABLES_BY_NAME
        out.append(d)
    return out
