"""import pipeline: per-source mappings, the change log undo reads, batch report columns

Revision ID: 0005_import_pipeline
Revises: 0004_job_queue
Create Date: 2026-11-25 02:30:00

Written by hand (0006-0008 are filled in concurrently). Zero-downtime rule: expand → migrate
data → contract. Everything here is an expansion: new tables, nullable or constant-default
columns on import_batches (instant on PostgreSQL ≥ 11), and one new index.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0005_import_pipeline"
down_revision = "0004_job_queue"
branch_labels = None
depends_on = None

FORMATS = ("fitments", "ebay", "retailer_feed", "vehicles", "demo")
ENTITIES = ("make", "model", "brand", "part", "vehicle", "fitment", "offer")
ACTIONS = ("created", "updated", "corroborated")
SEQUENCES = ("fitments_id_seq", "fitment_evidence_id_seq")
SEQUENCE_CACHE = 1000


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def upgrade():
    # --- import_batches: which source (matching key), wizard report, background job ----
    op.add_column(
        "import_batches",
        sa.Column("source_key", sa.String(length=140), server_default="", nullable=False),
    )
    op.add_column(
        "import_batches",
        sa.Column(
            "report",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
    )
    op.add_column("import_batches", sa.Column("job_id", sa.BigInteger(), nullable=True))
    # Existing rows (the demo batch): the key the app computes for plain ASCII names.
    op.execute(
        "UPDATE import_batches SET source_key = regexp_replace(lower(source), '[^0-9a-z]+', '', 'g')"
    )
    op.create_index(
        "ix_import_batches_source_key", "import_batches", ["source_key", "status"], unique=False
    )

    # --- the mapping each source used last time -------------------------------------------
    op.create_table(
        "import_source_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=140), nullable=False),
        sa.Column("format", _enum(FORMATS, "format"), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column(
            "mapping", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_import_source_mappings_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_source_mappings")),
        sa.UniqueConstraint(
            "source_key", "format", name=op.f("uq_import_source_mappings_source_key_format")
        ),
    )

    # --- what each committed batch did, for undo -------------------------------------------
    op.create_table(
        "import_changes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=False),
        sa.Column("entity", _enum(ENTITIES, "entity"), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("action", _enum(ACTIONS, "action"), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batches.id"],
            name=op.f("fk_import_changes_import_batch_id_import_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_changes")),
    )
    op.create_index(
        "ix_import_changes_batch",
        "import_changes",
        ["import_batch_id", "entity", "action"],
        unique=False,
    )
    op.create_index("ix_import_changes_entity", "import_changes", ["entity", "entity_id"], unique=False)

    # Bulk imports take ids a million at a time: with the default CACHE 1 every nextval()
    # locks and logs the sequence (~3 µs each, 4-5 s per million rows). A per-session
    # cache only leaves gaps between sessions, which ids never promised not to have.
    for sequence in SEQUENCES:
        op.execute(f"ALTER SEQUENCE {sequence} CACHE {SEQUENCE_CACHE}")


def downgrade():
    for sequence in SEQUENCES:
        op.execute(f"ALTER SEQUENCE {sequence} CACHE 1")
    op.drop_index("ix_import_changes_entity", table_name="import_changes")
    op.drop_index("ix_import_changes_batch", table_name="import_changes")
    op.drop_table("import_changes")
    op.drop_table("import_source_mappings")
    op.drop_index("ix_import_batches_source_key", table_name="import_batches")
    op.drop_column("import_batches", "job_id")
    op.drop_column("import_batches", "report")
    op.drop_column("import_batches", "source_key")
