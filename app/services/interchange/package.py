"""Reading an interchange package (a zip or a folder) and the problems found in it."""

from __future__ import annotations

import csv
import io
import logging
import zipfile
import zlib
from dataclasses import dataclass, asdict
from pathlib import Path

from app.errors import UserError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    """One defect: where (file, row with the header as row 1, column) and one sentence."""
    file: str
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = self.file + (f", row {self.row}" if self.row else "") + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class Package:
    """The files of a package by name, read from a zip or a folder (files at the root)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._files: dict[str, bytes] = {}
        if self.path.is_dir():
            for p in sorted(self.path.iterdir()):
                if p.is_file():
                    self._files[p.name] = p.read_bytes()
        elif self.path.is_file() and zipfile.is_zipfile(self.path):
            self._read_zip()
        elif self.path.exists():
            raise UserError(f"{self.path} is neither a folder nor a zip file; give the package's folder or zip.")
        else:
            raise UserError(f"There is no file or folder {self.path}; check the path.")

    def _read_zip(self) -> None:
        where: dict[str, str] = {}
        with zipfile.ZipFile(self.path) as z:
            for info in z.infolist():
                if info.is_dir():
                    continue
                # files at the root; a zip made of a folder keeps them one level down
                name = info.filename.rsplit("/", 1)[-1]
                if name.startswith("._") or info.filename.startswith("__MACOSX/"):
                    continue  # macOS's resource forks beside each file, never package content
                if name in where:
                    raise UserError(f"The zip {self.path.name} holds {name} twice ({where[name]} and {info.filename}); "
                                    "make it again with one copy of each file.")
                where[name] = info.filename
                try:
                    self._files[name] = z.read(info)
                except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
                    log.info("%s: %s unreadable (%s)", self.path, info.filename, exc)
                    raise UserError(f"{info.filename} in the zip {self.path.name} cannot be read (the zip is damaged, "
                                    "encrypted or uses an unusual compression); make the zip again.") from None

    def names(self) -> list[str]:
        return list(self._files)

    def has(self, name: str) -> bool:
        return name in self._files

    def text(self, name: str) -> str:
        """UTF-8, with or without a byte-order mark. UnicodeDecodeError says where it is not."""
        return self._files[name].decode("utf-8-sig")

    def raw(self, name: str) -> bytes:
        return self._files[name]

    def size(self) -> int:
        return sum(len(b) for b in self._files.values())


def read_csv(text: str) -> list[list[str]]:
    """RFC 4180 records (quoted commas, quotes and line breaks; CRLF or LF; no final newline)."""
    return list(csv.reader(io.StringIO(text, newline=""), strict=True))
