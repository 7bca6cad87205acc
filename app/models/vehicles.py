"""Makes, models and vehicles: the ACES-style base vehicle (make + model + year), for bikes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import BY_TRIGGER, Base, created_at_column

MIN_YEAR = 1885  # Daimler Reitwagen: nothing older is a motorcycle


class Make(Base):
    """A motorcycle manufacturer as riders know it (Honda, Harley-Davidson)."""

    __tablename__ = "makes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    name_key: Mapped[str] = mapped_column(String(140), unique=True)
    created_at: Mapped[dt.datetime] = created_at_column()

    models: Mapped[list[BikeModel]] = relationship(
        back_populates="make", order_by="BikeModel.name", passive_deletes=True
    )

    __table_args__ = (
        CheckConstraint("btrim(name) <> ''", name="name_not_blank"),
        CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="slug_format"),
        Index(
            "ix_makes_name_trgm",
            "name_key",
            postgresql_using="gin",
            postgresql_ops={"name_key": "gin_trgm_ops"},
        ),
    )

    def __str__(self) -> str:
        return self.name


class BikeModel(Base):
    """A model line of one make (CBR600RR), with an optional factory model code."""

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(primary_key=True)
    make_id: Mapped[int] = mapped_column(ForeignKey("makes.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    slug: Mapped[str] = mapped_column(String(180))
    name_key: Mapped[str] = mapped_column(String(180))
    model_code: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = created_at_column()

    make: Mapped[Make] = relationship(back_populates="models")
    vehicles: Mapped[list[Vehicle]] = relationship(
        back_populates="model", order_by="Vehicle.year", passive_deletes=True
    )

    __table_args__ = (
        UniqueConstraint("make_id", "slug"),
        UniqueConstraint("make_id", "name_key"),
        CheckConstraint("btrim(name) <> ''", name="name_not_blank"),
        CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="slug_format"),
        Index(
            "ix_models_name_trgm",
            "name_key",
            postgresql_using="gin",
            postgresql_ops={"name_key": "gin_trgm_ops"},
        ),
    )

    def __str__(self) -> str:
        return f"{self.make.name} {self.name}" if self.make else self.name


class Vehicle(Base):
    """One model in one year, optionally a variant ("ABS") and a market ("US")."""

    __tablename__ = "vehicles"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(
        ForeignKey("models.id", ondelete="RESTRICT", info=BY_TRIGGER)
    )
    year: Mapped[int] = mapped_column(SmallInteger)
    variant: Mapped[str] = mapped_column(String(60), default="", server_default="")
    market: Mapped[str] = mapped_column(String(8), default="", server_default="")
    created_at: Mapped[dt.datetime] = created_at_column()

    model: Mapped[BikeModel] = relationship(back_populates="vehicles")

    __table_args__ = (
        UniqueConstraint("model_id", "year", "variant", "market"),
        CheckConstraint(f"year BETWEEN {MIN_YEAR} AND 2100", name="year_range"),
        CheckConstraint("market = upper(market)", name="market_upper"),
        Index("ix_vehicles_year", "year"),  # the verification queue's year filter
    )

    @property
    def label(self) -> str:
        """Rider-facing name: "2015 Honda CBR600RR ABS (US)"."""
        extra = f" {self.variant}" if self.variant else ""
        market = f" ({self.market})" if self.market else ""
        return f"{self.year} {self.model}{extra}{market}"

    def __str__(self) -> str:
        return self.label
