"""Extract the design document's table and column names into design_tables.json.

The design document (../shared/spec/000_c704a79166da158a.txt) is reference material kept next to
the repository on the team's machines and in CI, not in a clone. The schema test needs only its
table and column names, so they are kept here. Re-run after the design document changes:

    python -m tests.data.extract_design_tables [path/to/000_c704a79166da158a.txt]
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPEC_NAME = "000_c704a79166da158a.txt"
DEFAULT_SPEC = HERE.parents[2] / "shared" / "spec" / SPEC_NAME
OUTPUT = HERE / "design_tables.json"


def design_columns(spec: str) -> dict[str, list[str]]:
    """{"schema.table": [column, ...]} for every CREATE TABLE of the document, in its order.

    Ed-Fi names are lower-cased (PostgreSQL folds the unquoted CamelCase names); the other schemas
    are written in snake_case already."""
    out = {}
    for m in re.finditer(r"CREATE TABLE (\w+)\.(\w+) \((.*?)\n\)", spec, re.S):
        schema, name, body = m.groups()
        cols = []
        for line in body.splitlines():
            line = line.split("--")[0].strip()
            if line and not line.startswith(("CONSTRAINT", "FOREIGN")):
                cols.append(line.split()[0].lower())
        out[f"{schema}.{name.lower() if schema == 'edfi' else name}"] = cols
    return out


def extract(spec_path: Path) -> dict:
    raw = spec_path.read_bytes()
    # "checked_by" names the test that compares this extract with the document; it carries the
    # "reference" marker, so it runs where ../shared is (CI) and skips in a clone alone.
    return {"source": f"../shared/spec/{SPEC_NAME}", "sha256": hashlib.sha256(raw).hexdigest(),
            "checked_by": "tests/integration/test_schema.py", "marker": "reference",
            "tables": design_columns(raw.decode("utf-8"))}


def main(argv: list[str]) -> None:
    spec_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_SPEC
    data = extract(spec_path)
    # one table per line: a change to the design document reads as a one-line diff
    tables = ",\n".join(f"  {json.dumps(t)}: {json.dumps(c)}" for t, c in data["tables"].items())
    head = ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in data.items() if k != "tables")
    OUTPUT.write_text(f'{{\n{head},\n "tables": {{\n{tables}\n }}\n}}\n')
    print(f"{len(data['tables'])} tables written to {OUTPUT}")


if __name__ == "__main__":
    main(sys.argv)
