"""Import batches: one uploaded file, its mapping, counts and status; every row written by a
batch points back at it so the batch can be previewed, committed and undone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, created_at_column, text_enum
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


class ImportBatch(Base):
    """One file as uploaded, with the SHA-256 that says when the same file comes again."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(120))
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
    error_report_key: Mapped[str | None] = mapped_column(String(300))
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
    )

    def __str__(self) -> str:
        return f"#{self.id} {self.source}: {self.filename}"
