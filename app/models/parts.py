"""Parts: brand + manufacturer part number, unique on the normalized MPN key."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, created_at_column
from app.models.brands import Brand
from app.models.categories import Category


class Part(Base):
    """A part as its manufacturer sells it; `mpn` keeps the original spelling."""

    __tablename__ = "parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="RESTRICT"))
    mpn: Mapped[str] = mapped_column(String(80))
    mpn_key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    image_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    brand: Mapped[Brand] = relationship()
    category: Mapped[Category | None] = relationship()

    __table_args__ = (
        UniqueConstraint("brand_id", "mpn_key"),
        # The key is what makes CM-4401 and "cm 4401" one part: upper case, no separators.
        CheckConstraint(
            "mpn_key <> '' AND mpn_key = upper(mpn_key) AND mpn_key !~ '[[:space:]./-]'",
            name="mpn_key_normalized",
        ),
        CheckConstraint("gtin IS NULL OR gtin ~ '^[0-9]{8,14}$'", name="gtin_digits"),
        Index("ix_parts_mpn_key", "mpn_key"),
        Index(
            "ix_parts_title_trgm",
            "title",
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        ),
    )

    @property
    def mpn_slug(self) -> str:
        """URL segment for the part page: the lower-cased key."""
        return self.mpn_key.lower()

    def __str__(self) -> str:
        brand = self.brand.name if self.brand else ""
        return f"{brand} {self.mpn} — {self.title}".strip()
