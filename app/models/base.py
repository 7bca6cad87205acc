"""Declarative base, naming convention and shared column helpers for every model."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, Enum, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Plain SQLAlchemy base: models never import Flask (see STYLE.md)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


FOREIGN_TABLE_PREFIXES = ("procrastinate_",)
# References enforced per statement by triggers, not per row by a foreign key (migrations
# 0009_set_based_integrity and 0013_one_pass_reference_checks: the same guarantees, a
# million-row import ~17 s faster). The ForeignKey stays for relationships and flush
# order; `flask db check` skips it.
BY_TRIGGER = {"enforced_by": "trigger"}


def include_in_migrations(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic `include_object`: skip tables (and their indexes) that belong to libraries,
    and references the database enforces with triggers instead of foreign keys.

    The job queue's tables come from procrastinate's pinned schema SQL (migration 0004);
    they are not in our metadata, so autogenerate and `flask db check` must not diff them.
    Foreign keys marked `enforced_by: trigger` (BY_TRIGGER) exist only in the models.
    """
    if type_ == "foreign_key_constraint" and not reflected:
        elements = getattr(obj, "elements", ())
        if elements and all(e.info.get("enforced_by") == "trigger" for e in elements):
            return False
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
    return not (reflected and compare_to is None and str(table).startswith(FOREIGN_TABLE_PREFIXES))


def utcnow() -> dt.datetime:
    """Timezone-aware now, for Python-side defaults."""
    return dt.datetime.now(dt.UTC)


def created_at_column() -> Mapped[dt.datetime]:
    """A timezone-aware `created_at` filled by the database."""
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def text_enum(*values: str, name: str) -> Enum:
    """A VARCHAR with a named CHECK constraint: easier to migrate than a native PG enum."""
    return Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(v) for v in values),
        validate_strings=True,
    )
