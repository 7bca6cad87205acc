"""Migrations: they build the schema from nothing, match the models (no drift), and go back down."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.models import Base
from app.models.base import include_in_migrations


def _app_for(url: str) -> Any:
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})


def test_upgrade_matches_models_then_downgrade_and_upgrade_again(fresh_database: Any) -> None:
    application = _app_for(fresh_database("mpp_migrations"))
    with application.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include_in_migrations}
            )
            diff = compare_metadata(context, Base.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            extensions = set(conn.scalars(text("SELECT extname FROM pg_extension")))
            assert {"pg_trgm", "unaccent"} <= extensions
            roles = set(conn.scalars(text("SELECT name FROM roles")))
            assert roles == {"admin", "curator", "importer"}
        upgrade()  # re-running is a no-op
        downgrade(revision="base")
        with db.engine.connect() as conn:
            left = set(
                conn.scalars(
                    text(
                        "SELECT tablename FROM pg_tables"
                        " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                    )
                )
            )
            assert left == set()
        upgrade()
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM roles")) == 3
        db.engine.dispose()


def test_migration_files_carry_their_date() -> None:
    from pathlib import Path

    names = [
        p.name for p in (Path(__file__).parent.parent / "migrations" / "versions").glob("*.py")
    ]
    assert names
    assert all(name[:8].isdigit() and name[8] == "_" for name in names), names
