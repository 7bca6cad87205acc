"""fitments by status and id: only the statuses curators have set

Revision ID: 0011_partial_status_index
Revises: 0010_distinct_key_checks
Create Date: 2026-11-25 07:30:00

ix_fitments_status_id (status, id) served the admin fitment list filtered by a status,
newest first. Every imported fitment is `unverified`, so every import paid for an entry in
it (~0.7 s per 1.5 million fitments, benchmarks/import_fitments.py) that no query needs:
`unverified` is the status of most open fitments, and the list finds its newest ones by
walking the primary key backwards (the queue has its own indexes). The index now holds
only fitments a curator decided (verified, rejected, needs review): the rare statuses a
primary-key walk would have to search for.

Written by hand.
"""
from alembic import op

revision = "0011_partial_status_index"
down_revision = "0010_distinct_key_checks"
branch_labels = None
depends_on = None


def _rebuild(name: str, columns: str, where: str | None) -> None:
    """Replace index `name` by one over `columns` (WHERE `where`) without blocking readers or
    writers of fitments: built CONCURRENTLY under a temporary name (outside the migration's
    transaction), the old one dropped CONCURRENTLY, the new one renamed."""
    temporary = f"{name}_next"
    partial = f" WHERE {where}" if where else ""
    with op.get_context().autocommit_block():
        op.execute("SET lock_timeout = '5s'")  # docs/migrations.md: never queue behind a lock
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {temporary}")  # a failed earlier try
        op.execute(f"CREATE INDEX CONCURRENTLY {temporary} ON fitments ({columns}){partial}")
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        op.execute(f"ALTER INDEX {temporary} RENAME TO {name}")
        op.execute("RESET lock_timeout")


def upgrade():
    _rebuild("ix_fitments_status_id", "status, id", "status <> 'unverified'")


def downgrade():
    _rebuild("ix_fitments_status_id", "status, id", None)
