"""What a person reads about a batch: issue rows, the downloadable error CSV, and the CSV
cell guard that keeps spreadsheet formulas from running.

A cell starting with = + - @ (or a tab / carriage return) is prefixed with an apostrophe,
the convention spreadsheets show as plain text; our importers strip that one apostrophe
again, so guarded exports still round-trip.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.adapters.storage import Storage, random_key

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ERROR_HEADER = ("line", "column", "value", "reason", "severity")
ISSUE_SAMPLE = 100


def safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will show, never evaluate."""
    cell = "" if value is None else str(value)
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def write_csv_rows(handle: Any, rows: Iterable[Iterable[Any]]) -> int:
    """Write guarded rows with a CSV writer; returns how many."""
    writer = csv.writer(handle, lineterminator="\r\n")
    count = 0
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        count += 1
    return count


def add_issues(session: Session, issues: Iterable[tuple[Any, ...]]) -> int:
    """Append (line, column, value, reason, severity) issues found in SQL to imp_rows."""
    rows = [
        {
            "line": int(i[0]),
            "column": str(i[1]),
            "value": str(i[2] or "")[:500],
            "reason": str(i[3]),
            "severity": str(i[4]),
        }
        for i in issues
    ]
    if rows:
        session.execute(
            text(
                "INSERT INTO imp_rows (line_no, raw_text, issue_column, issue_value, "
                "issue_reason, severity) VALUES (:line, '', :column, :value, :reason, :severity)"
            ),
            rows,
        )
    return len(rows)


def issue_sample(session: Session, limit: int = ISSUE_SAMPLE) -> list[dict[str, Any]]:
    """The first issues by line, for the preview's table."""
    rows = session.execute(
        text(
            "SELECT line_no AS line, issue_column AS column, issue_value AS value, "
            "issue_reason AS reason, severity FROM imp_rows WHERE issue_reason IS NOT NULL "
            "ORDER BY line_no, severity, issue_column LIMIT :limit"
        ),
        {"limit": limit},
    ).mappings()
    return [dict(row) for row in rows]


def store_error_report(session: Session, storage: Storage) -> str | None:
    """Every issue as a CSV in storage (streamed from the database); None when there are none."""
    result = session.execute(
        text(
            "SELECT line_no, issue_column, issue_value, issue_reason, severity FROM imp_rows "
            "WHERE issue_reason IS NOT NULL ORDER BY line_no, severity, issue_column"
        ),
        execution_options={"stream_results": True, "yield_per": 5000},
    )
    handle, name = tempfile.mkstemp(prefix="import-errors-", suffix=".csv")
    path = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write("\ufeff")  # so Excel opens accented text as UTF-8
            count = write_csv_rows(out, [ERROR_HEADER])
            count += write_csv_rows(out, result)
        if count <= 1:
            return None
        key = random_key("import-errors", ".csv")
        storage.put_file(path, key, "text/csv")
        return key
    finally:
        path.unlink(missing_ok=True)
