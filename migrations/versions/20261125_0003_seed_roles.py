"""seed the three back-office roles

Revision ID: 0003_seed_roles
Revises: 0002_initial
Create Date: 2026-11-25 01:52:00

Roles are part of the schema's contract (views check them by name), so they ship with it.
"""
from alembic import op

revision = "0003_seed_roles"
down_revision = "0002_initial"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        INSERT INTO roles (name, description) VALUES
          ('admin', 'Users and roles, retailers, digests, read-only switch'),
          ('curator', 'Verifies fitments, merges duplicates, resolves conflicts'),
          ('importer', 'Uploads and commits vendor files and retailer feeds')
        ON CONFLICT (name) DO NOTHING
        """
    )


def downgrade():
    op.execute("DELETE FROM roles WHERE name IN ('admin', 'curator', 'importer')")
