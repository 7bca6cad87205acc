"""Import batches: one uploaded file, its mapping, counts and status; every row written by a
batch points back at it so the batch can be previewed, committed and undone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import BY_TRIGGER, Base, created_at_column, text_enum
from app.models.users import User

BATCH_STATUSES = (
    "uploaded",
    "mapped",
    "previewed",
    "committing",
    "committed",
    "failed",
    "undone",
)
IMPORT_FORMATS = ("fitments", "ebay", "retailer_feed", "vehicles", "demo")
CHANGE_ENTITIES = ("make", "model", "brand", "part", "vehicle", "fitment", "offer")
CHANGE_ACTIONS = ("created", "updated", "corroborated")


class ImportBatch(Base):
    """One file as uploaded, with the SHA-256 that says when the same file comes again."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(120))
    # name_key(source): "Vendor X" and "vendor-x" are one source (evidence, remembered mapping).
    source_key: Mapped[str] = mapped_column(String(140), default="", server_default="")
    format: Mapped[str] = mapped_column(text_enum(*IMPORT_FORMATS, name="format"))
    filename: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    status: Mapped[str] = mapped_column(
        text_enum(*BATCH_STATUSES, name="status"), default="uploaded", server_default="uploaded"
    )
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    # Preview/commit/undo details for the wizard: new names, sample diffs, invalid rows.
    report: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    error_report_key: Mapped[str | None] = mapped_column(String(300))
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = created_at_column()
    committed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        CheckConstraint(
            "status <> 'committed' OR committed_at IS NOT NULL", name="committed_has_time"
        ),
        Index("ix_import_batches_created_at", "created_at"),
        Index("ix_import_batches_source_key", "source_key", "status"),
    )

    def __str__(self) -> str:
        return f"#{self.id} {self.source}: {self.filename}"


class ImportSourceMapping(Base):
    """The column mapping a source used last time, offered again for its next file."""

    __tablename__ = "import_source_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_key: Mapped[str] = mapped_column(String(140))
    format: Mapped[str] = mapped_column(text_enum(*IMPORT_FORMATS, name="format"))
    source: Mapped[str] = mapped_column(String(120))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    __table_args__ = (UniqueConstraint("source_key", "format"),)


class ImportChange(Base):
    """What a committed batch did to one catalog row, so undo can take exactly that back.

    `created`: the batch made the row. `updated`: it changed the row (`before` holds the old
    values, `after` the new ones, including a fitment's version). `corroborated`: it only
    added evidence to a fitment that already existed. Fitments a batch created are not
    listed here (a million rows would double the write): they are the fitments with this
    batch's evidence and no `updated`/`corroborated` row.
    """

    __tablename__ = "import_changes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    import_batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE", info=BY_TRIGGER)
    )
    entity: Mapped[str] = mapped_column(text_enum(*CHANGE_ENTITIES, name="entity"))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(text_enum(*CHANGE_ACTIONS, name="action"))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    __table_args__ = (
        Index("ix_import_changes_batch", "import_batch_id", "entity", "action"),
        Index("ix_import_changes_entity", "entity", "entity_id"),
    )
