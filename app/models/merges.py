"""Merges of duplicate makes, models, brands and parts, with what it takes to undo them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.aliases import ENTITIES
from app.models.base import Base, created_at_column, text_enum
from app.models.users import User


class Merge(Base):
    """One curator merge: `merged_id` folded into `survivor_id`.

    `operations` is the ordered log of row-level changes the merge made (rows repointed,
    rows deleted with their full contents, rows updated with before/after, aliases inserted),
    which is exactly what unmerging replays backwards. Rows are kept after an undo.
    """

    __tablename__ = "merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(text_enum(*ENTITIES, name="entity"))
    survivor_id: Mapped[int]
    merged_id: Mapped[int]
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("duplicate_candidates.id", ondelete="SET NULL")
    )
    merged_label: Mapped[str] = mapped_column(String(300), default="", server_default="")
    survivor_label: Mapped[str] = mapped_column(String(300), default="", server_default="")
    operations: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default="[]"
    )
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    note: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = created_at_column()
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    merged_by: Mapped[User | None] = relationship(foreign_keys=[merged_by_id])
    undone_by: Mapped[User | None] = relationship(foreign_keys=[undone_by_id])

    __table_args__ = (
        CheckConstraint("survivor_id <> merged_id", name="two_records"),
        CheckConstraint("undone_by_id IS NULL OR undone_at IS NOT NULL", name="undone_has_time"),
        Index("ix_merges_entity_survivor", "entity", "survivor_id"),
        Index("ix_merges_entity_merged", "entity", "merged_id"),
        Index("ix_merges_created_at", "created_at"),
    )

    @property
    def is_undone(self) -> bool:
        """True once the merge has been reversed."""
        return self.undone_at is not None

    def __str__(self) -> str:
        return f"{self.entity} merge #{self.id}: {self.merged_label} → {self.survivor_label}"
