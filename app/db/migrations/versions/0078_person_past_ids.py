"""The Ed-Fi unique ids a OneRoster user has given up (issue #15)

Ed-Fi knows a person by their unique id alone. When an import changes a user's identifier, Ed-Fi gets the new id as a
new person and the old id keeps its records (enrollments, attendance, the DynamoDB timeline keyed by it). Until now
nothing remembered whose the old id had been, so a later package could give it to a new user, who would then take
over the first person's Ed-Fi record and history. The import now records each id a user gives up here, and its checks
refuse a package that gives such an id to anyone else (app/services/interchange: Validator._db_person_ids and
SqlValidator._sql_db_person_ids). A user who takes their own old id back frees the row.

Only the schema owner (the import) writes it; administrators read it, for the Import tab's check. Ids given up
before this revision were not recorded anywhere and cannot be filled in.
Tests: tests/integration/test_oneroster_past_ids.py.

Revision ID: 0078
Revises: 0077
Create Date: 2026-12-04
"""
from alembic import op

revision = "0078"
down_revision = "0077"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE compliance.person_past_ids (
    unique_id text NOT NULL,
    user_sourced_id varchar(255) NOT NULL,
    given_up timestamp NOT NULL,
    CONSTRAINT pk_person_past_ids PRIMARY KEY (unique_id)
);
COMMENT ON TABLE compliance.person_past_ids IS
    'Ed-Fi unique ids OneRoster users have given up (their records stay under them): no one else may be given one';
ALTER TABLE compliance.person_past_ids ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators_read ON compliance.person_past_ids FOR SELECT TO so_admin USING (true);
GRANT SELECT ON compliance.person_past_ids TO so_admin;
SELECT compliance.attach_audit('compliance.person_past_ids');
""")


def downgrade() -> None:
    op.execute("DROP TABLE compliance.person_past_ids")
