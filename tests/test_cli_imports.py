"""`flask import …` through Flask's real CLI runner: run (dry and real), commit, undo,
errors and export."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Fitment, ImportBatch

SHEET = (
    "Part Number,Brand,Make,Model,Years,Position\r\n"
    "FA-390HH,EBC Brakes,Honda,CBR600RR,2015-18,front\r\n"
    "X1,EBC Brakes,Yamaha,MT-09,2030,front\r\n"
)


def fitments(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Fitment)) or 0)


def test_dry_run_previews_then_commit_and_undo(
    app: Flask, db_session: Session, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    path = tmp_path / "ebc.csv"
    path.write_text(SHEET)

    dry = runner.invoke(args=["import", "run", str(path), "--source", "EBC", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "4 new fitments" in dry.output or "new 4" in dry.output
    assert "line 3 · Years · error: 2030 is after next year" in dry.output
    assert "Nothing was written" in dry.output
    assert fitments(db_session) == 0
    batch = db_session.scalars(select(ImportBatch)).one()
    assert batch.status == "previewed"

    committed = runner.invoke(args=["import", "commit", str(batch.id)])
    assert committed.exit_code == 0, committed.output
    assert fitments(db_session) == 4

    errors = runner.invoke(args=["import", "errors", str(batch.id)])
    assert errors.exit_code == 0
    assert "3,Years,2030,2030 is after next year (2027),error" in errors.output

    assert waiting_refreshes(db_session) == 1  # curation's refresh queued for the worker

    undone = runner.invoke(args=["import", "undo", str(batch.id)])
    assert undone.exit_code == 0, undone.output
    assert "4 fitments removed" in undone.output
    assert fitments(db_session) == 0
    assert waiting_refreshes(db_session) == 1  # still one: it will see the undo too


def waiting_refreshes(session: Session) -> int:
    from sqlalchemy import text

    return int(
        session.execute(
            text(
                "SELECT count(*) FROM procrastinate_jobs "
                "WHERE task_name = 'curation.refresh_queue' AND status = 'todo'"
            )
        ).scalar_one()
    )


def test_run_with_column_overrides_and_export(
    app: Flask, db_session: Session, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    path = tmp_path / "odd.csv"
    path.write_text("Item;Bike Make;Bike Model;Model Year\r\nA-1;Honda;CB500F;2019-2020\r\n")

    result = runner.invoke(
        args=[
            "import",
            "run",
            str(path),
            "--source",
            "Odd",
            "--format",
            "fitments",
            "--map",
            "mpn=Item",
            "--default",
            "brand=Acme",
        ]
    )
    assert result.exit_code == 0, result.output
    assert fitments(db_session) == 2

    out = tmp_path / "export.csv"
    exported = runner.invoke(args=["import", "export", "--brand", "acme", "--output", str(out)])
    assert exported.exit_code == 0, exported.output
    assert "Exported 1 rows (brand acme)" in exported.output
    assert (
        out.read_text().splitlines()[1].startswith("Acme,A-1,Acme A-1,,Honda,CB500F,2019\u20132020")
    )


def test_problems_are_clear_errors_not_tracebacks(
    app: Flask, db_session: Session, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")

    result = runner.invoke(args=["import", "run", str(empty), "--source", "X"])
    assert result.exit_code == 1
    assert "Error: The file is empty." in result.output
    assert (
        runner.invoke(args=["import", "undo", "999"]).output.strip()
        == "Error: No import batch #999."
    )
    bad = runner.invoke(args=["import", "export", "--status", "maybe"])
    assert "Unknown status 'maybe'" in bad.output
