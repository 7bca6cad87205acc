"""Builders for public-page tests: each test inserts the make/model/vehicles/parts it needs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import pagecache, readonly
from app.models import (
    BikeModel,
    Brand,
    Category,
    Fitment,
    FitmentEvidence,
    ImportBatch,
    Make,
    Offer,
    Part,
    Retailer,
    Vehicle,
)
from app.public import counters
from app.services.names import mpn_key, name_key, slugify

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


class CatalogBuilder:
    """Small, explicit constructors for catalog rows; every call flushes so ids exist."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _add(self, row: Any) -> Any:
        self.session.add(row)
        self.session.flush()
        return row

    def make(self, name: str) -> Make:
        return self._add(Make(name=name, slug=slugify(name), name_key=name_key(name)))

    def model(self, make: Make, name: str, model_code: str | None = None) -> BikeModel:
        return self._add(
            BikeModel(
                make_id=make.id,
                name=name,
                slug=slugify(name),
                name_key=name_key(name),
                model_code=model_code,
            )
        )

    def vehicles(
        self, model: BikeModel, years: Iterable[int], variant: str = "", market: str = ""
    ) -> dict[int, Vehicle]:
        rows = {
            year: Vehicle(model_id=model.id, year=year, variant=variant, market=market)
            for year in years
        }
        self.session.add_all(rows.values())
        self.session.flush()
        return rows

    def brand(self, name: str) -> Brand:
        return self._add(Brand(name=name, slug=slugify(name), name_key=name_key(name)))

    def category(self, name: str, parent: Category | None = None, position: int = 0) -> Category:
        slug = slugify(f"{parent.slug} {name}" if parent else name)
        return self._add(
            Category(
                name=name, slug=slug, parent_id=parent.id if parent else None, position=position
            )
        )

    def part(
        self, brand: Brand, mpn: str, title: str, category: Category | None = None, **extra: Any
    ) -> Part:
        return self._add(
            Part(
                brand_id=brand.id,
                mpn=mpn,
                mpn_key=mpn_key(mpn),
                title=title,
                category_id=category.id if category else None,
                **extra,
            )
        )

    def fit(
        self,
        part: Part,
        vehicles: Iterable[Vehicle],
        status: str = "verified",
        **extra: Any,
    ) -> list[Fitment]:
        rows = [
            Fitment(
                part_id=part.id,
                vehicle_id=vehicle.id,
                status=status,
                verified_at=NOW if status == "verified" else None,
                **extra,
            )
            for vehicle in vehicles
        ]
        self.session.add_all(rows)
        self.session.flush()
        return rows

    def retailer(
        self, name: str, is_active: bool = True, allowed_hosts: list[str] | None = None
    ) -> Retailer:
        slug = slugify(name)
        return self._add(
            Retailer(
                name=name,
                slug=slug,
                homepage=f"https://{slug}.example",
                allowed_hosts=allowed_hosts or [f"{slug}.example"],
                is_active=is_active,
            )
        )

    def batch(self, source: str = "Vendor feed") -> ImportBatch:
        digest = hashlib.sha256(f"{source}-{self.session.info.setdefault('n', 0)}".encode())
        self.session.info["n"] += 1
        return self._add(
            ImportBatch(
                source=source,
                format="fitments",
                filename=f"{slugify(source)}.csv",
                sha256=digest.hexdigest(),
                status="committed",
                committed_at=NOW,
            )
        )

    def evidence(
        self,
        fitment: Fitment,
        batch: ImportBatch | None = None,
        *,
        supports: bool = True,
        note: str = "",
        line_no: int = 1,
    ) -> FitmentEvidence:
        if batch is None:
            return self._add(
                FitmentEvidence(
                    fitment_id=fitment.id,
                    kind="curator",
                    supports=supports,
                    note=note or "Checked the chart",
                )
            )
        return self._add(
            FitmentEvidence(
                fitment_id=fitment.id,
                kind="import",
                supports=supports,
                import_batch_id=batch.id,
                line_no=line_no,
                raw_text="row",
            )
        )

    def offer(
        self,
        part: Part,
        retailer: Retailer,
        price: str | None,
        *,
        in_stock: bool | None = True,
        currency: str = "USD",
        fetched_at: dt.datetime | None = None,
        url: str | None = None,
    ) -> Offer:
        return self._add(
            Offer(
                part_id=part.id,
                retailer_id=retailer.id,
                sku=f"{retailer.slug}-{part.mpn_key}",
                url=url or f"https://{retailer.slug}.example/p/{part.mpn_key}",
                price=Decimal(price) if price is not None else None,
                currency=currency,
                in_stock=in_stock,
                fetched_at=fetched_at or NOW,
            )
        )


@pytest.fixture(autouse=True)
def fresh_public_state(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with an empty page cache and counter buffer, the database marked
    reachable, pages rendered on every request (tests that want saved copies served say so)
    and counters flushed after every request (so tests can read them)."""
    monkeypatch.setitem(app.config, "METRICS_FLUSH_SECONDS", 0)
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 0)
    pagecache.get_cache(app).clear()
    counters.buffer(app).take()
    state = app.extensions[readonly.EXTENSION_KEY]
    state.mark_up()
    state.switched_on = False
    yield
    pagecache.get_cache(app).clear()
    counters.buffer(app).take()
    state.mark_up()
    state.switched_on = False


@pytest.fixture
def build(db_session: Session) -> CatalogBuilder:
    """A CatalogBuilder bound to the test's rolled-back session."""
    return CatalogBuilder(db_session)


@dataclass
class Garage:
    """A ready-made little catalog most page tests share."""

    make: Make
    model: BikeModel
    years: dict[int, Vehicle]
    abs_2015: Vehicle
    pads: Part
    filter: Part
    rejected: Part
    unverified: Part
    disputed: Part


@pytest.fixture
def garage(build: CatalogBuilder) -> Garage:
    """Honda CBR600RR 2012-2020 (+ a 2015 ABS variant), EBC pads verified for 2013-2018 and
    2020, an oil filter verified for 2015 ABS only, and one rejected, one unverified and one
    disputed claim for 2015."""
    honda = build.make("Honda")
    build.make("Zundapp Without Models")
    cbr = build.model(honda, "CBR600RR", model_code="PC40")
    years = build.vehicles(cbr, range(2012, 2021))
    abs_2015 = build.vehicles(cbr, [2015], variant="ABS", market="US")[2015]
    ebc = build.brand("EBC Brakes")
    hiflo = build.brand("Hiflofiltro")
    brakes = build.category("Brakes", position=1)
    pads_cat = build.category("Pads", parent=brakes)
    engine = build.category("Engine", position=2)
    oil = build.category("Oil filters", parent=engine)
    pads = build.part(ebc, "FA-390HH", "Sintered front brake pads", pads_cat)
    build.fit(
        pads,
        [years[y] for y in (2013, 2014, 2015, 2016, 2017, 2018, 2020)] + [abs_2015],
        position="front",
        qty=2,
        note="Two sets needed for twin calipers",
    )
    oil_filter = build.part(hiflo, "HF204RC", "Racing oil filter", oil)
    build.fit(oil_filter, [abs_2015])
    rejected = build.part(ebc, "FA-999", "Rejected rear pads", pads_cat)
    build.fit(rejected, [years[2015]], status="rejected")
    unverified = build.part(ebc, "FA-888", "Unverified rear pads", pads_cat)
    build.fit(unverified, [years[2015]], status="unverified")
    disputed = build.part(hiflo, "HF-777", "Disputed oil filter", oil)
    build.fit(disputed, [years[2015]], status="needs_review")
    return Garage(honda, cbr, years, abs_2015, pads, oil_filter, rejected, unverified, disputed)


@pytest.fixture
def count_queries(db_session: Session) -> Iterator[list[str]]:
    """The SQL statements run on the test's connection while the test body runs."""
    statements: list[str] = []
    connection = db_session.connection()

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    yield statements
    event.remove(connection, "before_cursor_execute", record)


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def assert_no_executable_inline_script(html: str) -> None:
    """Scripts come only from our static files; the only inline blocks are JSON-LD data."""
    for attributes, body in SCRIPT_TAG.findall(html):
        if 'type="application/ld+json"' in attributes:
            json.loads(body)  # data, and valid
            continue
        assert re.search(r'src="/static/[a-z.]+\?v=[0-9a-f]{12}"', attributes), attributes
        assert not body.strip(), body
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE), "inline event handler"
    assert "javascript:" not in html.lower()


def json_ld(html: str) -> list[dict[str, Any]]:
    """The page's JSON-LD blocks, parsed."""
    return [
        json.loads(body)
        for attributes, body in SCRIPT_TAG.findall(html)
        if 'type="application/ld+json"' in attributes
    ]
