"""Retailers, their offers for parts (price, stock, fetched_at) and affiliate clicks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, created_at_column, text_enum
from app.models.parts import Part


class Retailer(Base):
    """A shop we link to (RevZilla); clicks may only redirect to `allowed_hosts`."""

    __tablename__ = "retailers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    homepage: Mapped[str] = mapped_column(String(300))
    allowed_hosts: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint("cardinality(allowed_hosts) > 0", name="has_allowed_host"),
        CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="slug_format"),
    )

    def __str__(self) -> str:
        return self.name


class Offer(Base):
    """A retailer's listing of a part: price, stock and when we last saw them."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id", ondelete="CASCADE"), index=True)
    retailer_id: Mapped[int] = mapped_column(ForeignKey("retailers.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(80))
    url: Mapped[str] = mapped_column(String(1000))
    price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    in_stock: Mapped[bool | None] = mapped_column(Boolean)
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = created_at_column()

    part: Mapped[Part] = relationship()
    retailer: Mapped[Retailer] = relationship()

    __table_args__ = (
        UniqueConstraint("retailer_id", "sku"),
        CheckConstraint("price IS NULL OR price >= 0", name="price_not_negative"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint("url ~* '^https?://'", name="url_http"),
    )

    def __str__(self) -> str:
        return f"{self.retailer} · {self.sku}" if self.retailer else self.sku


class OfferClick(Base):
    """An affiliate click-through (no IP, no user agent kept: only what the metric needs)."""

    __tablename__ = "offer_clicks"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    page: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_at: Mapped[dt.datetime] = created_at_column()

    offer: Mapped[Offer] = relationship()

    __table_args__ = (
        Index("ix_offer_clicks_offer_created", "offer_id", "created_at"),
        Index("ix_offer_clicks_created_at", "created_at"),
    )


class OfferImpression(Base):
    """Daily count of how often an offer was shown; the click-through rate's denominator."""

    __tablename__ = "offer_impressions"

    offer_id: Mapped[int] = mapped_column(
        ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (CheckConstraint("count >= 0", name="count_not_negative"),)


PROVIDER_STATES = ("closed", "open", "half_open")


class ProviderState(Base):
    """A price provider's circuit breaker and last run, shared by every worker.

    `closed` = calls go through; `open` = the provider failed `threshold` times in a row and
    is skipped until `opened_at` + cooldown; `half_open` = one trial call decides.
    """

    __tablename__ = "retailer_provider_states"

    provider: Mapped[str] = mapped_column(String(60), primary_key=True)
    state: Mapped[str] = mapped_column(
        text_enum(*PROVIDER_STATES, name="state"), default="closed", server_default="closed"
    )
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(String(500), default="", server_default="")
    last_success_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")

    __table_args__ = (
        CheckConstraint("consecutive_failures >= 0", name="failures_not_negative"),
        CheckConstraint("state <> 'open' OR opened_at IS NOT NULL", name="open_has_time"),
    )

    def __str__(self) -> str:
        return f"{self.provider} ({self.state})"
