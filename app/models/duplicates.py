"""Duplicate candidates proposed by the dedup scan, awaiting a curator's merge or dismissal."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.aliases import ENTITIES
from app.models.base import Base, created_at_column, text_enum

CANDIDATE_STATUSES = ("open", "merged", "dismissed")


class DuplicateCandidate(Base):
    """A pair of records that may be the same thing, with the score and reason that say why."""

    __tablename__ = "duplicate_candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(text_enum(*ENTITIES, name="entity"))
    left_id: Mapped[int]
    right_id: Mapped[int]
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(
        text_enum(*CANDIDATE_STATUSES, name="status"), default="open", server_default="open"
    )
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        UniqueConstraint("entity", "left_id", "right_id"),
        CheckConstraint("left_id < right_id", name="ordered_pair"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
        Index(
            "ix_duplicate_candidates_open", "entity", "score", postgresql_where="status = 'open'"
        ),
    )
