"""Aliases for makes, models, brands and parts, and "these two are NOT the same" judgements."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, created_at_column, text_enum
from app.models.brands import Brand
from app.models.parts import Part
from app.models.vehicles import BikeModel, Make

ALIAS_SOURCES = ("merge", "curator", "import", "reference")
ENTITIES = ("make", "model", "brand", "part")


class MakeAlias(Base):
    """Another spelling of a make that imports resolve to it (HARLEY DAVIDSON → Harley-Davidson)."""

    __tablename__ = "make_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    make_id: Mapped[int] = mapped_column(ForeignKey("makes.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(140))
    alias_key: Mapped[str] = mapped_column(String(140), unique=True)
    source: Mapped[str] = mapped_column(text_enum(*ALIAS_SOURCES, name="source"))
    created_at: Mapped[dt.datetime] = created_at_column()

    make: Mapped[Make] = relationship()


class ModelAlias(Base):
    """Another spelling of a model within its make (CBR 600 RR → CBR600RR)."""

    __tablename__ = "model_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), index=True)
    make_id: Mapped[int] = mapped_column(ForeignKey("makes.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(180))
    alias_key: Mapped[str] = mapped_column(String(180))
    source: Mapped[str] = mapped_column(text_enum(*ALIAS_SOURCES, name="source"))
    created_at: Mapped[dt.datetime] = created_at_column()

    model: Mapped[BikeModel] = relationship()

    __table_args__ = (UniqueConstraint("make_id", "alias_key"),)


class BrandAlias(Base):
    """Another spelling of a part brand (E.B.C. → EBC Brakes)."""

    __tablename__ = "brand_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(140))
    alias_key: Mapped[str] = mapped_column(String(140), unique=True)
    source: Mapped[str] = mapped_column(text_enum(*ALIAS_SOURCES, name="source"))
    created_at: Mapped[dt.datetime] = created_at_column()

    brand: Mapped[Brand] = relationship()


class NotSameJudgement(Base):
    """A curator's ruling that two records are different things; dedup never proposes them again.

    Stored with the smaller id first so a pair has one row whichever way it was judged.
    """

    __tablename__ = "not_same_judgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(text_enum(*ENTITIES, name="entity"))
    left_id: Mapped[int]
    right_id: Mapped[int]
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    judged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        UniqueConstraint("entity", "left_id", "right_id"),
        CheckConstraint("left_id < right_id", name="ordered_pair"),
    )


class PartAlias(Base):
    """Another (brand, MPN) that names a part: written when two parts are merged, so the next
    import of the merged-away spelling lands on the survivor."""

    __tablename__ = "part_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id", ondelete="CASCADE"), index=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    mpn: Mapped[str] = mapped_column(String(80))
    mpn_key: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(text_enum(*ALIAS_SOURCES, name="source"))
    created_at: Mapped[dt.datetime] = created_at_column()

    part: Mapped[Part] = relationship()

    __table_args__ = (UniqueConstraint("brand_id", "mpn_key"),)
