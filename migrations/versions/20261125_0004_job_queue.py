"""procrastinate job queue schema (pinned copy of procrastinate 3.10.0's schema.sql)

Revision ID: 0004_job_queue
Revises: 0003_seed_roles
Create Date: 2026-11-25 02:05:00

The worker's queue lives in Postgres (no new infrastructure). The SQL is a reviewed copy kept
in migrations/sql so this migration never changes when the library is upgraded; later
procrastinate releases ship their own upgrade SQL, applied in later migrations.
"""
from pathlib import Path

from alembic import op

revision = "0004_job_queue"
down_revision = "0003_seed_roles"
branch_labels = None
depends_on = None

SCHEMA = Path(__file__).resolve().parent.parent / "sql" / "procrastinate_3.10.0_schema.sql"


def upgrade():
    # Straight to the driver with no parameters, so its % and :name text go verbatim
    # (still inside Alembic's transaction: same connection).
    with op.get_bind().connection.dbapi_connection.cursor() as cursor:
        cursor.execute(SCHEMA.read_text(encoding="utf-8"))


def downgrade():
    op.execute(
        """
        DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
            procrastinate_jobs, procrastinate_workers CASCADE;
        DROP TYPE IF EXISTS procrastinate_job_event_type, procrastinate_job_status,
            procrastinate_job_to_defer_v1 CASCADE;
        DO $$
        DECLARE f record;
        BEGIN
          FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
                   JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
          LOOP
            EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE';
          END LOOP;
        END $$;
        """
    )
