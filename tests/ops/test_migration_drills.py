"""Drills: migrations on a database full of data, the way a deploy and a rollback run them.

Re-running them is a no-op; the last migration downgrades and upgrades again without losing
curated data; and `flask release` (fly.toml's release_command) lets an older image roll
out over a newer schema instead of failing. tests/test_migrations.py covers base <-> head on
an empty database.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from flask import Flask

from app.extensions import db
from tests.ops.conftest import PROJECT_ROOT, committed_app, libpq_url

MIGRATIONS = PROJECT_ROOT / "migrations"
CORE_TABLES = ("makes", "models", "vehicles", "brands", "parts", "fitments", "fitment_evidence")


def schema(pg_bin: Path, url: str) -> str:
    """The schema as pg_dump prints it (minus the per-run `\\restrict` keys)."""
    text = subprocess.run(
        [str(pg_bin / "pg_dump"), "--schema-only", "--no-owner", f"--dbname={libpq_url(url)}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return "\n".join(
        line for line in text.splitlines() if not line.startswith(("\\restrict", "\\unrestrict"))
    )


def cli(application: Flask, *args: str) -> Any:
    result = application.test_cli_runner().invoke(args=list(args))
    with application.app_context():
        db.engine.dispose()
    return result


def current_revision(application: Flask) -> str:
    with application.app_context():
        revision = db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar()
        db.session.remove()
        db.engine.dispose()
    return str(revision)


def heads() -> tuple[str, str]:
    """(head, the revision before it) of the migrations in the repository."""
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_revision("head")
    assert head is not None and isinstance(head.down_revision, str), "expected a linear chain"
    return head.revision, head.down_revision


def test_rerunning_migrations_changes_nothing(
    demo_database: str, pg_bin: Path, fingerprint: Callable[[str], str]
) -> None:
    application = committed_app(demo_database)
    schema_before, data_before = schema(pg_bin, demo_database), fingerprint(demo_database)

    for command in (["db", "upgrade"], ["release"]):
        result = cli(application, *command)
        assert result.exit_code == 0, result.output

    assert schema(pg_bin, demo_database) == schema_before
    assert fingerprint(demo_database) == data_before
    assert current_revision(application) == heads()[0]


def test_the_last_migration_downgrades_and_upgrades_again_with_the_data(
    demo_database: str, pg_bin: Path, fingerprint: Callable[[str], str]
) -> None:
    """The "roll the schema back one release" step of the bad-deploy runbook."""
    head, previous = heads()
    application = committed_app(demo_database)
    schema_before = schema(pg_bin, demo_database)
    data_before = fingerprint(demo_database).splitlines()

    down = cli(application, "db", "downgrade")
    assert down.exit_code == 0, down.output
    assert current_revision(application) == previous

    up = cli(application, "release")
    assert up.exit_code == 0, up.output
    assert current_revision(application) == head
    assert schema(pg_bin, demo_database) == schema_before
    data_after = fingerprint(demo_database).splitlines()
    kept = [line for line in data_before if line.startswith("verified_")] + [
        line
        for line in data_before
        if line.split("|")[0] in {f"rows:public.{t}" for t in CORE_TABLES}
    ]
    assert len(kept) == len(CORE_TABLES) + 1
    assert set(kept) <= set(data_after)


def _previous_release_migrations(tmp_path: Path) -> Path:
    """The migrations folder as the previous release shipped it: everything but the head."""
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    head = ScriptDirectory(str(copy)).get_revision("head")
    assert head is not None and head.path
    Path(head.path).unlink()
    return copy


def test_an_older_image_rolls_out_over_a_newer_schema(
    demo_database: str, pg_bin: Path, tmp_path: Path
) -> None:
    """Rollback = `fly deploy --image <previous digest>`: its release_command meets a database
    one migration ahead of its code. Plain `db upgrade` would abort the rollback."""
    application = committed_app(demo_database)
    old_code = _previous_release_migrations(tmp_path)
    schema_before = schema(pg_bin, demo_database)

    plain = cli(application, "db", "upgrade", "--directory", str(old_code))
    assert plain.exit_code != 0  # Alembic: "Can't locate revision identified by ..."

    release = cli(application, "release", "--directory", str(old_code))
    assert release.exit_code == 0, release.output
    assert "schema left as it is" in release.output
    assert schema(pg_bin, demo_database) == schema_before
    assert current_revision(application) == heads()[0]


def test_release_on_the_previous_schema_applies_only_the_new_migration(
    demo_database: str, pg_bin: Path, tmp_path: Path
) -> None:
    """The ordinary deploy: the database is one release behind the image being deployed."""
    head, previous = heads()
    application = committed_app(demo_database)
    schema_at_head = schema(pg_bin, demo_database)
    assert cli(application, "db", "downgrade").exit_code == 0
    assert current_revision(application) == previous

    result = cli(application, "release")

    assert result.exit_code == 0, result.output
    assert current_revision(application) == head
    assert schema(pg_bin, demo_database) == schema_at_head
