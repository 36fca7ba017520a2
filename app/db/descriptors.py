"""Loading and looking up Ed-Fi descriptors.

The default descriptors ship as the Ed-Fi 5.2 XML files in resources/edfi/descriptors. Loading is
idempotent: a (namespace, codevalue) already present is left as it is. Code never hard-codes a
descriptor id; it asks for one by URI or by (type, code value).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from sqlalchemy import Connection, Engine, select, text

from app.db.models.edfi_descriptors import DESCRIPTOR_TABLES, descriptor

DESCRIPTOR_DIR = Path(__file__).resolve().parents[2] / "resources" / "edfi" / "descriptors"
ED_FI_XML_NS = "http://ed-fi.org/5.2.0"


@dataclass(frozen=True)
class DescriptorValue:
    type_name: str  # e.g. "GradeLevelDescriptor"
    namespace: str
    code_value: str
    short_description: str
    description: str | None

    @property
    def uri(self) -> str:
        return f"{self.namespace}#{self.code_value}"


def parse_descriptor_file(path: Path) -> list[DescriptorValue]:
    root = ET.parse(path).getroot()
    out = []
    for el in root:
        type_name = el.tag.split("}", 1)[-1]

        def field(name: str, el=el) -> str | None:
            child = el.find(f"{{{ED_FI_XML_NS}}}{name}")
            return child.text.strip() if child is not None and child.text else None

        out.append(DescriptorValue(type_name, field("Namespace"), field("CodeValue"),
                                   field("ShortDescription") or field("CodeValue"), field("Description")))
    return out


def default_descriptor_files() -> list[Path]:
    return sorted(DESCRIPTOR_DIR.glob("*.xml"))


def load_descriptors(conn: Connection, values: Iterable[DescriptorValue]) -> int:
    """Insert descriptor values not yet present (by namespace and code value); returns how many were added."""
    added = 0
    by_type: dict[str, list[DescriptorValue]] = {}
    for v in values:
        by_type.setdefault(v.type_name, []).append(v)
    for type_name, vals in by_type.items():
        type_table = DESCRIPTOR_TABLES.get(type_name)
        if type_table is None:
            raise ValueError(f"unknown descriptor type {type_name}")
        id_col = type_table.c[f"{type_name.lower()}id"]
        rows = conn.execute(
            text(
                "INSERT INTO edfi.descriptor (namespace, codevalue, shortdescription, description, discriminator) "
                "SELECT * FROM unnest(CAST(:ns AS text[]), CAST(:cv AS text[]), CAST(:sd AS text[]), "
                "CAST(:d AS text[]), CAST(:disc AS text[])) "
                "ON CONFLICT (namespace, codevalue) DO NOTHING RETURNING descriptorid"
            ),
            {
                "ns": [v.namespace for v in vals],
                "cv": [v.code_value for v in vals],
                "sd": [v.short_description[:75] for v in vals],
                "d": [v.description for v in vals],
                "disc": [f"edfi.{type_name}" for v in vals],
            },
        ).scalars().all()
        if rows:
            conn.execute(type_table.insert(), [{id_col.name: r} for r in rows])
        added += len(rows)
    return added


def load_default_descriptors(engine: Engine) -> dict[str, int]:
    files = default_descriptor_files()
    values = [v for f in files for v in parse_descriptor_file(f)]
    with engine.begin() as conn:
        added = load_descriptors(conn, values)
    return {"files": len(files), "values": len(values), "added": added}


class DescriptorLookup:
    """Resolves descriptor ids by type and code value, cached per connection's lifetime of use."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._cache: dict[str, dict[str, int]] = {}

    def preload(self) -> DescriptorLookup:
        """Read every descriptor at once (a few thousand rows), so later look-ups run no query,
        e.g. while a COPY is streaming on the same connection."""
        rows = self._conn.execute(select(descriptor.c.discriminator, descriptor.c.codevalue,
                                         descriptor.c.descriptorid)).all()
        for disc, code, did in rows:
            self._cache.setdefault(disc.removeprefix("edfi."), {})[code] = did
        return self

    def ids(self, type_name: str) -> dict[str, int]:
        if type_name not in self._cache:
            rows = self._conn.execute(
                select(descriptor.c.codevalue, descriptor.c.descriptorid).where(
                    descriptor.c.discriminator == f"edfi.{type_name}"
                )
            ).all()
            if not rows:
                raise LookupError(f"no {type_name} values are loaded; run school-office-admin migrate")
            self._cache[type_name] = {code: did for code, did in rows}
        return self._cache[type_name]

    def id(self, type_name: str, code_value: str) -> int:
        try:
            return self.ids(type_name)[code_value]
        except KeyError:
            raise LookupError(f"{type_name} has no code value {code_value!r}") from None
