"""Qt stays out of the core and the reports (house style), checked two ways."""

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_no_pyside6_import_under_app_or_reports():
    offenders = []
    for pkg in ("app", "reports"):
        for path in (REPO / pkg).rglob("*.py"):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                offenders += [f"{path.relative_to(REPO)}: {n}" for n in names
                              if n.split(".")[0] in ("PySide6", "qasync", "ui")]
    assert offenders == []


def test_import_linter_contract_holds():
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=REPO, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No Qt in the core or the reports KEPT" in result.stdout
