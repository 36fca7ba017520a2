"""The transactional outbox for DynamoDB-bound records.

Services insert a row here in the same transaction as the business change; the shipper
(app/sync/shipper.py) delivers rows to DynamoDB in batches and deletes them once DynamoDB has
accepted them. The item carries its final key, so a redelivery overwrites the same item.

Staff roles may only insert (target_table, item); the shipper (the owner, or a member of
so_shipper) reads, marks and deletes; sync.outbox_summary() gives anyone the counts (0008).
"""

from sqlalchemy import Index

from app.db.dsl import C, table

dynamo_outbox = table(
    "sync", "dynamo_outbox", "Records waiting to be written to DynamoDB (transactional outbox)",
    C("outbox_id", "BIGSERIAL"),
    C("target_table", "VARCHAR(64)", nn=True, comment="DynamoDB table name, e.g. StudentActivityLogs"),
    C("item", "JSONB", nn=True, comment="The item with its final PK/SK, in plain JSON"),
    C("created_at", "TIMESTAMPTZ", nn=True, default="now()"),
    C("attempts", "INT", nn=True, default="0", comment="Delivery attempts so far"),
    C("next_attempt_at", "TIMESTAMPTZ", nn=True, default="now()", comment="Back-off: not before this time"),
    C("last_error", "TEXT", comment="Why the last attempt failed"),
    C("rejections", "INT", nn=True, default="0", comment="Times DynamoDB refused this very item"),
    C("dead_lettered_at", "TIMESTAMPTZ",
      comment="Set aside after repeated refusals: no longer sent, shown by school-office-admin status"),
    # ck_dynamo_outbox_item_key (0008): a known table and a non-empty string key; not compared by Alembic.
    pk=("outbox_id",),
)
Index("ix_dynamo_outbox_next_attempt_at", dynamo_outbox.c.next_attempt_at)

outbox_writers = table(
    "sync", "outbox_writers",
    "Which group role may queue which kind of DynamoDB record (ActivityType, notice Type, EventType)",
    C("target_table", "VARCHAR(64)", nn=True),
    C("kind", "VARCHAR(64)", nn=True),
    C("writer_role", "VARCHAR(63)", nn=True),
    pk=("target_table", "kind", "writer_role"),
)
