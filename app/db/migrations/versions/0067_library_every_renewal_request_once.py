"""Every renewal request renews once, not only the last one (security review of session 8, LOW)

library.renew_loan (0064) returned without renewing when the request id was the loan's last renewal's
(`renew_request_id`): an older request sent again after a newer renewal (an offline journal entry held,
then replayed) renewed a second time. Every request id a renewal used is now kept in
library.renewal_requests (written by renew_loan only: row-level security on, no grants); a request id
seen before returns the loan's due date and renews nothing, and a request id of another loan's renewal
is refused.

Revision ID: 0067
Revises: 0066
Create Date: 2026-12-04
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0067"
down_revision = "0066"
branch_labels = None
depends_on = None


def _migration(name: str):
    spec = importlib.util.spec_from_file_location(f"_library_{name[:4]}", Path(__file__).with_name(name))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


_m0064 = _migration("0064_library_renewals_by_the_rules.py")
_RENEW = _m0064.BLOCKS_SQL[_m0064.BLOCKS_SQL.index("CREATE FUNCTION library.renew_loan("):
                           _m0064.BLOCKS_SQL.index("REVOKE ALL ON FUNCTION library.renew_loan(")]
_SEEN_OLD = """    IF p_request IS NOT NULL AND c.renew_request_id = p_request THEN
        RETURN c.due_date;  -- the same renewal sent again (a repeated submit, the offline journal's resend)
    END IF;
"""
_SEEN_NEW = """    IF p_request IS NOT NULL THEN  -- a renewal sent again (a repeated submit, the offline journal's resend)
        SELECT r.checkout_id INTO seen FROM library.renewal_requests r WHERE r.request_id = p_request;
        IF FOUND THEN
            IF seen <> p_checkout THEN
                RAISE EXCEPTION 'that request id was used by another renewal' USING ERRCODE = '23505';
            END IF;
            RETURN c.due_date;
        END IF;
    END IF;
"""
_KEEP_OLD = """     WHERE checkout_id = p_checkout;
    -- the blocks overridden"""
_KEEP_NEW = """     WHERE checkout_id = p_checkout;
    IF p_request IS NOT NULL THEN
        INSERT INTO library.renewal_requests (request_id, checkout_id) VALUES (p_request, p_checkout);
    END IF;
    -- the blocks overridden"""
for _o in (_SEEN_OLD, _KEEP_OLD, "    due date;\n"):
    assert _RENEW.count(_o) == 1, _o
RENEW_SQL = (_RENEW.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION").replace(_SEEN_OLD, _SEEN_NEW)
             .replace(_KEEP_OLD, _KEEP_NEW).replace("    due date;\n", "    due date;\n    seen bigint;\n"))

TABLE_SQL = """
CREATE TABLE library.renewal_requests (
    request_id uuid PRIMARY KEY,
    checkout_id bigint NOT NULL REFERENCES library.checkouts (checkout_id) ON DELETE CASCADE,
    renewed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_renewal_requests_checkout_id ON library.renewal_requests (checkout_id);
COMMENT ON TABLE library.renewal_requests IS 'Every request id a renewal used (migration 0067): a request sent again renews nothing; written by library.renew_loan only';
ALTER TABLE library.renewal_requests ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON library.renewal_requests FROM PUBLIC;
-- the renewals already made: their last request ids
INSERT INTO library.renewal_requests (request_id, checkout_id)
SELECT renew_request_id, checkout_id FROM library.checkouts WHERE renew_request_id IS NOT NULL
ON CONFLICT DO NOTHING;
"""


def upgrade() -> None:
    op.execute(TABLE_SQL)
    op.execute(RENEW_SQL)


def downgrade() -> None:
    op.execute(_RENEW.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    op.execute("DROP TABLE library.renewal_requests")
