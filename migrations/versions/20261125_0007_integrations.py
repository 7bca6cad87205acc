"""integrations: outbox, providers, schedules

Revision ID: 0007_integrations
Revises: 0006_curation
Create Date: 2026-11-25 02:30:00

Expand-only (zero downtime): a new table for the retailer providers' circuit breakers, a
nullable column for the digest's "since", and the outbox's due-rows index widened to the
"sending" rows whose lease ran out (a worker killed mid-send).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0007_integrations"
down_revision = "0006_curation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "retailer_provider_states",
        sa.Column("provider", sa.String(length=60), nullable=False),
        sa.Column(
            "state",
            sa.Enum("closed", "open", "half_open", name="state", native_enum=False, create_constraint=True),
            server_default="closed",
            nullable=False,
        ),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), server_default="", nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "last_counts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.CheckConstraint(
            "consecutive_failures >= 0",
            name=op.f("ck_retailer_provider_states_failures_not_negative"),
        ),
        sa.CheckConstraint(
            "state <> 'open' OR opened_at IS NOT NULL",
            name=op.f("ck_retailer_provider_states_open_has_time"),
        ),
        sa.PrimaryKeyConstraint("provider", name=op.f("pk_retailer_provider_states")),
    )
    op.add_column("users", sa.Column("digest_last_sent_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_index("ix_email_outbox_due", table_name="email_outbox")
    op.create_index(
        "ix_email_outbox_due",
        "email_outbox",
        ["next_attempt_at"],
        unique=False,
        postgresql_where="status IN ('pending', 'sending')",
    )
    op.create_index("ix_email_outbox_created_at", "email_outbox", ["created_at"], unique=False)


def downgrade():
    op.drop_index("ix_email_outbox_created_at", table_name="email_outbox")
    op.drop_index("ix_email_outbox_due", table_name="email_outbox")
    op.create_index(
        "ix_email_outbox_due",
        "email_outbox",
        ["next_attempt_at"],
        unique=False,
        postgresql_where="status = 'pending'",
    )
    op.drop_column("users", "digest_last_sent_at")
    op.drop_table("retailer_provider_states")
