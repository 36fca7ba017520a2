"""MARC21 records read for the catalogue import: only the fields the import uses, straight from
the bytes (ISO 2709) or the MARCXML elements.

pymarc builds a full object for every field and runs the MARC-8 converter over every subfield;
the import needs about fifteen tags. Here a record's directory is read, the wanted fields are
sliced out and split into subfields, and text is decoded the way pymarc decodes it: UTF-8
(strict) when leader/09 is 'a'; otherwise MARC-8, through pymarc's converter only when a
subfield has bytes outside ASCII (pure ASCII is the same in MARC-8), control fields as Latin-1.
tests/integration/test_library_marc_import.py compares the result with pymarc's on UTF-8 and
MARC-8 records.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pymarc.marc8 import marc8_to_unicode

# The tags app.services.library.marc_import reads.
WANTED = frozenset(("001", "020", "050", "082", "092", "100", "110", "111", "245", "260", "264", "521", "526", "700",
                    "852", "952"))
MARCXML_NS = "{http://www.loc.gov/MARC21/slim}"


class MarcError(ValueError):
    """The bytes are not a readable MARC record; the message says why."""


class Field:
    __slots__ = ("tag", "subfields", "data")

    def __init__(self, tag: str, subfields: list[tuple[str, str]] | None = None, data: str | None = None) -> None:
        self.tag, self.subfields, self.data = tag, subfields or [], data

    def get(self, code: str) -> str | None:
        for c, v in self.subfields:
            if c == code:
                return v
        return None

    def get_subfields(self, code: str) -> list[str]:
        return [v for c, v in self.subfields if c == code]

    def joined(self, codes: str) -> str:
        return " ".join(v for c, v in self.subfields if c in codes)


class Record:
    """The wanted fields of one record, in record order."""
    __slots__ = ("leader", "fields", "by_tag")

    def __init__(self, leader: str, fields: list[Field]) -> None:
        self.leader, self.fields = leader, fields
        self.by_tag: dict[str, list[Field]] = {}
        for f in fields:
            self.by_tag.setdefault(f.tag, []).append(f)

    def get_fields(self, *tags: str) -> list[Field]:
        if len(tags) == 1:
            return self.by_tag.get(tags[0], [])
        return [f for f in self.fields if f.tag in tags]

    def control(self, tag: str) -> str | None:
        found = self.by_tag.get(tag)
        return found[0].data if found else None


def _subfields(data: str, utf8: bool) -> list[tuple[str, str]]:
    """A data field's subfields; `data` holds the field's bytes as Latin-1 characters."""
    if not data.isascii():
        if utf8:
            data = data.encode("iso8859-1").decode("utf-8")  # strict: UnicodeDecodeError names a bad record
        else:  # MARC-8, subfield by subfield as pymarc converts it
            return [(s[:1], marc8_to_unicode(s[1:].encode("iso8859-1"), True) if not s[1:].isascii()
                     or "\x1b" in s else s[1:]) for s in data.split("\x1f")[1:] if s]
    elif not utf8 and "\x1b" in data:  # MARC-8 escape sequences (other character sets)
        return [(s[:1], marc8_to_unicode(s[1:].encode("iso8859-1"), True)) for s in data.split("\x1f")[1:] if s]
    return [(s[:1], s[1:]) for s in data.split("\x1f")[1:] if s]


def read_binary(raw: bytes) -> Record:
    """One ISO 2709 record (with its end-of-record byte)."""
    text = raw.decode("iso8859-1")  # one character per byte: the directory's offsets stay valid
    leader = text[:24]
    try:
        base = int(text[12:17])
    except ValueError:
        raise MarcError("the leader is damaged") from None
    if len(leader) != 24 or base <= 24 or base >= len(text):
        raise MarcError("the leader's base address of data is wrong")
    directory = text[24:base - 1]
    if len(directory) % 12 or not directory or not directory.isascii():
        raise MarcError("the directory is damaged")
    utf8 = leader[9] == "a"
    fields = []
    for k in range(0, len(directory), 12):
        tag = directory[k:k + 3]
        if tag not in WANTED:
            continue
        try:
            length, start = int(directory[k + 3:k + 7]), int(directory[k + 7:k + 12])
        except ValueError:
            raise MarcError("the directory is damaged") from None
        data = text[base + start:base + start + length - 1]
        if tag < "010":
            fields.append(Field(tag, data=data.encode("iso8859-1").decode("utf-8") if utf8 and not data.isascii()
                                else data))
        else:
            fields.append(Field(tag, _subfields(data, utf8)))
    return Record(leader, fields)


def read_xml(el: ET.Element) -> Record:
    """One MARCXML <record> element."""
    leader = el.find(f"{MARCXML_NS}leader")
    fields = []
    for child in el:
        tag = child.get("tag")
        if tag not in WANTED:
            continue
        if child.tag == f"{MARCXML_NS}controlfield":
            fields.append(Field(tag, data=child.text or ""))
        elif child.tag == f"{MARCXML_NS}datafield":
            fields.append(Field(tag, [(sf.get("code") or "", sf.text or "") for sf in child]))
    text = (leader.text or "") if leader is not None else ""
    return Record(text.ljust(24)[:24], fields)
