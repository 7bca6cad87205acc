"""A bike page's verified parts: one model-year, filtered, faceted, sorted and paged.

Two queries whatever the filters: the model-year's vehicles (with the number of claims still
awaiting a curator) and every verified fitment of those vehicles with its part, brand,
category path and cheapest current offer. A model-year lists tens to a few thousand parts,
so facets, filters, sorting and paging run over that one result in Python; the page is then
cached as rendered HTML (app.pagecache), so this runs once per URL per few minutes.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import Session

from app.models import BikeModel, Brand, Fitment, Make, Offer, Part, Retailer, Vehicle
from app.models.fitments import POSITIONS
from app.services.catalog import (
    UNCATEGORISED,
    YEARS,
    ModelRef,
    VehicleRef,
    category_paths,
    model_ref,
)

PENDING_STATUSES = ("unverified", "needs_review")
SORTS = {
    "category": "Category",
    "brand": "Brand (A\u2013Z)",
    "title": "Name (A\u2013Z)",
    "price": "Price (low to high)",
}
DEFAULT_SORT = "category"
PER_PAGE = 50
MAX_PAGE = 10_000
OTHER_SLUG = "other"  # the filter value of the "Other parts" (uncategorised) group
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class BikeFilters:
    """What the rider asked for in the query string, validated (unknown values are dropped)."""

    category: str = ""
    brand: str = ""
    position: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> BikeFilters:
        """Lenient: anything malformed falls back to "no filter", page 1, default sort."""

        def slug(name: str) -> str:
            value = (args.get(name) or "").strip().lower()[:140]
            return value if SLUG.fullmatch(value) else ""

        position = (args.get("position") or "").strip().lower()
        sort = (args.get("sort") or "").strip().lower()
        page_text = (args.get("page") or "").strip()
        page = int(page_text) if page_text.isdecimal() and len(page_text) <= 5 else 1
        return cls(
            category=slug("category"),
            brand=slug("brand"),
            position=position if position in POSITIONS and position else "",
            sort=sort if sort in SORTS else DEFAULT_SORT,
            page=min(max(page, 1), MAX_PAGE),
        )

    @property
    def is_narrowed(self) -> bool:
        """True when a filter or a non-default sort is applied (pages are then noindex)."""
        return bool(self.category or self.brand or self.position or self.sort != DEFAULT_SORT)

    def args(self, **changes: Any) -> dict[str, str | int]:
        """Query-string values for a link, leaving out defaults (clean, canonical-ish URLs)."""
        merged = replace(self, **changes)
        values: dict[str, str | int] = {
            "category": merged.category,
            "brand": merged.brand,
            "position": merged.position,
            "sort": "" if merged.sort == DEFAULT_SORT else merged.sort,
            "page": merged.page if merged.page > 1 else "",
        }
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True, slots=True)
class BikeFit:
    """A verified part on a bike page; `only_for` lists variants when not all of them fit."""

    part_title: str
    brand_name: str
    brand_slug: str
    mpn: str
    mpn_slug: str
    position: str
    qty: int
    note: str
    only_for: tuple[str, ...] = ()
    category_path: str = UNCATEGORISED
    category_slug: str = OTHER_SLUG
    category_slugs: tuple[str, ...] = (OTHER_SLUG,)
    price: Decimal | None = None
    currency: str = "USD"
    part_id: int = 0


@dataclass(frozen=True, slots=True)
class CategoryGroup:
    """Consecutive parts of one category on the current page, in display order."""

    path: str
    slug: str
    fits: tuple[BikeFit, ...]

    @property
    def count(self) -> int:
        """How many parts the group lists on this page."""
        return len(self.fits)


@dataclass(frozen=True, slots=True)
class Facet:
    """One choice of a filter with the number of the bike's parts it would show."""

    value: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class BikePage:
    """Everything the bike page shows for one model-year and one set of filters."""

    model: ModelRef
    year: int
    vehicles: tuple[VehicleRef, ...]
    pending_count: int
    filters: BikeFilters
    total: int  # verified listings of the bike, before filters
    matched: int  # after filters
    fits: tuple[BikeFit, ...]  # the current page
    categories: tuple[Facet, ...] = ()
    brands: tuple[Facet, ...] = ()
    positions: tuple[Facet, ...] = ()
    per_page: int = PER_PAGE

    @property
    def verified_count(self) -> int:
        """Number of verified part listings of the bike."""
        return self.total

    @property
    def label(self) -> str:
        """ "2015 Honda CBR600RR"."""
        return f"{self.year} {self.model.label}"

    @property
    def page(self) -> int:
        """The page shown (requests past the end show the last page)."""
        return self.filters.page

    @property
    def page_count(self) -> int:
        """Number of pages of matching parts (at least 1)."""
        return max(1, math.ceil(self.matched / self.per_page))

    @property
    def first_index(self) -> int:
        """1-based position of the first part on this page ("showing 51-100 of 230")."""
        return (self.page - 1) * self.per_page + 1 if self.fits else 0

    @property
    def last_index(self) -> int:
        """1-based position of the last part on this page."""
        return (self.page - 1) * self.per_page + len(self.fits)

    @property
    def groups(self) -> tuple[CategoryGroup, ...]:
        """The page's parts under category headings (one heading per run of a category)."""
        groups: list[CategoryGroup] = []
        for fit in self.fits:
            if groups and groups[-1].slug == fit.category_slug:
                last = groups[-1]
                groups[-1] = CategoryGroup(last.path, last.slug, (*last.fits, fit))
            else:
                groups.append(CategoryGroup(fit.category_path, fit.category_slug, (fit,)))
        return tuple(groups)


@dataclass(slots=True)
class _Listing:
    fit: BikeFit
    vehicle_ids: set[int]


def bike_page(
    session: Session,
    make_slug: str,
    model_slug: str,
    year: int,
    filters: BikeFilters | None = None,
    *,
    per_page: int = PER_PAGE,
) -> BikePage | None:
    """The verified parts of every vehicle of a model-year, filtered and paged; None if unknown."""
    if year not in YEARS:
        return None  # also keeps out-of-range numbers away from the SMALLINT column
    filters = filters or BikeFilters()
    pending = (
        select(func.count())
        .where(Fitment.vehicle_id == Vehicle.id, Fitment.status.in_(PENDING_STATUSES))
        .scalar_subquery()
    )
    vehicle_rows = session.execute(
        select(
            Vehicle.id,
            Vehicle.variant,
            Vehicle.market,
            pending,
            BikeModel.id,
            Make.name,
            Make.slug,
            BikeModel.name,
            BikeModel.slug,
            BikeModel.model_code,
        )
        .join(BikeModel, BikeModel.id == Vehicle.model_id)
        .join(Make, Make.id == BikeModel.make_id)
        .where(
            Make.slug == make_slug.strip().lower(),
            BikeModel.slug == model_slug.strip().lower(),
            Vehicle.year == year,
        )
        .order_by(Vehicle.variant, Vehicle.market)
    ).all()
    if not vehicle_rows:
        return None
    vehicles = tuple(VehicleRef(row[0], row[1], row[2]) for row in vehicle_rows)
    return _page_of(
        model=model_ref(vehicle_rows[0][4:]),
        year=year,
        vehicles=vehicles,
        pending_count=sum(row[3] for row in vehicle_rows),
        fits=_verified_listings(session, vehicles),
        filters=filters,
        per_page=per_page,
    )


def _verified_listings(session: Session, vehicles: tuple[VehicleRef, ...]) -> list[BikeFit]:
    """One listing per (part, position), in category order, with its cheapest active offer."""
    paths = category_paths()
    best_offer = (
        select(Offer.price.label("price"), Offer.currency.label("currency"))
        .join(Retailer, and_(Retailer.id == Offer.retailer_id, Retailer.is_active))
        .where(Offer.part_id == Part.id, Offer.price.is_not(None))
        .order_by(Offer.price)
        .limit(1)
        .lateral("best_offer")
    )
    rows = session.execute(
        select(
            Fitment.vehicle_id,
            Fitment.part_id,
            Fitment.position,
            Fitment.qty,
            Fitment.note,
            Part.title,
            Part.mpn,
            Part.mpn_key,
            Brand.name,
            Brand.slug,
            paths.c.path,
            paths.c.slug,
            paths.c.slugs,
            best_offer.c.price,
            best_offer.c.currency,
        )
        .join(Part, Part.id == Fitment.part_id)
        .join(Brand, Brand.id == Part.brand_id)
        .outerjoin(paths, paths.c.id == Part.category_id)
        .outerjoin(best_offer, true())
        .where(Fitment.vehicle_id.in_([v.id for v in vehicles]), Fitment.status == "verified")
        .order_by(
            paths.c.sort_key.is_(None),
            paths.c.sort_key,
            Brand.name,
            Part.mpn_key,
            Fitment.position,
        )
    ).all()
    return _fold_vehicles(rows, vehicles)


def _fold_vehicles(
    rows: Sequence[Sequence[Any]], vehicles: tuple[VehicleRef, ...]
) -> list[BikeFit]:
    """Fold per-vehicle rows into one listing per part and position, keeping query order.

    When only some vehicles of the year fit (the ABS variant, the EU market), the listing
    says which ones; when all do, it says nothing.
    """
    qualifiers = {v.id: v.qualifier or "base model" for v in vehicles}
    listings: dict[tuple[int, str], _Listing] = {}
    for row in rows:
        (vehicle_id, part_id, position, qty, note, title, mpn, key, brand, brand_slug) = row[:10]
        path, slug, slugs, price, currency = row[10:]
        listing = listings.get((part_id, position))
        if listing is None:
            fit = BikeFit(
                part_title=title,
                brand_name=brand,
                brand_slug=brand_slug,
                mpn=mpn,
                mpn_slug=key.lower(),
                position=position,
                qty=qty,
                note=note,
                category_path=path or UNCATEGORISED,
                category_slug=slug or OTHER_SLUG,
                category_slugs=tuple(slugs or (OTHER_SLUG,)),
                price=price,
                currency=currency or "USD",
                part_id=part_id,
            )
            listing = _Listing(fit, set())
            listings[(part_id, position)] = listing
        listing.vehicle_ids.add(vehicle_id)
    fits = []
    for listing in listings.values():
        fit = listing.fit
        if len(listing.vehicle_ids) < len(vehicles):
            only = tuple(sorted(qualifiers[v] for v in listing.vehicle_ids))
            fit = replace(fit, only_for=only)
        fits.append(fit)
    return fits


def _facets(fits: Sequence[BikeFit]) -> tuple[tuple[Facet, ...], ...]:
    """Category (in display order), brand (A-Z) and position choices with their counts."""
    categories: dict[str, Facet] = {}
    brands: dict[str, list[Any]] = {}
    positions: dict[str, int] = defaultdict(int)
    for fit in fits:
        found = categories.get(fit.category_slug)
        count = found.count + 1 if found else 1
        categories[fit.category_slug] = Facet(fit.category_slug, fit.category_path, count)
        brands.setdefault(fit.brand_slug, [fit.brand_name, 0])[1] += 1
        if fit.position:
            positions[fit.position] += 1
    brand_facets = sorted(
        (Facet(slug, name, n) for slug, (name, n) in brands.items()),
        key=lambda facet: facet.label.lower(),
    )
    position_facets = [Facet(p, p.capitalize(), positions[p]) for p in POSITIONS if p in positions]
    return tuple(categories.values()), tuple(brand_facets), tuple(position_facets)


def _sorted(fits: list[BikeFit], sort: str) -> list[BikeFit]:
    if sort == "brand":
        return sorted(fits, key=lambda f: (f.brand_name.lower(), f.part_title.lower(), f.mpn))
    if sort == "title":
        return sorted(fits, key=lambda f: (f.part_title.lower(), f.brand_name.lower(), f.mpn))
    if sort == "price":
        return sorted(
            fits, key=lambda f: (f.price is None, f.price or 0, f.part_title.lower(), f.mpn)
        )
    return fits  # "category": the query's order


def _page_of(
    *,
    model: ModelRef,
    year: int,
    vehicles: tuple[VehicleRef, ...],
    pending_count: int,
    fits: list[BikeFit],
    filters: BikeFilters,
    per_page: int,
) -> BikePage:
    categories, brands, positions = _facets(fits)
    matching = [
        fit
        for fit in fits
        if (not filters.category or filters.category in fit.category_slugs)
        and (not filters.brand or fit.brand_slug == filters.brand)
        and (not filters.position or fit.position == filters.position)
    ]
    matching = _sorted(matching, filters.sort)
    page_count = max(1, math.ceil(len(matching) / per_page))
    filters = replace(filters, page=min(filters.page, page_count))
    start = (filters.page - 1) * per_page
    return BikePage(
        model=model,
        year=year,
        vehicles=vehicles,
        pending_count=pending_count,
        filters=filters,
        total=len(fits),
        matched=len(matching),
        fits=tuple(matching[start : start + per_page]),
        categories=categories,
        brands=tuple(brands),
        positions=positions,
        per_page=per_page,
    )
