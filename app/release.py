"""`flask release`: what fly.toml's release_command runs before a deploy replaces machines."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from app.config import direct_database_url


def unknown_revisions(directory: str | None = None) -> list[str]:
    """Revisions recorded in the database that this code's migrations do not contain.

    Non-empty means the database is ahead of this release: an older image is being deployed
    (a rollback) after a newer one migrated. Migrations are expand-only (docs/migrations.md),
    so the older code runs on the newer schema; Alembic itself would refuse to start
    ("Can't locate revision"), which is why the release command checks first.
    """
    from alembic.migration import MigrationContext  # CLI only: web workers never load Alembic
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions["migrate"].migrate
    script = ScriptDirectory.from_config(migrate.get_config(directory))
    engine = create_engine(direct_database_url(current_app.config), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()
    known = {revision.revision for revision in script.walk_revisions()}
    return [revision for revision in current if revision not in known]


@click.command("release")
@click.option("--directory", default=None, help="Migrations folder (default: the app's).")
@with_appcontext
def release_command(directory: str | None) -> None:
    """Apply pending migrations on the direct endpoint; leave a newer schema alone (rollback)."""
    from flask_migrate import upgrade

    ahead = unknown_revisions(directory)
    if ahead:
        click.echo(
            f"Database is at {', '.join(ahead)}, newer than this release's migrations: "
            "rollback deploy, schema left as it is (expand-only migrations keep it compatible)."
        )
        return
    upgrade(directory=directory)
    click.echo("Migrations are at head.")
