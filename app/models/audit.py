"""The audit log: who changed what, when, before → after. Rows are never deleted by the app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, created_at_column
from app.models.users import User


class AuditLog(Base):
    """One curator/admin write; `entity` + `entity_id` name the row it touched."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(BigInteger)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    note: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    created_at: Mapped[dt.datetime] = created_at_column()

    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_audit_log_entity", "entity", "entity_id", "created_at"),
        Index("ix_audit_log_created_at", "created_at"),
    )
