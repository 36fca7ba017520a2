"""What `school-office-admin import ...` prints: the problems, then the notes worded as the desk's Import tab words
them ("Note"), then the summary; with --json, the problems as JSON on standard output and the notes on standard error."""

from __future__ import annotations

import json

from app.commands.interchange import _print_problems
from app.services.interchange.oneroster_import import ImportResult
from app.services.interchange.package import Problem


def _result() -> ImportResult:
    return ImportResult("package", "1.2", rows=2, problems=(), warnings=(
        Problem("users.csv", 2, "identifier", 'user "stu-4"\'s Ed-Fi unique id changes from "S1" to "S2".'),),
        dry_run=True)


def test_notes_are_printed_as_notes_as_the_import_tab_calls_them(capsys):
    _print_problems(_result(), as_json=False)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == 'note: users.csv, row 2, identifier: user "stu-4"\'s Ed-Fi unique id changes from "S1" to "S2".'
    assert not any(line.startswith("warning") for line in out)


def test_with_json_the_notes_go_to_standard_error(capsys):
    _print_problems(_result(), as_json=True)
    said = capsys.readouterr()
    assert json.loads(said.out) == []
    assert said.err.startswith("note: users.csv, row 2, identifier: ")
