"""enable pg_trgm and unaccent

Revision ID: 0001_extensions
Revises:
Create Date: 2026-11-25 01:50:00

Trigram indexes (search, dedup) need pg_trgm; accent-folded matching needs unaccent.
Both ship with Neon and with the embedded PostgreSQL's contrib.
"""
from alembic import op

revision = "0001_extensions"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")


def downgrade():
    op.execute("DROP EXTENSION IF EXISTS unaccent")
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
