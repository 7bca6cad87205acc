"""Read queries behind the public pages: makes, models, years, a part's bikes and prices.

Every function takes a session first and returns plain frozen dataclasses, so templates never
touch ORM objects (no lazy loads, no N+1) and pages can be cached as rendered HTML. Each page
costs a fixed, small number of indexed queries; only *verified* fitments are ever listed.
A bike's parts (filters, facets, sorting, pages) live in app.services.bikes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import CTE, ColumnElement, Select, Text, and_, cast, distinct, func, select
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import Session, aliased

from app.models import (
    BikeModel,
    Brand,
    Category,
    Fitment,
    FitmentEvidence,
    Make,
    Offer,
    Part,
    Retailer,
    Vehicle,
)
from app.models.vehicles import MIN_YEAR
from app.services.names import mpn_key, name_key, slugify
from app.services.years import compress_years

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
class FitLine:
    """One line under a model on a part page: which years, for which variant/position."""

    qualifier: str
    years: str
    year_list: tuple[int, ...] = ()


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
    """A retailer's price for the part, with the time we last saw it (links go via /go/<id>)."""

    id: int
    retailer_name: str
    url: str
    price: Decimal | None
    currency: str
    in_stock: bool | None
    fetched_at: dt.datetime

    def is_stale(self, now: dt.datetime, max_age: dt.timedelta) -> bool:
        """True when the price is older than `max_age`: shown with a warning, never hidden."""
        return now - self.fetched_at > max_age


@dataclass(frozen=True, slots=True)
class EvidenceSummary:
    """Why we believe the part's fitments: sources behind its verified fitments."""

    verified_fitments: int = 0
    sources: int = 0  # distinct import files whose rows support a verified fitment
    curator_checks: int = 0
    contradictions: int = 0  # evidence rows that disagree with a verified fitment
    last_verified_at: dt.datetime | None = None


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
    evidence: EvidenceSummary = field(default_factory=EvidenceSummary)
    id: int = 0

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
    """A recursive CTE of every reachable category: id, slug, "Brakes > Pads" path, sort key,
    and the slugs of the category and its ancestors (so a filter on "brakes" finds the pads).

    The sort key is an array with one element per level, so a parent sorts before its
    children and siblings follow their `position`, then their name.
    """
    roots = (
        select(
            Category.id.label("id"),
            Category.slug.label("slug"),
            cast(Category.name, Text).label("path"),
            array([_sort_element(Category)]).label("sort_key"),
            array([cast(Category.slug, Text)]).label("slugs"),
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
            func.array_append(roots.c.slugs, cast(child.slug, Text), type_=ARRAY(Text)),
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


def model_ref(row: Sequence[Any]) -> ModelRef:
    """A ModelRef from the columns of `_model_query` (id, make name and slug, name, slug, code)."""
    model_id, make_name, make_slug, name, slug, code = row
    return ModelRef(model_id, MakeRef(make_name, make_slug), name, slug, code)


def find_model(session: Session, make_slug: str, model_slug: str) -> ModelRef | None:
    """The model with these URL slugs."""
    row = session.execute(
        _model_query(make_slug).where(BikeModel.slug == model_slug.strip().lower())
    ).first()
    return model_ref(row) if row else None


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
    return model_ref(row) if row else None


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
    return [model_ref(row) for row in rows]


def model_years(session: Session, model_id: int) -> list[int]:
    """The years we have vehicles for, oldest first."""
    rows = session.scalars(
        select(Vehicle.year).where(Vehicle.model_id == model_id).distinct().order_by(Vehicle.year)
    )
    return list(rows)


# ---------------------------------------------------------------- part page


def part_page(session: Session, brand_slug: str, mpn_slug: str) -> PartPage | None:
    """A part with its offers, the bikes it is verified to fit and its evidence; None if unknown.

    Three queries: the part joined to its brand, category path and offers (one row per offer),
    its verified fitments joined to vehicle, model and make, and the evidence summary.
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
            Offer.id,
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
        .order_by(Offer.price.asc().nulls_last(), active_retailer.name, Offer.id)
    ).all()
    if not rows:
        return None
    first = rows[0]
    part_id = first[0]
    part = PartRef(first[1], first[2], first[3], first[4].lower(), first[5])
    offers = tuple(
        OfferRow(offer_id, retailer, url, price, currency, in_stock, fetched_at)
        for *_, offer_id, retailer, url, price, currency, in_stock, fetched_at in rows
        if retailer is not None
    )
    return PartPage(
        part=part,
        category_path=first[6],
        description=first[7],
        image_url=first[8],
        fits=_part_fits(session, part_id),
        offers=offers,
        evidence=_evidence_summary(session, part_id),
        id=part_id,
    )


def _evidence_summary(session: Session, part_id: int) -> EvidenceSummary:
    """Counts over the evidence of the part's verified fitments, in one aggregate query."""
    verified = and_(Fitment.part_id == part_id, Fitment.status == "verified")
    supports_import = and_(FitmentEvidence.kind == "import", FitmentEvidence.supports)
    supports_curator = and_(FitmentEvidence.kind == "curator", FitmentEvidence.supports)
    row = session.execute(
        select(
            select(func.count()).where(verified).scalar_subquery(),
            func.count(distinct(FitmentEvidence.import_batch_id)).filter(supports_import),
            func.count().filter(supports_curator),
            func.count().filter(FitmentEvidence.supports.is_(False)),
            select(func.max(Fitment.verified_at)).where(verified).scalar_subquery(),
        )
        .select_from(Fitment)
        .join(FitmentEvidence, FitmentEvidence.fitment_id == Fitment.id)
        .where(verified)
    ).one()
    fitments, sources, checks, contradictions, last_verified = row
    return EvidenceSummary(fitments or 0, sources, checks, contradictions, last_verified)


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
                        FitLine(qualifier, compress_years(years), tuple(sorted(years)))
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
