"""import pipeline: staging, source mappings

Revision ID: 0005_import_pipeline
Revises: 0004_job_queue
Create Date: 2026-11-25 02:30:00

Placeholder in the agreed chain so parallel work never forks Alembic heads; filled in by
the issue that owns it. Zero-downtime rule: expand → migrate data → contract.
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0005_import_pipeline"
down_revision = "0004_job_queue"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
