"""Ed-Fi XML interchanges nobody had tried (issue #15), found by mutating a valid one: each is refused
with its file, element path and line in one sentence, never with a database error after the checks
passed, and in seconds; a refused one writes nothing."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from app.services.interchange.edfi_xml import import_edfi
from tests.integration.test_oneroster_import import db  # noqa: F401 - fixture

pytestmark = pytest.mark.integration

EDORG = """<?xml version="1.0" encoding="UTF-8"?>
<InterchangeEducationOrganization xmlns="http://ed-fi.org/5.2.0">
	<LocalEducationAgency id="LEA_1">
		<NameOfInstitution>Riverside ISD</NameOfInstitution>
		<EducationOrganizationCategory>uri://ed-fi.org/EducationOrganizationCategoryDescriptor#Local Education Agency</EducationOrganizationCategory>
		<LocalEducationAgencyId>990001</LocalEducationAgencyId>
		<LocalEducationAgencyCategory>uri://ed-fi.org/LocalEducationAgencyCategoryDescriptor#Independent</LocalEducationAgencyCategory>
	</LocalEducationAgency>
	<School>
		<NameOfInstitution>Riverside École</NameOfInstitution>
		<EducationOrganizationCategory>uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School</EducationOrganizationCategory>
		<SchoolId>990001001</SchoolId>
		<GradeLevel>uri://ed-fi.org/GradeLevelDescriptor#Ninth grade</GradeLevel>
		<LocalEducationAgencyReference ref="LEA_1"/>
	</School>
</InterchangeEducationOrganization>
"""
STUDENT = """<?xml version="1.0" encoding="UTF-8"?>%s
<InterchangeStudent xmlns="http://ed-fi.org/5.2.0">
	<Student>
		<StudentUniqueId>S1</StudentUniqueId>
		<Name>
			<FirstName>%s</FirstName>
			<LastSurname>Østergaard</LastSurname>
		</Name>
		<BirthData>
			<BirthDate>2012-03-04</BirthDate>
		</BirthData>
	</Student>
</InterchangeStudent>
"""
TABLES = ("edfi.educationorganization", "edfi.school", "edfi.student", "compliance.audit_logs")


def counts(eng) -> dict:
    with eng.connect() as c:
        return {t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def interchange(tmp_path, edorg: str = EDORG, student: str = STUDENT % ("", "Zoë")):
    (tmp_path / "EducationOrganization.xml").write_text(edorg, encoding="utf-8")
    (tmp_path / "Student.xml").write_text(student, encoding="utf-8")
    return tmp_path


def refused(db, folder) -> list[str]:
    before = counts(db)
    said = []
    for dry_run in (True, False):
        r = import_edfi(db, folder, dry_run=dry_run)
        assert not r.ok
        said.append([str(p) for p in r.problems])
    assert said[0] == said[1]
    assert counts(db) == before
    return said[0]


def test_the_small_interchange_loads(db, tmp_path):
    r = import_edfi(db, interchange(tmp_path))
    assert r.ok, [str(p) for p in r.problems]
    assert r.changed["edfi.school"] == 1 and r.changed["edfi.student"] == 1


@pytest.mark.parametrize("value, words", [
    ("99999999999999999999", '"99999999999999999999" is out of range; the value must be above -9223372036854775808 '
                             'and below 9223372036854775808.'),
    ("990_001_001", '"990_001_001" is not a whole number.'),
    ("９９０００１００１", '"９９０００１００１" is not a whole number.'),  # full-width digits
])
def test_a_school_id_the_database_cannot_hold_is_refused_once_at_its_element(db, tmp_path, value, words):
    folder = interchange(tmp_path, EDORG.replace("<SchoolId>990001001</SchoolId>", f"<SchoolId>{value}</SchoolId>"))
    # (SchoolId is read for the education organization and for the school: said once)
    assert refused(db, folder) == [
        f"EducationOrganization.xml, row 12, /InterchangeEducationOrganization/School[1]/SchoolId: {words}"]


def test_an_entity_expansion_bomb_is_refused_in_seconds(db, tmp_path):
    doctype = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)) + "]>"
    folder = interchange(tmp_path, student=STUDENT % (doctype, "&i;"))
    started = time.perf_counter()
    problems = refused(db, folder)
    assert time.perf_counter() - started < 30
    assert problems == ["Student.xml, row 6: The XML is broken at column 15 of this line: its entities expand to far "
                        "more text than the file holds (no export writes that; check where the file came from). "
                        "Correct it there, or export the file again."], problems


def test_elements_nested_deeper_than_any_interchange_are_refused_at_their_line(db, tmp_path):
    # (200,000 levels in a 1.4 MB file took all the memory: every element keeps its path)
    deep = "<X>" * 100 + "</X>" * 100
    folder = interchange(tmp_path, student=(STUDENT % ("", "Zoë")).replace("<BirthData>", deep + "<BirthData>"))
    assert refused(db, folder) == ["Student.xml, row 9: The elements are nested more than 64 deep (column 189); "
                                   "no Ed-Fi interchange is, so check that this is the file meant."]


def descriptors(body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<InterchangeDescriptors xmlns="http://ed-fi.org/5.2.0">\n{body}\n' \
           '</InterchangeDescriptors>\n'


@pytest.mark.parametrize("namespace, code, words", [
    ("uri://district.example/SchoolTypeDescriptor", "F" * 51, "/CodeValue: The CodeValue is 51 characters long; at most 50 fit."),
    ("uri://" + "n" * 250, "Fuzz", "/Namespace: The Namespace is 256 characters long; at most 255 fit."),
])
def test_a_descriptor_the_table_cannot_hold_is_refused_at_its_element(db, tmp_path, namespace, code, words):
    folder = interchange(tmp_path, EDORG.replace("<GradeLevel>", f"<SchoolType>{namespace}#{code}</SchoolType><GradeLevel>"))
    (folder / "SchoolTypeDescriptor.xml").write_text(descriptors(
        f"\t<SchoolTypeDescriptor>\n\t\t<CodeValue>{code}</CodeValue>\n\t\t<ShortDescription>F</ShortDescription>\n"
        f"\t\t<Namespace>{namespace}</Namespace>\n\t</SchoolTypeDescriptor>"), encoding="utf-8")
    problems = refused(db, folder)
    assert any(p.startswith("SchoolTypeDescriptor.xml, row ") and
               p.endswith(f"/InterchangeDescriptors/SchoolTypeDescriptor[1]{words}") for p in problems), problems


def test_an_element_of_no_descriptor_type_is_refused_at_its_element(db, tmp_path):
    folder = interchange(tmp_path)
    (folder / "WidgetDescriptor.xml").write_text(descriptors(
        "\t<WidgetDescriptor>\n\t\t<CodeValue>W</CodeValue>\n\t\t<ShortDescription>W</ShortDescription>\n"
        "\t\t<Namespace>uri://district.example/WidgetDescriptor</Namespace>\n\t</WidgetDescriptor>"), encoding="utf-8")
    assert refused(db, folder) == ["WidgetDescriptor.xml, row 3, /InterchangeDescriptors/WidgetDescriptor[1]: "
                                   "WidgetDescriptor is not an Ed-Fi descriptor type; check the element's name."]


EXPAT_WORDS = ("well-formed", "invalid token", "mismatched tag", "no element found", "unclosed token", "junk after",
               "duplicate attribute", "undefined entity", "unbound prefix")


@pytest.mark.parametrize("change, where, words", [
    (("</FirstName>", "</Firstname>"), "row 6: The XML is broken at column 20 of this line", "an element is closed "
     "with another name than it was opened with (for example <Name> ... </Names>)"),
    (("Zoë", "Zoë & Co"), "row 6: The XML is broken at column 20 of this line", "a character XML does not allow "
     "there (a stray < or &, which must be written &lt; and &amp;, or a control character)"),
    # (columns are counted in characters, as an editor shows them: "Zoëëëë" is 6 of them, 10 bytes)
    (("Zoë", "Zoëëëë & Co"), "row 6: The XML is broken at column 23 of this line", "a character XML does not "
     "allow there (a stray < or &, which must be written &lt; and &amp;, or a control character)"),
    (("<Student>", '<Student id="a" id="b">'), "row 3: The XML is broken at column 18 of this line",
     "an element has the same attribute twice"),
    (("</InterchangeStudent>", "</InterchangeStudent>\n<InterchangeStudent/>"), "row 14: The XML is broken at "
     "column 1 of this line", "there is more after the last closing tag (two files joined into one, or text after "
     "the end)"),
    (("<Name>", "<x:Name>"), "row 5: The XML is broken at column 3 of this line",
     "a name prefix (the part before the colon) that no xmlns: attribute declares"),
])
def test_broken_xml_is_said_in_plain_words_at_its_line(db, tmp_path, change, where, words):
    folder = interchange(tmp_path, student=(STUDENT % ("", "Zoë")).replace(*change))
    problems = refused(db, folder)
    assert problems == [f"Student.xml, {where}: {words}. Correct it there, or export the file again."], problems
    assert not any(w in problems[0] for w in EXPAT_WORDS)


def test_a_file_cut_short_is_said_so(db, tmp_path):
    whole = STUDENT % ("", "Zoë")
    folder = interchange(tmp_path, student=whole[:whole.index("<BirthData>")])
    problems = refused(db, folder)
    assert problems == ["Student.xml, row 9: The XML is broken at column 3 of this line: the file ends before its "
                        "elements are closed (it is empty or was cut short). Correct it there, or export the file "
                        "again."], problems


@pytest.mark.parametrize("root, words", [
    ("<InterchangeStudent>", '<InterchangeStudent> declares no XML namespace, so it is not an Ed-Fi 5.2 file as the '
     'Ed-Fi tools write it; if it is one, add xmlns="http://ed-fi.org/5.2.0" to <InterchangeStudent>.'),
    ('<InterchangeStudent xmlns="http://ed-fi.org/3.3.1-b">', "This is an Ed-Fi 3.3.1-b file (namespace "
     "http://ed-fi.org/3.3.1-b); School Office reads Ed-Fi 5.2 (http://ed-fi.org/5.2.0): export it again as Ed-Fi 5.2."),
    ('<InterchangeStudent xmlns="http://ed-fi.org/">', "<InterchangeStudent> is in the namespace http://ed-fi.org/, "
     "not Ed-Fi 5.2's (http://ed-fi.org/5.2.0); check that this is the file meant."),
    ('<InterchangeStudent xmlns="urn:district:students">', "<InterchangeStudent> is in the namespace "
     "urn:district:students, not Ed-Fi 5.2's (http://ed-fi.org/5.2.0); check that this is the file meant."),
])
def test_a_file_of_another_ed_fi_version_or_no_namespace_is_refused(db, tmp_path, root, words):
    # (Ed-Fi renamed and reshaped elements between versions: a 3.x Student read as a 5.2 one would be misread)
    folder = interchange(tmp_path, student=(STUDENT % ("", "Zoë")).replace(
        '<InterchangeStudent xmlns="http://ed-fi.org/5.2.0">', root))
    assert refused(db, folder) == [f"Student.xml, row 2, /InterchangeStudent: {words}"]


@pytest.mark.parametrize("namespace, note", [
    ("http://ed-fi.org/5.2.0/", None),
    ("http://ed-fi.org/5.1.0", ["Student.xml, row 2, /InterchangeStudent: An Ed-Fi 5.1.0 file, read as Ed-Fi 5.2."]),
])
def test_a_file_of_another_ed_fi_5_version_is_read_with_a_note(db, tmp_path, namespace, note):
    folder = interchange(tmp_path, student=(STUDENT % ("", "Zoë")).replace("http://ed-fi.org/5.2.0", namespace))
    r = import_edfi(db, folder, dry_run=True)
    assert r.ok, [str(p) for p in r.problems]
    assert [str(w) for w in r.warnings if "Ed-Fi" in w.message] == (note or [])


def test_an_extension_element_is_not_read_as_the_standard_one_of_its_name(db, tmp_path):
    extension = ('\t<x:Student xmlns:x="urn:district:extension">\n\t\t<StudentUniqueId>S2</StudentUniqueId>\n'
                 "\t\t<Name><FirstName>Ext</FirstName><LastSurname>Ension</LastSurname></Name>\n"
                 "\t\t<BirthData><BirthDate>2012-03-04</BirthDate></BirthData>\n\t</x:Student>\n")
    folder = interchange(tmp_path, student=(STUDENT % ("", "Zoë")).replace("</InterchangeStudent>",
                                                                           extension + "</InterchangeStudent>"))
    r = import_edfi(db, folder)
    assert r.ok, [str(p) for p in r.problems]
    assert r.changed["edfi.student"] == 1
    with db.connect() as c:
        assert c.execute(text("SELECT count(*) FROM edfi.student WHERE studentuniqueid = 'S2'")).scalar_one() == 0
    assert [w.message for w in r.warnings] == ["1 {urn:district:extension}Student element not imported (not part of "
                                               "School Office's Ed-Fi import)."]
