"""Drills: migrations and the job worker use DATABASE_DIRECT_URL (Neon's non-pooled endpoint),
the web process DATABASE_URL (the pooled one), and an app pointed elsewhere never inherits it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask_migrate import upgrade

from app import create_app, jobs
from app.extensions import db
from tests.ops.conftest import committed_app, libpq_url

RAN: list[str] = []


@jobs.queue.task(name="tests.ops.note_database", queue="ops-drill")
def note_database(label: str) -> None:
    RAN.append(label)


def _unreachable(url: str) -> str:
    """The same server, a database that does not exist: any connection to it fails."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(database="mpp_no_such_database").render_as_string(hide_password=False)


def test_release_migrates_the_direct_endpoint(fresh_database: Any) -> None:
    direct = str(fresh_database("mpp_direct"))
    application = committed_app(_unreachable(direct), DATABASE_DIRECT_URL=direct)

    result = application.test_cli_runner().invoke(args=["release"])

    assert result.exit_code == 0, result.output
    with psycopg.connect(libpq_url(direct)) as conn:
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        roles = conn.execute("SELECT count(*) FROM roles").fetchone()
    assert version is not None and roles == (3,)


def test_the_worker_listens_on_the_direct_endpoint(fresh_database: Any) -> None:
    direct = str(fresh_database("mpp_direct"))
    setup = committed_app(direct)
    with setup.app_context():
        upgrade()
        job_id = jobs.defer(
            db.session(),
            "tests.ops.note_database",
            args={"label": "direct"},
            queue_name="ops-drill",
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    worker_app = committed_app(_unreachable(direct), DATABASE_DIRECT_URL=direct)
    RAN.clear()
    result = worker_app.test_cli_runner().invoke(args=["worker", "--burst", "--queue", "ops-drill"])

    assert result.exit_code == 0, result.output
    assert RAN == ["direct"]
    with psycopg.connect(libpq_url(direct)) as conn:
        status = conn.execute(
            "SELECT status FROM procrastinate_jobs WHERE id = %s", (job_id,)
        ).fetchone()
    assert status == ("succeeded",)


def test_an_app_pointed_at_another_database_never_inherits_the_direct_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Tests and tools override the database; a DATABASE_DIRECT_URL left in the shell (say,
    production's) must not come along, or `upgrade`/`downgrade` would run against it."""
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_DIRECT_URL", "postgresql://prod.example.invalid/motopartpicker")
    from_env = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql://x/y"})
    assert from_env.config["DATABASE_DIRECT_URL"] == ""

    monkeypatch.setenv("DATABASE_URL", "postgresql://pooler.example.invalid/motopartpicker")
    configured = create_app()
    assert configured.config["DATABASE_DIRECT_URL"] == (
        "postgresql+psycopg://prod.example.invalid/motopartpicker"
    )
