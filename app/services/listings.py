"""Keyset-paginated catalog listings for the read-only JSON API (app/api).

Each function returns up to `limit` rows after a position (`after`, the last key of the
previous page) and whether more follow; the API turns that key into an opaque cursor. Keyset
pages cost the same at page 1 and page 10,000, unlike OFFSET. Unknown parents return None so
the API can answer 404 instead of an empty list. Only *verified* fitments are listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, select, tuple_
from sqlalchemy.orm import Session

from app.models import BikeModel, Brand, Fitment, Make, Offer, Part, Retailer, Vehicle
from app.services.catalog import YEARS, category_paths
from app.services.names import mpn_key

T = TypeVar("T")
MAX_ID = 2**31 - 1  # INTEGER columns: larger ids cannot exist (and must not reach Postgres)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing: items and the key to continue after (None on the last page)."""

    items: list[T]
    next_key: Any = None


@dataclass(frozen=True, slots=True)
class MakeItem:
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class ModelItem:
    make_slug: str
    name: str
    slug: str
    model_code: str | None


@dataclass(frozen=True, slots=True)
class VehicleItem:
    id: int
    make_name: str
    make_slug: str
    model_name: str
    model_slug: str
    year: int
    variant: str
    market: str


@dataclass(frozen=True, slots=True)
class PartItem:
    brand_name: str
    brand_slug: str
    mpn: str
    mpn_slug: str
    title: str
    category: str | None
    description: str = ""
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class VehiclePartItem:
    fitment_id: int
    part: PartItem
    position: str
    qty: int
    note: str


@dataclass(frozen=True, slots=True)
class FitmentItem:
    fitment_id: int
    vehicle: VehicleItem
    position: str
    qty: int
    note: str
    verified_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class OfferItem:
    id: int
    retailer: str
    price: Decimal | None
    currency: str
    in_stock: bool | None
    fetched_at: dt.datetime


def _page(found: Sequence[Any], limit: int, key_of: Any, build: Any) -> Page[Any]:
    more = len(found) > limit
    rows = list(found[:limit])
    return Page([build(row) for row in rows], key_of(rows[-1]) if more and rows else None)


def makes(session: Session, after: str | None, limit: int) -> Page[MakeItem]:
    """Makes with at least one model, by slug."""
    has_model = select(BikeModel.id).where(BikeModel.make_id == Make.id).exists()
    query = select(Make.name, Make.slug).where(has_model).order_by(Make.slug).limit(limit + 1)
    if after is not None:
        query = query.where(Make.slug > after)
    rows = session.execute(query).all()
    return _page(rows, limit, lambda r: r[1], lambda r: MakeItem(r[0], r[1]))


def models(
    session: Session, make_slug: str, after: str | None, limit: int
) -> Page[ModelItem] | None:
    """A make's models by slug; None when the make is unknown."""
    make_id = session.scalar(select(Make.id).where(Make.slug == make_slug.lower()))
    if make_id is None:
        return None
    query = (
        select(BikeModel.name, BikeModel.slug, BikeModel.model_code)
        .where(BikeModel.make_id == make_id)
        .order_by(BikeModel.slug)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(BikeModel.slug > after)
    rows = session.execute(query).all()
    slug = make_slug.lower()
    return _page(rows, limit, lambda r: r[1], lambda r: ModelItem(slug, r[0], r[1], r[2]))


def _vehicle_columns() -> Any:
    return (
        select(
            Vehicle.id,
            Make.name,
            Make.slug,
            BikeModel.name,
            BikeModel.slug,
            Vehicle.year,
            Vehicle.variant,
            Vehicle.market,
        )
        .join(BikeModel, BikeModel.id == Vehicle.model_id)
        .join(Make, Make.id == BikeModel.make_id)
    )


def _vehicle_item(row: Any) -> VehicleItem:
    return VehicleItem(*row[:8])


def vehicles(
    session: Session,
    make_slug: str,
    model_slug: str,
    after: tuple[int, int] | None,
    limit: int,
    *,
    year: int | None = None,
) -> Page[VehicleItem] | None:
    """A model's vehicles by (year, id), optionally one year; None when the model is unknown."""
    model_id = session.scalar(
        select(BikeModel.id)
        .join(Make, Make.id == BikeModel.make_id)
        .where(Make.slug == make_slug.lower(), BikeModel.slug == model_slug.lower())
    )
    if model_id is None:
        return None
    query = (
        _vehicle_columns()
        .where(Vehicle.model_id == model_id)
        .order_by(Vehicle.year, Vehicle.id)
        .limit(limit + 1)
    )
    if year is not None:
        if year not in YEARS:
            return Page([])
        query = query.where(Vehicle.year == year)
    if after is not None:
        query = query.where(tuple_(Vehicle.year, Vehicle.id) > tuple_(*after))
    rows = session.execute(query).all()
    return _page(rows, limit, lambda r: [r[5], r[0]], _vehicle_item)


def vehicle(session: Session, vehicle_id: int) -> VehicleItem | None:
    """One vehicle by id."""
    if not 0 < vehicle_id <= MAX_ID:
        return None
    row = session.execute(_vehicle_columns().where(Vehicle.id == vehicle_id)).first()
    return _vehicle_item(row) if row else None


def _part_columns() -> Any:
    paths = category_paths()
    return (
        select(
            Brand.name,
            Brand.slug,
            Part.mpn,
            Part.mpn_key,
            Part.title,
            paths.c.path,
            Part.description,
            Part.image_url,
        )
        .join(Brand, Brand.id == Part.brand_id)
        .outerjoin(paths, paths.c.id == Part.category_id)
    )


def _part_item(row: Any) -> PartItem:
    brand, brand_slug, mpn, key, title, path, description, image_url = row[:8]
    return PartItem(brand, brand_slug, mpn, key.lower(), title, path, description, image_url)


def vehicle_parts(
    session: Session, vehicle_id: int, after: int | None, limit: int
) -> Page[VehiclePartItem] | None:
    """A vehicle's verified fitments with their parts, by fitment id; None if no vehicle."""
    if vehicle(session, vehicle_id) is None:
        return None
    query = (
        _part_columns()
        .add_columns(Fitment.id, Fitment.position, Fitment.qty, Fitment.note)
        .join(Fitment, Fitment.part_id == Part.id)
        .where(Fitment.vehicle_id == vehicle_id, Fitment.status == "verified")
        .order_by(Fitment.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(Fitment.id > after)
    rows = session.execute(query).all()
    return _page(
        rows,
        limit,
        lambda r: r[8],
        lambda r: VehiclePartItem(r[8], _part_item(r), r[9], r[10], r[11]),
    )


def _part_id(session: Session, brand_slug: str, mpn_slug: str) -> int | None:
    key = mpn_key(mpn_slug)
    if not key:
        return None
    return session.scalar(
        select(Part.id)
        .join(Brand, Brand.id == Part.brand_id)
        .where(Brand.slug == brand_slug.lower(), Part.mpn_key == key)
    )


def part(session: Session, brand_slug: str, mpn_slug: str) -> PartItem | None:
    """One part by brand slug and MPN (any spelling of the number)."""
    part_id = _part_id(session, brand_slug, mpn_slug)
    if part_id is None:
        return None
    row = session.execute(_part_columns().where(Part.id == part_id)).first()
    return _part_item(row) if row else None


def part_fitments(
    session: Session, brand_slug: str, mpn_slug: str, after: int | None, limit: int
) -> Page[FitmentItem] | None:
    """A part's verified fitments with their vehicles, by fitment id; None if no part."""
    part_id = _part_id(session, brand_slug, mpn_slug)
    if part_id is None:
        return None
    query = (
        _vehicle_columns()
        .add_columns(Fitment.id, Fitment.position, Fitment.qty, Fitment.note, Fitment.verified_at)
        .join(Fitment, Fitment.vehicle_id == Vehicle.id)
        .where(Fitment.part_id == part_id, Fitment.status == "verified")
        .order_by(Fitment.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(Fitment.id > after)
    rows = session.execute(query).all()
    return _page(
        rows,
        limit,
        lambda r: r[8],
        lambda r: FitmentItem(r[8], _vehicle_item(r), r[9], r[10], r[11], r[12]),
    )


def part_offers(
    session: Session, brand_slug: str, mpn_slug: str, after: int | None, limit: int
) -> Page[OfferItem] | None:
    """A part's offers from active retailers, by offer id; None if no part."""
    part_id = _part_id(session, brand_slug, mpn_slug)
    if part_id is None:
        return None
    query = (
        select(
            Offer.id,
            Retailer.name,
            Offer.price,
            Offer.currency,
            Offer.in_stock,
            Offer.fetched_at,
        )
        .join(Retailer, and_(Retailer.id == Offer.retailer_id, Retailer.is_active))
        .where(Offer.part_id == part_id)
        .order_by(Offer.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(Offer.id > after)
    rows = session.execute(query).all()
    return _page(rows, limit, lambda r: r[0], lambda r: OfferItem(*r))
