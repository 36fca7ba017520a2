"""Descriptor ids for one user action, by type and code value, with a sentence for a bad code."""

from __future__ import annotations

from sqlalchemy import Connection, text

from app.errors import UserError


class DescriptorIds:
    """Looks up each descriptor type once per action (a handful of small queries, cached)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.cache: dict[str, dict[str, int]] = {}

    def get(self, type_name: str, code: str, field_name: str) -> int:
        if type_name not in self.cache:
            self.cache[type_name] = dict(self.conn.execute(text(
                "SELECT codevalue, descriptorid FROM edfi.descriptor WHERE discriminator = :t"),
                {"t": f"edfi.{type_name}"}).all())
        if code not in self.cache[type_name]:
            raise UserError(f"{field_name} \"{code}\" is not on the list; pick one from the list.")
        return self.cache[type_name][code]
