"""The zero-downtime rule (docs/migrations.md) checked on every migration file: a contract
operation in upgrade() — drop, rename, type change, SET NOT NULL — needs a `# contract:`
comment on the line before it, saying which release stopped using the old shape."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.ops.conftest import PROJECT_ROOT

VERSIONS = sorted((PROJECT_ROOT / "migrations" / "versions").glob("*.py"))
CONTRACT_OPS = {"drop_column", "drop_table", "rename_table"}
CONTRACT_SQL = re.compile(
    r"\bDROP\s+(COLUMN|TABLE)\b|\bRENAME\b|\bSET\s+NOT\s+NULL\b|\bALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b",
    re.IGNORECASE,
)


def contract_calls(source: str) -> list[tuple[int, str]]:
    """(line, description) of each contract operation inside upgrade()."""
    found: list[tuple[int, str]] = []
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.FunctionDef) and node.name == "upgrade"):
            continue
        for call in ast.walk(node):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            name = call.func.attr
            keywords = {kw.arg: kw.value for kw in call.keywords}
            if name in CONTRACT_OPS:
                found.append((call.lineno, name))
            elif name == "alter_column":
                nullable = keywords.get("nullable")
                if "new_column_name" in keywords or "type_" in keywords:
                    found.append((call.lineno, "alter_column (rename/type)"))
                elif isinstance(nullable, ast.Constant) and nullable.value is False:
                    found.append((call.lineno, "alter_column nullable=False"))
            elif name == "execute" and call.args:
                text = " ".join(
                    n.value
                    for n in ast.walk(call.args[0])
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)
                )
                if CONTRACT_SQL.search(text):
                    found.append((call.lineno, "execute(DROP/RENAME/SET NOT NULL/TYPE)"))
    return found


def has_contract_note(lines: list[str], lineno: int) -> bool:
    """A `# contract:` comment on the call's line or in the comment block just above it."""
    if "# contract:" in lines[lineno - 1]:
        return True
    index = lineno - 2
    while index >= 0 and lines[index].strip().startswith("#"):
        if lines[index].strip().startswith("# contract:"):
            return True
        index -= 1
    return False


@pytest.mark.parametrize("path", VERSIONS, ids=[p.name for p in VERSIONS])
def test_contract_operations_are_marked(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    unmarked = [
        f"line {lineno}: {what}"
        for lineno, what in contract_calls(source)
        if not has_contract_note(lines, lineno)
    ]
    assert not unmarked, (
        f"{path.name}: contract operations without a '# contract:' note "
        f"(docs/migrations.md): {unmarked}"
    )


def test_the_checker_sees_what_it_should() -> None:
    """The rule is not vacuous: each kind of contract operation is caught, expand is not."""
    source = """
def upgrade():
    op.add_column("parts", sa.Column("name", sa.String(), nullable=True))
    op.create_index("ix", "parts", ["name"])
    op.drop_column("parts", "title")
    op.alter_column("parts", "name", nullable=False)
    op.alter_column("parts", "name", new_column_name="label")
    op.execute("ALTER TABLE parts ALTER COLUMN name SET NOT NULL")
    # contract: unused since release 12
    op.drop_table("old_things")

def downgrade():
    op.drop_column("parts", "name")
"""
    lines = source.splitlines()
    found = contract_calls(source)
    assert [what for _, what in found] == [
        "drop_column",
        "alter_column nullable=False",
        "alter_column (rename/type)",
        "execute(DROP/RENAME/SET NOT NULL/TYPE)",
        "drop_table",
    ]
    assert [has_contract_note(lines, lineno) for lineno, _ in found] == [
        False,
        False,
        False,
        False,
        True,
    ]
