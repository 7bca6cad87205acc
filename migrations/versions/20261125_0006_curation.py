"""curation: queue columns and indexes, merges (reversible), part aliases

Revision ID: 0006_curation
Revises: 0005_import_pipeline
Create Date: 2026-11-25 02:30:00

Written by hand (0005/0007/0008 are filled in concurrently). Zero-downtime rule: expand →
migrate data → contract. Everything here is an expansion: two NOT NULL columns with
constant defaults (instant on PostgreSQL ≥ 11), new indexes, two new tables.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0006_curation"
down_revision = "0005_import_pipeline"
branch_labels = None
depends_on = None

OPEN = "status IN ('unverified', 'needs_review')"


def upgrade():
    # --- verification queue: sources and priority, indexed per open status ---------------
    op.add_column(
        "fitments", sa.Column("source_count", sa.SmallInteger(), server_default="0", nullable=False)
    )
    op.add_column(
        "fitments", sa.Column("queue_priority", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_fitments_source_count_not_negative"), "fitments", "source_count >= 0"
    )
    op.create_index(
        "ix_fitments_queue",
        "fitments",
        ["status", "queue_priority", "id"],
        unique=False,
        postgresql_where=OPEN,
    )
    op.create_index(
        "ix_fitments_queue_sources",
        "fitments",
        ["status", "source_count", "queue_priority", "id"],
        unique=False,
        postgresql_where=OPEN,
    )
    op.create_index("ix_vehicles_year", "vehicles", ["year"], unique=False)
    # Sources as they stand today (new fitments start at 0 until the queue refresh job).
    op.execute(
        "UPDATE fitments f SET source_count = s.n FROM ("
        " SELECT fitment_id, count(DISTINCT import_batch_id) AS n FROM fitment_evidence"
        " WHERE kind = 'import' AND supports GROUP BY fitment_id) s"
        " WHERE f.id = s.fitment_id AND s.n > 0"
    )

    # --- part aliases: a merged-away (brand, MPN) resolves to the survivor ----------------
    op.create_table(
        "part_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("mpn", sa.String(length=80), nullable=False),
        sa.Column("mpn_key", sa.String(length=80), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "merge", "curator", "import", "reference", name="source", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_part_aliases_brand_id_brands"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["part_id"], ["parts.id"], name=op.f("fk_part_aliases_part_id_parts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part_aliases")),
        sa.UniqueConstraint("brand_id", "mpn_key", name=op.f("uq_part_aliases_brand_id_mpn_key")),
    )
    op.create_index("ix_part_aliases_part_id", "part_aliases", ["part_id"], unique=False)

    # --- merges: the operation log that makes every merge reversible ----------------------
    op.create_table(
        "merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "entity",
            sa.Enum(
                "make", "model", "brand", "part", name="entity", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("merged_label", sa.String(length=300), server_default="", nullable=False),
        sa.Column("survivor_label", sa.String(length=300), server_default="", nullable=False),
        sa.Column("operations", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("note", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("merged_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("survivor_id <> merged_id", name=op.f("ck_merges_two_records")),
        sa.CheckConstraint("undone_by_id IS NULL OR undone_at IS NOT NULL", name=op.f("ck_merges_undone_has_time")),
        sa.ForeignKeyConstraint(["candidate_id"], ["duplicate_candidates.id"], name=op.f("fk_merges_candidate_id_duplicate_candidates"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["merged_by_id"], ["users.id"], name=op.f("fk_merges_merged_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["undone_by_id"], ["users.id"], name=op.f("fk_merges_undone_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merges")),
    )
    op.create_index("ix_merges_created_at", "merges", ["created_at"], unique=False)
    op.create_index("ix_merges_entity_merged", "merges", ["entity", "merged_id"], unique=False)
    op.create_index("ix_merges_entity_survivor", "merges", ["entity", "survivor_id"], unique=False)


def downgrade():
    op.drop_index("ix_merges_entity_survivor", table_name="merges")
    op.drop_index("ix_merges_entity_merged", table_name="merges")
    op.drop_index("ix_merges_created_at", table_name="merges")
    op.drop_table("merges")
    op.drop_index("ix_part_aliases_part_id", table_name="part_aliases")
    op.drop_table("part_aliases")
    op.drop_index("ix_vehicles_year", table_name="vehicles")
    op.drop_index("ix_fitments_queue_sources", table_name="fitments", postgresql_where=OPEN)
    op.drop_index("ix_fitments_queue", table_name="fitments", postgresql_where=OPEN)
    op.drop_constraint(op.f("ck_fitments_source_count_not_negative"), "fitments", type_="check")
    op.drop_column("fitments", "queue_priority")
    op.drop_column("fitments", "source_count")
