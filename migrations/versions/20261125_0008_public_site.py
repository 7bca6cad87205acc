"""public site: search indexes, page cache

Revision ID: 0008_public_site
Revises: 0007_integrations
Create Date: 2026-11-25 02:30:00

Placeholder in the agreed chain so parallel work never forks Alembic heads; filled in by
the issue that owns it. Zero-downtime rule: expand → migrate data → contract.
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0008_public_site"
down_revision = "0007_integrations"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
