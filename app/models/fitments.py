"""Fitments (part × vehicle) with their status, and the evidence behind each claim."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import BY_TRIGGER, Base, created_at_column, text_enum
from app.models.parts import Part
from app.models.users import User
from app.models.vehicles import Vehicle

FITMENT_STATUSES = ("unverified", "verified", "rejected", "needs_review")
POSITIONS = ("", "front", "rear", "left", "right", "pair", "set")
EVIDENCE_KINDS = ("import", "curator")


class Fitment(Base):
    """The claim "this part fits this vehicle (at this position)".

    `version` is SQLAlchemy's optimistic lock: an UPDATE with a stale version matches no row
    and raises StaleDataError instead of silently overwriting another curator's change.
    """

    __tablename__ = "fitments"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    part_id: Mapped[int] = mapped_column(
        ForeignKey("parts.id", ondelete="CASCADE", info=BY_TRIGGER)
    )
    vehicle_id: Mapped[int] = mapped_column(
        ForeignKey("vehicles.id", ondelete="CASCADE", info=BY_TRIGGER)
    )
    position: Mapped[str] = mapped_column(
        text_enum(*POSITIONS, name="position"), default="", server_default=""
    )
    qty: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    status: Mapped[str] = mapped_column(
        text_enum(*FITMENT_STATUSES, name="status"),
        default="unverified",
        server_default="unverified",
    )
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", info=BY_TRIGGER)
    )
    verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Verification-queue bookkeeping, refreshed set-based by app.services.queue (never by a
    # curator's edit, so it does not bump `version`): distinct import batches asserting the
    # fitment, and the priority the queue sorts by (bike popularity, then sources).
    source_count: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    queue_priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    part: Mapped[Part] = relationship()
    vehicle: Mapped[Vehicle] = relationship()
    verified_by: Mapped[User | None] = relationship()
    evidence: Mapped[list[FitmentEvidence]] = relationship(
        back_populates="fitment", order_by="FitmentEvidence.id", passive_deletes=True
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012

    __table_args__ = (
        UniqueConstraint("part_id", "vehicle_id", "position"),
        CheckConstraint("qty BETWEEN 1 AND 999", name="qty_range"),
        CheckConstraint(
            "(status = 'verified') = (verified_at IS NOT NULL)", name="verified_has_time"
        ),
        Index("ix_fitments_vehicle_status", "vehicle_id", "status"),
        # Only statuses a curator set: `unverified` (most open fitments, every import's)
        # is found newest first by walking the primary key (migration 0011).
        Index(
            "ix_fitments_status_id",
            "status",
            "id",
            postgresql_where="status <> 'unverified'",
        ),
        CheckConstraint("source_count >= 0", name="source_count_not_negative"),
        # The verification queue: one segment per open status, walked in priority order
        # (keyset pagination), and the same with the "number of sources" filter in front
        # for fitments without exactly one source (one source, the common case, is found
        # by walking the first index: migration 0012).
        Index(
            "ix_fitments_queue",
            "status",
            "queue_priority",
            "id",
            postgresql_where="status IN ('unverified', 'needs_review')",
        ),
        Index(
            "ix_fitments_queue_sources",
            "status",
            "source_count",
            "queue_priority",
            "id",
            postgresql_where="status IN ('unverified', 'needs_review') AND source_count <> 1",
        ),
    )

    def __str__(self) -> str:
        where = f" ({self.position})" if self.position else ""
        return f"{self.part} → {self.vehicle}{where}"


class FitmentEvidence(Base):
    """One source's claim about a fitment: an import row (batch, file, line, raw text) or a
    curator's check. `supports` is false when the source contradicts the fitment."""

    __tablename__ = "fitment_evidence"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # Looked up through uq_fitment_evidence_fitment_id (fitment_id first): no index of its own.
    fitment_id: Mapped[int] = mapped_column(
        ForeignKey("fitments.id", ondelete="CASCADE", info=BY_TRIGGER)
    )
    kind: Mapped[str] = mapped_column(text_enum(*EVIDENCE_KINDS, name="kind"))
    supports: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE", info=BY_TRIGGER), index=True
    )
    line_no: Mapped[int | None] = mapped_column(Integer)
    raw_text: Mapped[str | None] = mapped_column(Text)
    curator_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", info=BY_TRIGGER)
    )
    note: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    created_at: Mapped[dt.datetime] = created_at_column()

    fitment: Mapped[Fitment] = relationship(back_populates="evidence")
    curator: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            "kind <> 'import' OR (import_batch_id IS NOT NULL AND line_no IS NOT NULL)",
            name="import_has_source",
        ),
        CheckConstraint(
            "kind <> 'curator' OR btrim(note) <> '' OR supports", name="rejection_has_note"
        ),
        UniqueConstraint("fitment_id", "import_batch_id", "line_no"),
    )
