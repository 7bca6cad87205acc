"""Read queries behind the public pages: makes, models, years, a bike's parts, a part's bikes.

Every function takes a session first and returns plain frozen dataclasses, so templates never
touch ORM objects (no lazy loads, no N+1) and the pages can later be cached as data. Each page
costs a fixed, small number of indexed queries; only *verified* fitments are ever listed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import CTE, ColumnElement, Select, Text, and_, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import Session, aliased

from app.models import BikeModel, Brand, Category, Fitment, Make, Offer, Part, Retailer, Vehicle
from app.models.vehicles import MIN_YEAR
from app.services.names import mpn_key, name_key, slugify
from app.services.years import compress_years

PENDING_STATUSES = ("unverified", "needs_review")
CATEGORY_SEPARATOR = " \u203a "  # "Brakes > Pads" with a single right-pointing angle quote
UNCATEGORISED = "Other parts"
SIMILARITY_FLOOR = 0.2
YEARS = range(MIN_YEAR, 2101)  # the vehicles.year_range check constraint


# ---------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class MakeRef:
    """A make as a link: display name and URL slug."""

    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A model of a make, enough to name it and build its URLs."""

    id: int
    make: MakeRef
    name: str
    slug: str
    model_code: str | None = None

    @property
    def label(self) -> str:
        """ "Honda CBR600RR"."""
        return f"{self.make.name} {self.name}"


@dataclass(frozen=True, slots=True)
class ModelSummary:
    """A row of a make's model list, with the years we know as a compressed string."""

    name: str
    slug: str
    model_code: str | None
    years: str


@dataclass(frozen=True, slots=True)
class VehicleRef:
    """One vehicle of a model-year; variant and market tell sibling vehicles apart."""

    id: int
    variant: str
    market: str

    @property
    def qualifier(self) -> str:
        """ "ABS (US)", or "" for the plain vehicle."""
        return _qualifier(self.variant, self.market)


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


@dataclass(frozen=True, slots=True)
class CategoryGroup:
    """The parts of one category on a bike page, in display order."""

    path: str
    slug: str | None
    fits: tuple[BikeFit, ...]

    @property
    def count(self) -> int:
        """How many parts the group lists."""
        return len(self.fits)


@dataclass(frozen=True, slots=True)
class BikePage:
    """Everything the bike page shows for one model-year."""

    model: ModelRef
    year: int
    vehicles: tuple[VehicleRef, ...]
    groups: tuple[CategoryGroup, ...]
    pending_count: int

    @property
    def verified_count(self) -> int:
        """Number of verified part listings on the page."""
        return sum(group.count for group in self.groups)

    @property
    def label(self) -> str:
        """ "2015 Honda CBR600RR"."""
        return f"{self.year} {self.model.label}"


@dataclass(frozen=True, slots=True)
class FitLine:
    """One line under a model on a part page: which years, for which variant/position."""

    qualifier: str
    years: str


@dataclass(frozen=True, slots=True)
class ModelFits:
    """The bikes of one model a part fits."""

    name: str
    slug: str
    lines: tuple[FitLine, ...]


@dataclass(frozen=True, slots=True)
class MakeFits:
    """The models of one make a part fits."""

    make: MakeRef
    models: tuple[ModelFits, ...]


@dataclass(frozen=True, slots=True)
class OfferRow:
    """A retailer's price for the part, with the time we last saw it."""

    retailer_name: str
    url: str
    price: Decimal | None
    currency: str
    in_stock: bool | None
    fetched_at: dt.datetime


@dataclass(frozen=True, slots=True)
class PartRef:
    """A part as a link: brand, MPN as written, title."""

    brand_name: str
    brand_slug: str
    mpn: str
    mpn_slug: str
    title: str


@dataclass(frozen=True, slots=True)
class PartPage:
    """Everything the part page shows."""

    part: PartRef
    category_path: str | None
    description: str
    image_url: str | None
    fits: tuple[MakeFits, ...]
    offers: tuple[OfferRow, ...] = field(default=())

    @property
    def bike_count(self) -> int:
        """How many models the part is verified to fit."""
        return sum(len(make.models) for make in self.fits)


# ---------------------------------------------------------------- helpers


def _qualifier(variant: str, market: str, position: str = "") -> str:
    """One short note from position, variant and market: "ABS (US)", "front · ABS", ""."""
    text = " · ".join(word for word in (position, variant) if word)
    if market:
        text = f"{text} ({market})" if text else f"({market})"
    return text


def _sort_element(category: type[Category]) -> ColumnElement[str]:
    """ "1000002brakes": a sibling's position (offset so negatives sort too), then its name."""
    padded = func.lpad(cast(category.position + 1_000_000_000, Text), 11, "0")
    return func.concat(padded, func.lower(category.name), type_=Text)


def category_paths() -> CTE:
    """A recursive CTE of every reachable category: id, slug, "Brakes > Pads" path, sort key.

    The sort key is an array with one element per level, so a parent sorts before its
    children and siblings follow their `position`, then their name.
    """
    roots = (
        select(
            Category.id.label("id"),
            Category.slug.label("slug"),
            cast(Category.name, Text).label("path"),
            array([_sort_element(Category)]).label("sort_key"),
        )
        .where(Category.parent_id.is_(None))
        .cte("category_paths", recursive=True)
    )
    child = aliased(Category)
    return roots.union_all(
        select(
            child.id,
            child.slug,
            func.concat(roots.c.path, CATEGORY_SEPARATOR, child.name, type_=Text),
            func.array_append(roots.c.sort_key, _sort_element(child), type_=ARRAY(Text)),
        ).join(roots, child.parent_id == roots.c.id)
    )


# ---------------------------------------------------------------- makes and models


def makes_with_models(session: Session) -> list[MakeRef]:
    """Makes that have at least one model, by name: the picker's first step."""
    has_model = select(BikeModel.id).where(BikeModel.make_id == Make.id).exists()
    rows = session.execute(select(Make.name, Make.slug).where(has_model).order_by(Make.name))
    return [MakeRef(name, slug) for name, slug in rows]


def find_make(session: Session, slug: str) -> MakeRef | None:
    """The make with this URL slug."""
    row = session.execute(
        select(Make.name, Make.slug).where(Make.slug == slug.strip().lower())
    ).first()
    return MakeRef(*row) if row else None


def resolve_make(session: Session, text: str) -> MakeRef | None:
    """A make from what a picker sent: its slug, or its name in any spelling ("Harley Davidson")."""
    key = name_key(text)
    if not key:
        return None
    row = session.execute(
        select(Make.name, Make.slug)
        .where((Make.slug == slugify(text)) | (Make.name_key == key))
        .order_by((Make.slug == slugify(text)).desc())
        .limit(1)
    ).first()
    return MakeRef(*row) if row else None


def similar_makes(session: Session, text: str, limit: int = 3) -> list[MakeRef]:
    """Makes whose name looks like `text` (trigram similarity), best first: "did you mean"."""
    key = name_key(text)
    if not key:
        return []
    score = func.similarity(Make.name_key, key)
    rows = session.execute(
        select(Make.name, Make.slug)
        .where(score >= SIMILARITY_FLOOR)
        .order_by(score.desc(), Make.name)
        .limit(limit)
    )
    return [MakeRef(name, slug) for name, slug in rows]


def models_of_make(session: Session, make_slug: str) -> list[ModelSummary]:
    """A make's models by name, each with its known years compressed, e.g. "2007-2012, 2014"."""
    years = func.array_remove(func.array_agg(Vehicle.year.distinct()), None)
    rows = session.execute(
        select(BikeModel.name, BikeModel.slug, BikeModel.model_code, years)
        .join(Make, Make.id == BikeModel.make_id)
        .outerjoin(Vehicle, Vehicle.model_id == BikeModel.id)
        .where(Make.slug == make_slug.strip().lower())
        .group_by(BikeModel.id)
        .order_by(BikeModel.name)
    )
    return [
        ModelSummary(name, slug, code, compress_years(model_years or ()))
        for name, slug, code, model_years in rows
    ]


def _model_query(make_slug: str) -> Select[int, str, str, str, str, str | None]:
    """The columns of a ModelRef, for models of one make."""
    return (
        select(
            BikeModel.id, Make.name, Make.slug, BikeModel.name, BikeModel.slug, BikeModel.model_code
        )
        .join(Make, Make.id == BikeModel.make_id)
        .where(Make.slug == make_slug.strip().lower())
    )


def _model_ref(row: Sequence[Any]) -> ModelRef:
    model_id, make_name, make_slug, name, slug, code = row
    return ModelRef(model_id, MakeRef(make_name, make_slug), name, slug, code)


def find_model(session: Session, make_slug: str, model_slug: str) -> ModelRef | None:
    """The model with these URL slugs."""
    row = session.execute(
        _model_query(make_slug).where(BikeModel.slug == model_slug.strip().lower())
    ).first()
    return _model_ref(row) if row else None


def resolve_model(session: Session, make_slug: str, text: str) -> ModelRef | None:
    """A model of the make from what a picker sent: its slug or its name in any spelling."""
    key = name_key(text)
    if not key:
        return None
    slug = slugify(text)
    row = session.execute(
        _model_query(make_slug)
        .where((BikeModel.slug == slug) | (BikeModel.name_key == key))
        .order_by((BikeModel.slug == slug).desc())
        .limit(1)
    ).first()
    return _model_ref(row) if row else None


def similar_models(session: Session, make_slug: str, text: str, limit: int = 5) -> list[ModelRef]:
    """Models of the make whose name looks like `text`, best first."""
    key = name_key(text)
    if not key:
        return []
    score = func.similarity(BikeModel.name_key, key)
    rows = session.execute(
        _model_query(make_slug)
        .where(score >= SIMILARITY_FLOOR)
        .order_by(score.desc(), BikeModel.name)
        .limit(limit)
    )
    return [_model_ref(row) for row in rows]


def model_years(session: Session, model_id: int) -> list[int]:
    """The years we have vehicles for, oldest first."""
    rows = session.scalars(
        select(Vehicle.year).where(Vehicle.model_id == model_id).distinct().order_by(Vehicle.year)
    )
    return list(rows)


# ---------------------------------------------------------------- bike page


def bike_page(session: Session, make_slug: str, model_slug: str, year: int) -> BikePage | None:
    """The verified parts of every vehicle of a model-year, grouped by category; None if unknown.

    Two queries: the vehicles (with each one's count of claims still awaiting a curator,
    counted on the (vehicle_id, status) index) and the verified fitments with their parts.
    """
    if year not in YEARS:
        return None  # also keeps out-of-range numbers away from the SMALLINT column
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
    model = _model_ref(vehicle_rows[0][4:])
    vehicles = tuple(VehicleRef(row[0], row[1], row[2]) for row in vehicle_rows)
    pending_count = sum(row[3] for row in vehicle_rows)

    paths = category_paths()
    fit_rows = session.execute(
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
        )
        .join(Part, Part.id == Fitment.part_id)
        .join(Brand, Brand.id == Part.brand_id)
        .outerjoin(paths, paths.c.id == Part.category_id)
        .where(Fitment.vehicle_id.in_([v.id for v in vehicles]), Fitment.status == "verified")
        .order_by(
            paths.c.sort_key.is_(None),
            paths.c.sort_key,
            Brand.name,
            Part.mpn_key,
            Fitment.position,
        )
    ).all()
    return BikePage(
        model=model,
        year=year,
        vehicles=vehicles,
        groups=_group_bike_fits(fit_rows, vehicles),
        pending_count=pending_count,
    )


@dataclass(slots=True)
class _Listing:
    group: tuple[str, str | None]
    fit: BikeFit
    vehicle_ids: set[int]


def _group_bike_fits(
    rows: Sequence[Sequence[Any]], vehicles: tuple[VehicleRef, ...]
) -> tuple[CategoryGroup, ...]:
    """Fold per-vehicle rows into one listing per part and position, keeping query order.

    When only some vehicles of the year fit (the ABS variant, the EU market), the listing
    says which ones; when all do, it says nothing.
    """
    qualifiers = {v.id: v.qualifier or "base model" for v in vehicles}
    listings: dict[tuple[int, str], _Listing] = {}
    for row in rows:
        (
            vehicle_id,
            part_id,
            position,
            qty,
            note,
            title,
            mpn,
            key,
            brand,
            brand_slug,
            path,
            slug,
        ) = row
        listing = listings.get((part_id, position))
        if listing is None:
            fit = BikeFit(title, brand, brand_slug, mpn, key.lower(), position, qty, note)
            listing = _Listing((path or UNCATEGORISED, slug), fit, set())
            listings[(part_id, position)] = listing
        listing.vehicle_ids.add(vehicle_id)
    groups: dict[tuple[str, str | None], list[BikeFit]] = defaultdict(list)
    for listing in listings.values():
        fit = listing.fit
        if len(listing.vehicle_ids) < len(vehicles):
            only = tuple(sorted(qualifiers[v] for v in listing.vehicle_ids))
            fit = replace(fit, only_for=only)
        groups[listing.group].append(fit)
    return tuple(CategoryGroup(path, slug, tuple(fits)) for (path, slug), fits in groups.items())


# ---------------------------------------------------------------- part page


def part_page(session: Session, brand_slug: str, mpn_slug: str) -> PartPage | None:
    """A part with its offers, and the bikes it is verified to fit; None if unknown.

    Two queries: the part joined to its brand, category path and offers (one row per offer),
    then its verified fitments joined to vehicle, model and make.
    """
    key = mpn_key(mpn_slug)
    if not key:
        return None
    paths = category_paths()
    active_retailer = aliased(Retailer)
    rows = session.execute(
        select(
            Part.id,
            Brand.name,
            Brand.slug,
            Part.mpn,
            Part.mpn_key,
            Part.title,
            paths.c.path,
            Part.description,
            Part.image_url,
            active_retailer.name,
            Offer.url,
            Offer.price,
            Offer.currency,
            Offer.in_stock,
            Offer.fetched_at,
        )
        .join(Brand, Brand.id == Part.brand_id)
        .outerjoin(paths, paths.c.id == Part.category_id)
        .outerjoin(Offer, Offer.part_id == Part.id)
        .outerjoin(
            active_retailer,
            and_(active_retailer.id == Offer.retailer_id, active_retailer.is_active),
        )
        .where(Brand.slug == brand_slug.strip().lower(), Part.mpn_key == key)
        .order_by(Offer.price.asc().nulls_last(), active_retailer.name)
    ).all()
    if not rows:
        return None
    first = rows[0]
    part_id = first[0]
    part = PartRef(first[1], first[2], first[3], first[4].lower(), first[5])
    offers = tuple(
        OfferRow(retailer, url, price, currency, in_stock, fetched_at)
        for *_, retailer, url, price, currency, in_stock, fetched_at in rows
        if retailer is not None
    )
    return PartPage(
        part=part,
        category_path=first[6],
        description=first[7],
        image_url=first[8],
        fits=_part_fits(session, part_id),
        offers=offers,
    )


def _part_fits(session: Session, part_id: int) -> tuple[MakeFits, ...]:
    """Verified bikes of a part: make → model → lines of compressed years per variant/position."""
    rows = session.execute(
        select(
            Make.name,
            Make.slug,
            BikeModel.name,
            BikeModel.slug,
            Vehicle.variant,
            Vehicle.market,
            Fitment.position,
            Vehicle.year,
        )
        .join(Vehicle, Vehicle.id == Fitment.vehicle_id)
        .join(BikeModel, BikeModel.id == Vehicle.model_id)
        .join(Make, Make.id == BikeModel.make_id)
        .where(Fitment.part_id == part_id, Fitment.status == "verified")
        .distinct()
        .order_by(Make.name, BikeModel.name)
    ).all()
    tree: dict[MakeRef, dict[tuple[str, str], dict[str, set[int]]]] = {}
    for make_name, make_slug, model_name, model_slug, variant, market, position, year in rows:
        models = tree.setdefault(MakeRef(make_name, make_slug), {})
        lines = models.setdefault((model_name, model_slug), defaultdict(set))
        lines[_qualifier(variant, market, position)].add(year)
    return tuple(
        MakeFits(
            make,
            tuple(
                ModelFits(
                    name,
                    slug,
                    tuple(
                        FitLine(qualifier, compress_years(years))
                        for qualifier, years in sorted(lines.items())
                    ),
                )
                for (name, slug), lines in models.items()
            ),
        )
        for make, models in tree.items()
    )


def parts_with_mpn(session: Session, mpn_slug: str, limit: int = 5) -> list[PartRef]:
    """Parts of any brand with this normalized MPN: suggestions when a part URL is wrong."""
    key = mpn_key(mpn_slug)
    if not key:
        return []
    rows = session.execute(
        select(Brand.name, Brand.slug, Part.mpn, Part.mpn_key, Part.title)
        .join(Brand, Brand.id == Part.brand_id)
        .where(Part.mpn_key == key)
        .order_by(Brand.name)
        .limit(limit)
    )
    return [PartRef(brand, bslug, mpn, k.lower(), title) for brand, bslug, mpn, k, title in rows]
