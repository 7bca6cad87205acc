"""queue by number of sources: only fitments without exactly one source

Revision ID: 0012_lean_queue_sources_index
Revises: 0011_partial_status_index
Create Date: 2026-11-25 08:00:00

ix_fitments_queue_sources (status, source_count, queue_priority, id) serves the queue's
"number of sources" filter. Every imported fitment starts with one source, so every import
paid for an entry (~1.2 s per 1.5 million new fitments, benchmarks/import_fitments.py)
that the "1 source" filter does not need: one source is the common case, found by walking
ix_fitments_queue in priority order and skipping the few others. The index now holds the
open fitments with 0, 2 or more sources — the ones a walk would have to search for; the
planner proves `source_count = 2` or `>= 3` implies the index's `source_count <> 1`.

Written by hand.
"""
from alembic import op

revision = "0012_lean_queue_sources_index"
down_revision = "0011_partial_status_index"
branch_labels = None
depends_on = None

COLUMNS = "status, source_count, queue_priority, id"
OPEN = "status IN ('unverified', 'needs_review')"


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
    _rebuild("ix_fitments_queue_sources", COLUMNS, f"{OPEN} AND source_count <> 1")


def downgrade():
    _rebuild("ix_fitments_queue_sources", COLUMNS, OPEN)
