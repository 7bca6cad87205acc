"""What the sitemaps list: makes, models, bikes (model-years) and parts, in id blocks.

A sitemap may hold at most 50,000 URLs, so each kind is cut into blocks of ids: block n of
parts is the parts with (id - 1) // size == n. Ids are unique integers, so a block can never
exceed `size` URLs whatever gaps deletes leave; the index lists the blocks between the
smallest and largest id (two index lookups, however big the table). Rows come from a
server-side cursor, so a sitemap streams without being built in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from app.models import BikeModel, Brand, Make, Part, Vehicle

KINDS = ("makes", "models", "bikes", "parts")
STREAM_BATCH = 2000
DRIVING_TABLE: dict[str, Any] = {
    "makes": Make,
    "models": BikeModel,
    "bikes": Vehicle,
    "parts": Part,
}


@dataclass(frozen=True, slots=True)
class SitemapBlock:
    """One sitemap of the index: a kind and a 0-based block number."""

    kind: str
    block: int


def blocks(session: Session, size: int) -> list[SitemapBlock]:
    """Every sitemap the index should list, kind by kind."""
    found: list[SitemapBlock] = []
    for kind in KINDS:
        table = DRIVING_TABLE[kind]
        low, high = session.execute(select(func.min(table.id), func.max(table.id))).one()
        if low is None:
            continue
        first, last = (low - 1) // size, (high - 1) // size
        found.extend(SitemapBlock(kind, block) for block in range(first, last + 1))
    return found


def block_exists(session: Session, kind: str, block: int, size: int) -> bool:
    """True when the block is within the kind's id range (so its sitemap is not a 404)."""
    if kind not in DRIVING_TABLE or block < 0:
        return False
    table = DRIVING_TABLE[kind]
    low, high = session.execute(select(func.min(table.id), func.max(table.id))).one()
    return low is not None and (low - 1) // size <= block <= (high - 1) // size


def _in_block(column: Any, block: int, size: int) -> ColumnElement[bool]:
    return and_(column >= block * size + 1, column <= (block + 1) * size)


def makes(session: Session, block: int, size: int) -> Iterator[tuple[str]]:
    """Slugs of the block's makes that have models."""
    has_model = select(BikeModel.id).where(BikeModel.make_id == Make.id).exists()
    query = select(Make.slug).where(_in_block(Make.id, block, size), has_model).order_by(Make.id)
    for row in session.execute(query, execution_options={"yield_per": STREAM_BATCH}):
        yield (row[0],)


def models(session: Session, block: int, size: int) -> Iterator[tuple[str, str]]:
    """(make slug, model slug) of the block's models."""
    query = (
        select(Make.slug, BikeModel.slug)
        .join(Make, Make.id == BikeModel.make_id)
        .where(_in_block(BikeModel.id, block, size))
        .order_by(BikeModel.id)
    )
    for row in session.execute(query, execution_options={"yield_per": STREAM_BATCH}):
        yield row[0], row[1]


def bikes(session: Session, block: int, size: int) -> Iterator[tuple[str, str, int]]:
    """(make slug, model slug, year) of each model-year whose first vehicle is in the block.

    Variants and markets of one model-year share a page, listed once, in the block of the
    model-year's smallest vehicle id.
    """
    first = (
        select(Vehicle.model_id, Vehicle.year, func.min(Vehicle.id).label("first_id"))
        .group_by(Vehicle.model_id, Vehicle.year)
        .subquery("model_years")
    )
    query = (
        select(Make.slug, BikeModel.slug, first.c.year)
        .join(BikeModel, BikeModel.id == first.c.model_id)
        .join(Make, Make.id == BikeModel.make_id)
        .where(_in_block(first.c.first_id, block, size))
        .order_by(first.c.first_id)
    )
    for row in session.execute(query, execution_options={"yield_per": STREAM_BATCH}):
        yield row[0], row[1], int(row[2])


def parts(session: Session, block: int, size: int) -> Iterator[tuple[str, str, dt.datetime]]:
    """(brand slug, MPN slug, updated_at) of the block's parts."""
    query = (
        select(Brand.slug, Part.mpn_key, Part.updated_at)
        .join(Brand, Brand.id == Part.brand_id)
        .where(_in_block(Part.id, block, size))
        .order_by(Part.id)
    )
    for row in session.execute(query, execution_options={"yield_per": STREAM_BATCH}):
        yield row[0], row[1].lower(), row[2]
