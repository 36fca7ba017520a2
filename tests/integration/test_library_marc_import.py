"""MARC21 import as the librarian: binary and MARCXML, MARC-8 and UTF-8 records; bad records
reported with their position and reason while the good ones load; an ISBN already held adds
copies to that title."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from sqlalchemy import text

from app.services.library.marc_import import import_marc, parse_marc
from app.services.library.marc_samples import SampleCopy, make_record, sample_titles, to_binary, to_marcxml
from app.domain.library_codes import codabar14

pytestmark = pytest.mark.integration
RHS = 255950003


@pytest.fixture
def lib(login_engine):
    with login_engine("demo_librarian").connect() as c:
        tx = c.begin()
        yield c
        tx.rollback()


def fresh_titles(n, seed=7):
    ts = sample_titles(random.Random(seed), n, [(RHS, 1003)], start=700_000 + seed * 1000)
    out = []
    for i, t in enumerate(ts):  # barcodes and ISBNs the demo district does not use
        cps = tuple(replace(c, barcode=codabar14(3, 1003, 5_000_000 + 10 * i + k)) for k, c in enumerate(t.copies))
        out.append(replace(t, copies=cps, isbn=None if i % 7 == 6 else f"97819{i:07d}"[:12]))
    from app.services.library.marc_samples import isbn13_for
    return [replace(t, isbn=isbn13_for(9_000_000 + i) if t.isbn else None) for i, t in enumerate(out)]


def test_binary_marc8_and_utf8_records_load_and_bad_ones_are_reported_with_position(lib):
    ts = fresh_titles(6)
    ts[0] = replace(ts[0], title="Café del Niño", subtitle=None, author="Núñez, Ana")
    ts[1] = replace(ts[1], title="Über den Fluss", subtitle=None)
    bad_isbn = replace(ts[2], isbn=ts[2].isbn[:-1] + str((int(ts[2].isbn[-1]) + 1) % 10))
    bad_barcode = replace(ts[3], copies=(replace(ts[3].copies[0], barcode=ts[3].copies[0].barcode[:-1] + "0"
                          if ts[3].copies[0].barcode[-1] != "0" else ts[3].copies[0].barcode[:-1] + "1"),))
    no_title = make_record(ts[4])
    no_title.remove_fields("245")
    records = [make_record(ts[0], marc8=True), make_record(ts[1]), make_record(bad_isbn), make_record(bad_barcode),
               no_title, make_record(ts[5], marc8=True)]
    data = to_binary(records) + b"00042garbage that is not a MARC record\x1d"
    report = import_marc(lib, data, RHS, "codabar14")
    assert report.titles_added == 3 and report.copies_added == sum(len(t.copies) for t in (ts[0], ts[1], ts[5]))
    reasons = {r.position: r.reason for r in report.rejected}
    assert sorted(reasons) == [3, 4, 5, 7]
    assert "check digit (ISBN-13)" in reasons[3]
    assert "wrong check digit" in reasons[4] and "Barcode" in reasons[4]
    assert reasons[5] == "no title (245 $a)"
    assert "not a MARC record" in reasons[7] or "record length" in reasons[7]
    assert all(r.offset is not None for r in report.rejected)
    titles = lib.execute(text("SELECT title, author FROM library.resources WHERE control_number = ANY(:c) "
                              "ORDER BY control_number"), {"c": [ts[0].control_number, ts[1].control_number]}).all()
    assert titles == [("Café del Niño", "Núñez, Ana"), ("Über den Fluss", ts[1].author)]
    assert lib.execute(text("SELECT total_copies, available_copies FROM library.resources WHERE control_number = :c"),
                       {"c": ts[0].control_number}).one() == (len(ts[0].copies), len(ts[0].copies))


def test_marcxml_loads_and_an_isbn_already_held_adds_copies(lib):
    ts = fresh_titles(3, seed=11)
    first = import_marc(lib, to_marcxml([make_record(t) for t in ts]), RHS, "codabar14")
    assert first.titles_added == 3 and not first.rejected
    more = replace(ts[0], copies=(SampleCopy(codabar14(3, 1003, 6_000_001), "FIC ZZZ", tag="952", item_type="book"),))
    again = import_marc(lib, to_marcxml([make_record(more), make_record(ts[1])]), RHS, "codabar14")
    assert again.titles_added == 0 and again.titles_matched == 1 and again.copies_added == 1
    assert "already in the catalogue" in again.rejected[0].reason and again.rejected[0].position == 2
    n = lib.execute(text("SELECT count(*) FROM library.items i JOIN library.resources r USING (resource_id) "
                         "WHERE r.isbn = :i"), {"i": ts[0].isbn}).scalar()
    assert n == len(ts[0].copies) + 1
    assert lib.execute(text("SELECT count(*) FROM library.resources WHERE isbn = :i"), {"i": ts[0].isbn}).scalar() == 1


def test_fields_mapped_from_the_record():
    t = fresh_titles(1, seed=3)[0]
    t = replace(t, subtitle="a story", audience="Ages 8-11.", reading_program="4.5")
    (pos, got), = parse_marc(to_binary([make_record(t)]), "codabar14")[0]
    assert got.title == f"{t.title} : a story" and got.isbn == t.isbn
    assert got.call_number == f"{t.dewey} {t.cutter}" and got.audience == "Ages 8-11"
    assert got.reading_program == "Accelerated Reader 4.5" and got.year == t.year
    assert [c.barcode for c in got.copies] == [c.barcode for c in t.copies]


def test_a_marcxml_file_cut_short_is_said_in_plain_words():
    xml = to_marcxml([make_record(t) for t in fresh_titles(2, seed=5)])
    good, bad = parse_marc(xml[:len(xml) // 2], "codabar14")
    assert good == [] and len(bad) == 1
    line = xml[:len(xml) // 2].count(b"\n") + 1
    assert bad[0].describe().startswith(f"record 1: the file is not readable MARCXML: at line {line}, column ")
    assert bad[0].describe().endswith(", the file ends in the middle of a tag (it was cut short); correct it there or "
                                      "export the file again"), bad[0].describe()
    assert "well-formed" not in bad[0].describe() and "token" not in bad[0].describe()


def test_the_fast_reader_reads_what_pymarc_reads():
    """marc_records reads only the tags the import uses, without pymarc's objects; on UTF-8 and
    MARC-8 records with accented letters (binary and MARCXML) it gets the same text pymarc does."""
    import pymarc

    from app.services.library.marc_records import WANTED, read_binary, read_xml

    ts = fresh_titles(40, seed=5)
    ts[0] = replace(ts[0], title="Café del Niño", subtitle="Señor Über", author="Núñez, Ana")
    records = [make_record(t, marc8=i % 2 == 0) for i, t in enumerate(ts)]

    def pymarc_view(rec):
        return [(f.tag, f.data) if f.is_control_field() else (f.tag, [(s.code, s.value) for s in f.subfields])
                for f in rec.get_fields() if f.tag in WANTED]

    def fast_view(rec):
        return [(f.tag, f.data) if f.data is not None else (f.tag, f.subfields) for f in rec.fields]

    for r in records:
        raw = r.as_marc()
        expected = pymarc_view(pymarc.Record(raw, to_unicode=True, force_utf8=False, hide_utf8_warnings=True))
        assert fast_view(read_binary(raw)) == expected
    assert any(v == "Café del Niño :" for _, subs in fast_view(read_binary(records[0].as_marc()))
               if isinstance(subs, list) for _, v in subs)
    import xml.etree.ElementTree as ET
    root = ET.fromstring(to_marcxml(records[1:4]))
    for el, r in zip(root, records[1:4]):
        assert fast_view(read_xml(el)) == pymarc_view(r)
