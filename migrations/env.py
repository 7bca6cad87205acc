"""Alembic environment for Flask-Migrate, using the app's engine directly (no get_engine())."""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from app.models import Base
from app.models.base import include_in_migrations

config = context.config
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name)

target_metadata = Base.metadata


def _engine():  # type: ignore[no-untyped-def]
    """The app's engine, or a one-off engine on DATABASE_DIRECT_URL when that is set.

    Neon's pooled endpoint (PgBouncer, transaction mode) is for the web process; DDL and
    Alembic's version bookkeeping go to the direct endpoint (docs/migrations.md).
    """
    direct_url = current_app.config.get("DATABASE_DIRECT_URL")
    if direct_url:
        return create_engine(direct_url, poolclass=NullPool)
    return current_app.extensions["migrate"].db.engine


def run_migrations_offline() -> None:
    context.configure(
        url=str(_engine().url).replace("%", "%%"),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("compare_type", True)
    conf_args.setdefault("include_object", include_in_migrations)
    with _engine().connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
