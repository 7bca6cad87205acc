"""The email outbox: every email is a row first (same transaction as its cause), then sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, String, Text, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column, text_enum

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


class EmailOutbox(Base):
    """One email; `idempotency_key` goes to Resend so a retry never sends twice.

    pending → sending (claimed, `next_attempt_at` is the lease's end) → sent | failed; a
    retryable error puts it back to pending with `next_attempt_at` pushed out (backoff).
    """

    __tablename__ = "email_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[Any] = mapped_column(
        Uuid, unique=True, server_default=func.gen_random_uuid()
    )
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    status: Mapped[str] = mapped_column(
        text_enum(*OUTBOX_STATUSES, name="status"), default="pending", server_default="pending"
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_error: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    provider_message_id: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = created_at_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        # Due rows: pending ones, and "sending" ones whose lease ran out (a worker died
        # mid-send); the sender claims them with FOR UPDATE SKIP LOCKED.
        Index(
            "ix_email_outbox_due",
            "next_attempt_at",
            postgresql_where="status IN ('pending', 'sending')",
        ),
        Index("ix_email_outbox_created_at", "created_at"),
    )
