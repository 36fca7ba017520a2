"""A compact way to declare the ~340 tables of the schema.

Every table of the design document and of Ed-Fi 5.2 is declared as one `table(...)` call whose
column lines read like the DDL they came from: `C("schoolid", "BIGINT", nn=True, comment=...)`.
The result is an ordinary SQLAlchemy `Table` in the shared MetaData, so Alembic compares and
migrates it like any other, and services use SQLAlchemy Core against it.

Ed-Fi conventions are applied here once rather than repeated in 340 places:
root tables (`kind="root"`) get Discriminator, CreateDate, LastModifiedDate and Id;
child/collection tables (`kind="child"`) get CreateDate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB, MONEY, TIMESTAMP, UUID
from sqlalchemy.types import TypeEngine

from app.db.base import metadata

UTC_NOW = text("(now() AT TIME ZONE 'utc')")

_SIMPLE_TYPES: dict[str, TypeEngine] = {
    "INT": Integer(),
    "INTEGER": Integer(),
    "SERIAL": Integer(),
    "SMALLINT": SmallInteger(),
    "BIGINT": BigInteger(),
    "BIGSERIAL": BigInteger(),
    "BOOLEAN": Boolean(),
    "DATE": Date(),
    "TIME": Time(),
    "TIMESTAMP": TIMESTAMP(),
    "TIMESTAMPTZ": TIMESTAMP(timezone=True),
    "TEXT": Text(),
    "JSONB": JSONB(),
    "UUID": UUID(as_uuid=True),
    "INET": INET(),
    "MONEY": MONEY(),
    "TEXT[]": ARRAY(Text()),
}


def sql_type(spec: str) -> TypeEngine:
    """Turn a DDL type such as 'VARCHAR(60)' or 'DECIMAL(9, 3)' into a SQLAlchemy type."""
    spec = spec.strip().upper()
    if spec in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[spec]
    m = re.fullmatch(r"VARCHAR\((\d+)\)", spec)
    if m:
        return String(int(m.group(1)))
    m = re.fullmatch(r"(?:DECIMAL|NUMERIC)\((\d+),\s*(\d+)\)", spec)
    if m:
        return Numeric(int(m.group(1)), int(m.group(2)))
    raise ValueError(f"unknown column type {spec!r}")


class C:
    """One column line: name, DDL type, nullability, default and the design document's comment."""

    def __init__(
        self,
        name: str,
        type_: str,
        nn: bool = False,
        default: str | None = None,
        comment: str | None = None,
        unique: bool = False,
    ) -> None:
        self.name = name
        self.type_ = type_
        self.nn = nn
        self.default = default
        self.comment = comment
        self.unique = unique

    def build(self, pk_cols: set[str]) -> Column:
        serial = self.type_.upper() in ("SERIAL", "BIGSERIAL")
        is_pk = self.name in pk_cols
        return Column(
            self.name,
            sql_type(self.type_),
            primary_key=is_pk,
            nullable=not (self.nn or is_pk),
            autoincrement=True if (serial and is_pk) else False,
            server_default=text(self.default) if self.default is not None else None,
            comment=self.comment,
            unique=self.unique or None,
        )


class FK:
    """A (possibly composite) foreign key: local columns -> 'schema.table' (target columns)."""

    def __init__(self, cols: Iterable[str], target: str, target_cols: Iterable[str] | None = None,
                 ondelete: str | None = None) -> None:
        self.cols = tuple(cols)
        self.target = target
        self.target_cols = tuple(target_cols) if target_cols is not None else self.cols
        self.ondelete = ondelete

    def build(self) -> ForeignKeyConstraint:
        return ForeignKeyConstraint(
            list(self.cols),
            [f"{self.target}.{c}" for c in self.target_cols],
            ondelete=self.ondelete,
        )


class IX:
    """A secondary index; `expr` lets the caller pass SQL expressions (e.g. lower(name))."""

    def __init__(self, name: str, *cols, unique: bool = False, **dialect_kw) -> None:
        self.name = name
        self.cols = cols
        self.unique = unique
        self.dialect_kw = dialect_kw


class UQ:
    def __init__(self, *cols: str) -> None:
        self.cols = cols


class CK:
    def __init__(self, sql: str, name: str) -> None:
        self.sql = sql
        self.name = name


def _standard_columns(kind: str, present: set[str]) -> list[C]:
    extra: list[C] = []
    if kind == "root":
        if "discriminator" not in present:
            extra.append(C("discriminator", "VARCHAR(128)"))
        if "createdate" not in present:
            extra.append(C("createdate", "TIMESTAMP", nn=True, default="(now() AT TIME ZONE 'utc')"))
        if "lastmodifieddate" not in present:
            extra.append(C("lastmodifieddate", "TIMESTAMP", nn=True, default="(now() AT TIME ZONE 'utc')"))
        if "id" not in present:
            extra.append(C("id", "UUID", nn=True, default="gen_random_uuid()"))
    elif kind == "child":
        if "createdate" not in present:
            extra.append(C("createdate", "TIMESTAMP", nn=True, default="(now() AT TIME ZONE 'utc')"))
    return extra


def table(
    schema: str,
    name: str,
    comment: str | None,
    *items: C | FK | IX | UQ | CK,
    pk: Iterable[str] = (),
    kind: str = "plain",
    **table_kw,
) -> Table:
    """Declare one table in the shared MetaData (see module docstring)."""
    cols = [i for i in items if isinstance(i, C)]
    for c in cols:
        if c.default == "CURRENT_TIMESTAMP":
            c.default = "CURRENT_TIMESTAMP"
    cols += _standard_columns(kind, {c.name for c in cols})
    pk_cols = tuple(pk)
    pk_set = set(pk_cols)
    args: list = [c.build(pk_set) for c in cols]
    # An explicit PrimaryKeyConstraint keeps the declared key order (Ed-Fi orders keys by name).
    if pk_cols:
        args.append(PrimaryKeyConstraint(*pk_cols))
    for i in items:
        if isinstance(i, FK):
            args.append(i.build())
        elif isinstance(i, UQ):
            args.append(UniqueConstraint(*i.cols))
        elif isinstance(i, CK):
            args.append(CheckConstraint(i.sql, name=i.name))
    t = Table(name, metadata, *args, schema=schema, comment=comment, **table_kw)
    for i in items:
        if isinstance(i, IX):
            cols_or_exprs = [t.c[c] if isinstance(c, str) else c for c in i.cols]
            Index(i.name, *cols_or_exprs, unique=i.unique, **i.dialect_kw)
    return t
