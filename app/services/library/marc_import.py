"""MARC21 import: binary ISO 2709 and MARCXML, MARC-8 and UTF-8 records (marc_records.py).

Each record becomes a title (library.resources) and its copies (library.items, from 852 or
952 $p). A record whose ISBN the catalogue already holds adds copies to that title. A record that
cannot be loaded (no title, a wrong ISBN check digit, a bad or duplicate barcode, bytes that are
not MARC) is reported with its position (record number and byte offset) and the reason; the
good ones are loaded, all in the caller's one transaction.
"""

from __future__ import annotations

import io
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import Connection, text

from app.domain.library_codes import barcode_problem, isbn10_to_13, isbn_digits, isbn_problem
from app.domain.xml_words import plain_reason
from app.services.library.marc_records import MARCXML_NS, MarcError, Record, read_binary, read_xml

END_OF_RECORD = b"\x1d"


@dataclass(frozen=True)
class CopyData:
    barcode: str
    call_number: str | None
    location: str | None
    item_type: str
    price: Decimal | None


@dataclass(frozen=True)
class TitleData:
    title: str
    author: str | None
    added_authors: str | None
    isbn: str | None
    call_number: str | None
    publisher: str | None
    year: int | None
    audience: str | None
    reading_program: str | None
    control_number: str | None
    resource_type: str
    copies: tuple[CopyData, ...]


@dataclass(frozen=True)
class Rejected:
    position: int      # record number in the file, from 1
    offset: int | None  # byte offset of the record (binary files)
    control_number: str | None
    reason: str

    def describe(self) -> str:
        where = f"record {self.position}" + (f" (byte {self.offset})" if self.offset is not None else "")
        ident = f", 001 {self.control_number}" if self.control_number else ""
        return f"{where}{ident}: {self.reason}"


@dataclass
class ImportReport:
    titles_added: int = 0
    titles_matched: int = 0
    copies_added: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def records_loaded(self) -> int:
        return self.titles_added + self.titles_matched


_SPACES = re.compile(r"\s+")
_INITIAL_STOP = re.compile(r"(\b[A-Z]|\.\.)\.$")
_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
_TYPES_BY_LEADER = {"a": "Book", "t": "Book", "g": "DVD", "i": "Audiobook", "j": "Music", "e": "Map", "m": "Software"}


def _clean(s: str | None) -> str | None:
    if s is None:
        return None
    s = _SPACES.sub(" ", s)
    if not s.isascii():
        s = unicodedata.normalize("NFC", s)
    s = s.strip().rstrip(" /:;,=").strip()
    if s.endswith(".") and not _INITIAL_STOP.search(s):
        s = s[:-1].rstrip()  # ISBD's closing full stop, not an initial's ("Rivera, A.")
    return s or None


def _sub(rec: Record, tag: str, code: str) -> str | None:
    for f in rec.get_fields(tag):
        vals = f.get_subfields(code)
        if vals:
            return vals[0]
    return None


def _first(rec: Record, tags: tuple[str, ...], codes: dict[str, str]) -> tuple[str | None, str | None]:
    """The cleaned text of the first of `tags` present (in that order of preference), and its tag."""
    for tag in tags:
        for f in rec.get_fields(tag):
            v = _clean(f.joined(codes[tag]))
            if v:
                return v, tag
            break
    return None, None


def _isbn(rec: Record) -> str | None:
    raw_isbns = [v for f in rec.get_fields("020") for v in f.get_subfields("a")]
    for raw in raw_isbns:
        d = isbn_digits(raw)
        if d and isbn_problem(raw) is None:
            return isbn10_to_13(d) if len(d) == 10 else d
    if raw_isbns:
        raise ValueError(isbn_problem(raw_isbns[0]) or f"ISBN {raw_isbns[0]!r} is not an ISBN")
    return None


def record_to_title(rec: Record, scheme: str) -> TitleData:
    """One record's title and copies; raises ValueError with the reason it cannot be loaded."""
    f245 = rec.get_fields("245")
    if not f245 or not _clean(f245[0].joined("a")):
        raise ValueError("no title (245 $a)")
    title = _clean(f245[0].joined("abnp"))[:500]
    author, _ = _first(rec, ("100", "110", "111"), {"100": "abcdq", "110": "abcdn", "111": "abcdn"})
    added = "; ".join(a for a in (_clean(f.joined("abcdq")) for f in rec.get_fields("700")) if a) or None
    isbn = _isbn(rec)
    call, tag = _first(rec, ("092", "082", "050"), {"092": "ab", "082": "a", "050": "ab"})
    if call and tag == "082":
        call = call.replace("/", "")
    publisher = _clean(_sub(rec, "264", "b") or _sub(rec, "260", "b"))
    m = _YEAR.search(_sub(rec, "264", "c") or _sub(rec, "260", "c") or "")
    audience = _clean(" ".join(f.joined("ab") for f in rec.get_fields("521")))
    reading = _clean("; ".join(f.joined("abcd") for f in rec.get_fields("526")))
    control = rec.control("001")
    control = control.strip() if control is not None else None
    rtype = _TYPES_BY_LEADER.get(rec.leader[6] if len(rec.leader) > 6 else "a", "Book")
    copies = []
    for f in rec.get_fields("852", "952"):
        code = (f.get("p") or "").strip()
        if not code:
            raise ValueError(f"copy in {f.tag} has no barcode ($p)")
        problem = barcode_problem(code, scheme)
        if problem:
            raise ValueError(problem)
        if f.tag == "852":
            c_call = _clean(" ".join(v for v in (f.get("h"), f.get("i")) if v)) or call
            loc, itype, price_raw = f.get("b") or f.get("c"), (f.get("x") or "book"), f.get("9")
        else:  # Koha's 952
            c_call = _clean(f.get("o")) or call
            loc, itype, price_raw = f.get("c"), (f.get("y") or "book"), f.get("g")
        price = None
        if price_raw:
            try:
                price = Decimal(re.sub(r"[^\d.]", "", price_raw)).quantize(Decimal("0.01"))
            except InvalidOperation:
                raise ValueError(f"copy {code} has a price that is not a number ({price_raw!r})") from None
        copies.append(CopyData(code, (c_call or None) and c_call[:50], _clean(loc), itype.strip().lower()[:30], price))
    return TitleData(title, author and author[:500], added, isbn, call and call[:50], publisher and publisher[:200],
                     int(m.group(1)) if m else None, audience and audience[:200], reading and reading[:200],
                     control and control[:50], rtype, tuple(copies))


def _looks_like_xml(data: bytes) -> bool:
    head = data[:200].lstrip()
    return head.startswith(b"<?xml") or head.startswith(b"<")


def parse_marc(data: bytes, scheme: str = "none") -> tuple[list[tuple[int, TitleData]], list[Rejected]]:
    """Every record of a file: the loadable ones (with their position) and the rejected ones."""
    return _parse_xml(data, scheme) if _looks_like_xml(data) else _parse_binary(data, scheme)


def _parse_binary(data: bytes, scheme: str):
    good, bad = [], []
    offset = 0
    for n, chunk in enumerate(data.split(END_OF_RECORD), start=1):
        start = offset
        offset += len(chunk) + 1
        if not chunk.strip(b"\r\n\x00 "):
            continue
        chunk = chunk.lstrip(b"\r\n")
        control = None
        try:
            if not chunk[:5].isdigit():
                raise ValueError("not a MARC record (the leader does not start with the record length)")
            if int(chunk[:5]) != len(chunk) + 1:
                raise ValueError(f"record length in the leader ({int(chunk[:5])}) does not match its "
                                 f"{len(chunk) + 1} bytes")
            rec = read_binary(chunk + END_OF_RECORD)
            control = rec.control("001")
            control = control.strip() if control is not None else None
            good.append((n, record_to_title(rec, scheme)))
        except UnicodeDecodeError:
            bad.append(Rejected(n, start, control, "text is not valid UTF-8 although the leader says UTF-8"))
        except MarcError as exc:
            bad.append(Rejected(n, start, control, f"not a readable MARC record ({exc})"))
        except ValueError as exc:
            bad.append(Rejected(n, start, control, str(exc)))
    return good, bad


def _parse_xml(data: bytes, scheme: str):
    good, bad = [], []
    try:
        root = ET.parse(io.BytesIO(data)).getroot()
    except ET.ParseError as exc:
        line, offset = exc.position  # (expat counts the column in characters, from 0)
        return [], [Rejected(1, None, None, f"the file is not readable MARCXML: at line {line}, column {offset + 1}, "
                                            f"{plain_reason(exc.code)}; correct it there or export the file again")]
    records = [root] if root.tag == f"{MARCXML_NS}record" else root.findall(f"{MARCXML_NS}record")
    if not records:
        return [], [Rejected(1, None, None, "the file holds no MARCXML records (namespace "
                                            "http://www.loc.gov/MARC21/slim)")]
    for n, el in enumerate(records, start=1):
        control = None
        try:
            rec = read_xml(el)
            control = rec.control("001")
            control = control.strip() if control is not None else None
            good.append((n, record_to_title(rec, scheme)))
        except ValueError as exc:
            bad.append(Rejected(n, None, control, str(exc)))
    return good, bad


def import_marc(conn: Connection, data: bytes, school_id: int, scheme: str = "none") -> ImportReport:
    """Load the good records of a MARC file into the catalogue of `school_id` (one transaction: the caller's)."""
    good, bad = parse_marc(data, scheme)
    report = ImportReport(rejected=list(bad))
    # barcodes must be new to the catalogue and to the file
    all_codes = [c.barcode for _, t in good for c in t.copies]
    held = set(conn.execute(text("SELECT barcode FROM library.items WHERE barcode = ANY(:b)"),
                            {"b": all_codes}).scalars()) if all_codes else set()
    isbns = [t.isbn for _, t in good if t.isbn]
    by_isbn = dict(conn.execute(text("SELECT DISTINCT ON (isbn) isbn, resource_id FROM library.resources "
                                     "WHERE isbn = ANY(:i) ORDER BY isbn, resource_id"), {"i": isbns}).all()) \
        if isbns else {}
    seen: set[str] = set()
    new_titles: list[tuple[int, TitleData]] = []
    copies: list[tuple[int | None, TitleData, CopyData]] = []
    for pos, t in good:
        dup = next((c.barcode for c in t.copies if c.barcode in held or c.barcode in seen), None)
        if dup:
            report.rejected.append(Rejected(pos, None, t.control_number, f"barcode {dup} is already in the catalogue"
                                            if dup in held else f"barcode {dup} appears twice in the file"))
            continue
        seen.update(c.barcode for c in t.copies)
        if t.isbn and t.isbn in by_isbn:
            report.titles_matched += 1
            copies += [(by_isbn[t.isbn], t, c) for c in t.copies]
        else:
            new_titles.append((pos, t))
            if t.isbn:
                by_isbn[t.isbn] = None  # a second record of the same ISBN in the file joins the first
    ids = list(conn.execute(text("SELECT nextval('library.resources_resource_id_seq') FROM generate_series(1, :n)"),
                            {"n": len(new_titles)}).scalars()) if new_titles else []
    first_of_isbn: dict[str, int] = {}
    rows = []
    for rid, (_, t) in zip(ids, new_titles):
        if t.isbn and t.isbn in first_of_isbn:
            report.titles_matched += 1
            copies += [(first_of_isbn[t.isbn], t, c) for c in t.copies]
            continue
        if t.isbn:
            first_of_isbn[t.isbn] = rid
        report.titles_added += 1
        rows.append((rid, t.isbn, t.title, t.author, t.publisher, t.year, t.resource_type, t.call_number,
                     t.copies[0].location if t.copies else None, 0, 0, t.added_authors, t.audience, t.reading_program,
                     t.control_number))
        copies += [(rid, t, c) for c in t.copies]
    copies = [(rid if rid is not None else first_of_isbn.get(t.isbn), t, c) for rid, t, c in copies]
    # a new title's counts are known here: the copy-count trigger then has nothing to change on it
    counts: dict[int, int] = {}
    for rid, _, _ in copies:
        counts[rid] = counts.get(rid, 0) + 1
    rows = [r[:9] + (counts.get(r[0], 0), counts.get(r[0], 0)) + r[11:] for r in rows]
    _copy_rows(conn, "library.resources", ("resource_id", "isbn", "title", "author", "publisher", "publication_year",
                                           "resource_type", "call_number", "location", "total_copies",
                                           "available_copies", "added_authors", "audience", "reading_program",
                                           "control_number"), rows)
    _copy_rows(conn, "library.items", ("resource_id", "barcode", "call_number", "location", "item_type", "price",
                                       "school_id"),
               [(rid, c.barcode, c.call_number or t.call_number, c.location, c.item_type, c.price, school_id)
                for rid, t, c in copies])
    report.copies_added = len(copies)
    report.rejected.sort(key=lambda r: r.position)
    return report


_TYPES = {"resource_id": "int", "isbn": "text", "title": "text", "author": "text", "publisher": "text",
          "publication_year": "int", "resource_type": "text", "call_number": "text", "location": "text",
          "total_copies": "int", "available_copies": "int", "added_authors": "text", "audience": "text",
          "reading_program": "text", "control_number": "text", "barcode": "text", "item_type": "text",
          "price": "numeric", "school_id": "bigint"}


def _copy_rows(conn: Connection, table: str, cols: tuple[str, ...], rows: list[tuple]) -> None:
    """COPY the rows into a temporary staging table, then insert them all in one statement (COPY
    straight into the table is refused under row-level security, which a librarian is under; one
    statement also runs the audit and copy-count triggers once for the whole file)."""
    if not rows:
        return
    stage = "marc_stage_" + table.split(".")[1]
    conn.execute(text(f"CREATE TEMP TABLE {stage} ({', '.join(f'{c} {_TYPES[c]}' for c in cols)}) ON COMMIT DROP"))
    with conn.connection.driver_connection.cursor() as cur:
        with cur.copy(f"COPY pg_temp.{stage} ({', '.join(cols)}) FROM STDIN") as cp:
            for r in rows:
                cp.write_row(r)
    conn.execute(text(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM pg_temp.{stage}"))
    conn.execute(text(f"DROP TABLE pg_temp.{stage}"))
