"""Parts: brand + manufacturer part number, unique on the normalized MPN key."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import BY_TRIGGER, Base, created_at_column
from app.models.brands import Brand
from app.models.categories import Category

# Full-text document for search (migration 0008): title and MPN weigh most; `brand<id>`
# lets a brand and words meet inside the GIN index. Written as Postgres reflects it, so
# `flask db check` compares it without noise.
SEARCH_VECTOR_SQL = (
    "(((setweight(to_tsvector('english'::regconfig, (COALESCE(title, ''::character varying))"
    "::text), 'A'::\"char\") || setweight(to_tsvector('simple'::regconfig, (((mpn)::text || "
    "' '::text) || (mpn_key)::text)), 'A'::\"char\")) || setweight(to_tsvector("
    "'english'::regconfig, \"left\"(COALESCE(description, ''::text), 1000)), 'C'::\"char\"))"
    " || setweight(to_tsvector('simple'::regconfig, ('brand'::text || brand_id)), 'D'::\"char\"))"
)


class Part(Base):
    """A part as its manufacturer sells it; `mpn` keeps the original spelling."""

    __tablename__ = "parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(
        ForeignKey("brands.id", ondelete="RESTRICT", info=BY_TRIGGER)
    )
    mpn: Mapped[str] = mapped_column(String(80))
    mpn_key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL", info=BY_TRIGGER), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    image_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    search_vector: Mapped[str | None] = mapped_column(
        TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True), deferred=True
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
            "ix_parts_mpn_key_prefix", "mpn_key", postgresql_ops={"mpn_key": "varchar_pattern_ops"}
        ),
        Index("ix_parts_search_vector", "search_vector", postgresql_using="gin"),
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
