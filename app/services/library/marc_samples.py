"""MARC21 records this project makes itself (no third-party catalogue data): the demo
district's catalogue, the import tests and the import bench. UTF-8 by default; `marc8=True`
writes the record in MARC-8 (leader/09 blank), where an accented letter is the combining mark's
byte followed by the letter (é = E2 65)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pymarc

from app.domain.library_codes import codabar14, isbn10_to_13

# MARC-8 combining diacritics (ANSEL) for the few accents the sample titles use.
_MARC8_ACCENT = {"é": "\xe2e", "á": "\xe2a", "ó": "\xe2o", "í": "\xe2i", "ú": "\xe2u", "ñ": "\xe4n",
                 "ü": "\xe8u", "ö": "\xe8o", "è": "\xe1e", "à": "\xe1a", "ç": "\xf0c", "Ü": "\xe8U"}


def to_marc8(s: str) -> str:
    """The MARC-8 form of `s`, as the latin-1 string pymarc writes byte for byte."""
    out = "".join(_MARC8_ACCENT.get(ch, ch) for ch in s)
    if any(ord(ch) > 127 and ch not in "\xe1\xe2\xe4\xe8\xf0" for ch in out):
        raise ValueError(f"no MARC-8 form known here for a letter of {s!r}")
    return out


def isbn13_for(n: int) -> str:
    body = f"{n % 10**9:09d}"
    check = sum((10 - i) * int(c) for i, c in enumerate(body))
    c10 = (11 - check % 11) % 11
    return isbn10_to_13(body + ("X" if c10 == 10 else str(c10)))


@dataclass(frozen=True)
class SampleCopy:
    barcode: str
    call_number: str
    location: str = "Stacks"
    item_type: str = "book"
    price: str = "18.95"
    tag: str = "852"


@dataclass(frozen=True)
class SampleTitle:
    title: str
    subtitle: str | None
    author: str
    isbn: str | None
    dewey: str
    cutter: str
    year: int
    audience: str | None
    reading_program: str | None
    copies: tuple[SampleCopy, ...]
    control_number: str
    publisher: str = "Riverbend Press"


def make_record(t: SampleTitle, marc8: bool = False) -> pymarc.Record:
    enc = to_marc8 if marc8 else (lambda s: s)
    rec = pymarc.Record(to_unicode=not marc8, force_utf8=not marc8)
    rec.leader = pymarc.Leader("00000nam a2200000 a 4500" if not marc8 else "00000nam  2200000 a 4500")
    rec.add_field(pymarc.Field(tag="001", data=t.control_number))
    if t.isbn:
        rec.add_field(pymarc.Field(tag="020", indicators=[" ", " "], subfields=[pymarc.Subfield("a", t.isbn)]))
    rec.add_field(pymarc.Field(tag="082", indicators=["0", "4"], subfields=[pymarc.Subfield("a", t.dewey)]))
    rec.add_field(pymarc.Field(tag="092", indicators=[" ", " "],
                               subfields=[pymarc.Subfield("a", t.dewey), pymarc.Subfield("b", t.cutter)]))
    rec.add_field(pymarc.Field(tag="100", indicators=["1", " "], subfields=[pymarc.Subfield("a", enc(t.author) + ".")]))
    subs = [pymarc.Subfield("a", enc(t.title) + (" :" if t.subtitle else "."))]
    if t.subtitle:
        subs.append(pymarc.Subfield("b", enc(t.subtitle) + "."))
    rec.add_field(pymarc.Field(tag="245", indicators=["1", "0"], subfields=subs))
    rec.add_field(pymarc.Field(tag="264", indicators=[" ", "1"], subfields=[
        pymarc.Subfield("a", "Riverbend :"), pymarc.Subfield("b", enc(t.publisher) + ","),
        pymarc.Subfield("c", f"{t.year}.")]))
    if t.audience:
        rec.add_field(pymarc.Field(tag="521", indicators=["2", " "], subfields=[pymarc.Subfield("a", t.audience)]))
    if t.reading_program:
        rec.add_field(pymarc.Field(tag="526", indicators=["0", " "], subfields=[
            pymarc.Subfield("a", "Accelerated Reader"), pymarc.Subfield("c", t.reading_program)]))
    for c in t.copies:
        if c.tag == "952":
            subs = [pymarc.Subfield("p", c.barcode), pymarc.Subfield("o", c.call_number),
                    pymarc.Subfield("c", c.location), pymarc.Subfield("y", c.item_type), pymarc.Subfield("g", c.price)]
        else:
            subs = [pymarc.Subfield("b", c.location), pymarc.Subfield("h", c.call_number),
                    pymarc.Subfield("p", c.barcode), pymarc.Subfield("x", c.item_type), pymarc.Subfield("9", c.price)]
        rec.add_field(pymarc.Field(tag=c.tag, indicators=[" ", " "], subfields=subs))
    return rec


def to_binary(records: list[pymarc.Record]) -> bytes:
    return b"".join(r.as_marc() for r in records)


def to_marcxml(records: list[pymarc.Record]) -> bytes:
    out = [b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">']
    for r in records:
        out.append(pymarc.record_to_xml(r))
    out.append(b"</collection>")
    return b"\n".join(out)


WORDS = ("River Secret Moon Garden Dragon Island Winter Journey Shadow Light Forest Star Ocean Castle Clock Map Fox "
         "Lantern Mountain Song Storm Bridge Library Planet Robot Orchard Comet Whale Kite Compass Harbor Meadow "
         "Thunder Feather Mirror Canyon Glacier Ember Willow Falcon Pebble Voyage Riddle Beacon").split()
ACCENTED = ("Café", "Señor", "Über", "Piñata", "Crème", "Héroe", "Niño", "Año")
SURNAMES = ("Rivera", "Chen", "Okafor", "Nakamura", "Patel", "Rossi", "Haddad", "Novak", "Singh", "Morgan",
            "Alvarez", "Kim", "Núñez", "Müller", "García", "Dubois", "Larsen", "Abebe", "Ivanova", "Brooks")
GIVEN = ("Ana", "Ben", "Chidi", "Daisuke", "Esha", "Franco", "Ghada", "Hana", "Ivan", "Jo", "Kofi", "Lena")
SUBJECTS = (("813.54", "Fiction"), ("523.1", "Astronomy"), ("597.9", "Reptiles"), ("973.7", "Civil War"),
            ("921", "Biography"), ("741.5", "Graphic novels"), ("811", "Poetry"), ("551.5", "Weather"),
            ("629.13", "Flight"), ("796.334", "Soccer"), ("641.5", "Cooking"), ("004", "Computers"))
AUDIENCES = (("Ages 5-8.", "K-2"), ("Ages 8-11.", "3-5"), ("Ages 11-14.", "6-8"), ("Ages 14-18.", "9-12"))


def sample_titles(rng: random.Random, n: int, schools: list[tuple[int, int]], start: int = 1,
                  copies: tuple[int, int] = (1, 3)) -> list[SampleTitle]:
    """`n` titles; copies at the given (school id, 4-digit institution code) with Codabar barcodes."""
    out = []
    serial = {sid: 0 for sid, _ in schools}
    for i in range(start, start + n):
        a, b = rng.sample(WORDS, 2)
        title = f"The {a} of the {b}" if rng.random() < 0.5 else f"{a} and {b}"
        if rng.random() < 0.05:
            title = f"{rng.choice(ACCENTED)} {title}"
        dewey, subject = rng.choice(SUBJECTS)
        surname = rng.choice(SURNAMES)
        aud, band = rng.choice(AUDIENCES)
        cps = []
        for sid, inst in rng.sample(schools, rng.randint(1, len(schools))):
            for _ in range(rng.randint(*copies)):
                serial[sid] += 1
                code = codabar14(3, inst, serial[sid] + 10_000_000 * 0)
                cps.append(SampleCopy(code, f"{'FIC' if dewey == '813.54' else dewey} {surname[:3].upper()}",
                                      price=f"{rng.randint(8, 40)}.{rng.choice(('00', '50', '95', '99'))}"))
        out.append(SampleTitle(title, subject if rng.random() < 0.4 else None, f"{surname}, {rng.choice(GIVEN)}",
                               isbn13_for(1_000_000 + i), dewey, surname[:3].upper(), rng.randint(1985, 2026), aud,
                               f"{rng.randint(1, 12)}.{rng.randint(0, 9)}" if rng.random() < 0.6 else None,
                               tuple(cps), f"rb{i:08d}"))
    return out
