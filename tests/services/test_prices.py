"""Price refresh: offers upserted from providers, only on allowed hosts, matched to parts;
one provider failing or slow never holds the others back; the demo's sample feeds work."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters.prices import PriceQuote, RevZillaProvider, RockyMountainProvider
from app.models.aliases import BrandAlias
from app.models.base import utcnow
from app.models.retailers import Offer, ProviderState, Retailer
from app.services import prices
from app.services.names import name_key
from tests.fakes_retailers import fake_retailer
from tests.public import conftest as public_fixtures
from tests.public.conftest import Garage

# The public tests' catalog fixtures, shared rather than copied.
build = public_fixtures.build
garage = public_fixtures.garage


def _retailer(session: Session, name: str, slug: str, host: str) -> Retailer:
    retailer = Retailer(name=name, slug=slug, homepage=f"https://{host}", allowed_hosts=[host])
    session.add(retailer)
    session.flush()
    return retailer


def _quote(sku: str, url: str, mpn: str = "", brand: str = "", price: str = "10.00") -> PriceQuote:
    return PriceQuote(sku=sku, url=url, price=Decimal(price), mpn=mpn, brand=brand, in_stock=True)


def test_quotes_become_offers_only_on_allowed_hosts_and_known_parts(
    db_session: Session, garage: Garage
) -> None:
    shop = _retailer(db_session, "Shop", "shop", "shop.test")
    db_session.add(
        BrandAlias(
            brand_id=garage.filter.brand_id,
            alias="HFF",
            alias_key=name_key("HFF"),
            source="curator",
        )
    )
    db_session.flush()
    now = utcnow()
    counts = prices.apply_quotes(
        db_session,
        shop,
        [
            _quote("S-1", "https://shop.test/pads", mpn="fa 390 hh", brand="EBC brakes"),
            _quote("S-2", "https://shop.test/filter", mpn="HF204RC", brand="HFF"),  # an alias
            _quote("S-3", "https://evil.test/phish", mpn="FA-390HH", brand="EBC Brakes"),
            _quote("S-4", "javascript:alert(1)", mpn="FA-390HH", brand="EBC Brakes"),
            _quote("S-5", "https://shop.test/unknown", mpn="NOPE-1", brand="EBC Brakes"),
        ],
        now=now,
    )

    assert counts == {"received": 5, "updated": 2, "unmatched": 1, "rejected": 2}
    offers = {
        o.sku: o for o in db_session.scalars(select(Offer).where(Offer.retailer_id == shop.id))
    }
    assert offers["S-1"].part_id == garage.pads.id and offers["S-1"].fetched_at == now
    assert offers["S-2"].part_id == garage.filter.id
    assert set(offers) == {"S-1", "S-2"}


def test_a_known_sku_is_updated_in_place(db_session: Session, garage: Garage) -> None:
    shop = _retailer(db_session, "Shop", "shop", "shop.test")
    old = utcnow() - dt.timedelta(days=3)
    db_session.add(
        Offer(
            part_id=garage.pads.id,
            retailer_id=shop.id,
            sku="S-1",
            url="https://shop.test/a",
            price=Decimal("99"),
            fetched_at=old,
        )
    )
    db_session.flush()

    prices.apply_quotes(
        db_session, shop, [_quote("S-1", "https://shop.test/b", price="79.50")], now=utcnow()
    )
    prices.apply_quotes(
        db_session, shop, [_quote("S-1", "https://shop.test/b", price="79.50")], now=utcnow()
    )

    offer = db_session.scalar(select(Offer).where(Offer.retailer_id == shop.id))
    assert offer is not None and offer.price == Decimal("79.50") and offer.url.endswith("/b")
    assert offer.fetched_at > old
    assert (
        db_session.scalar(
            select(func.count()).select_from(Offer).where(Offer.retailer_id == shop.id)
        )
        == 1
    )


def test_a_slow_provider_never_delays_the_others(db_session: Session, garage: Garage) -> None:
    rz = _retailer(db_session, "RevZilla", "revzilla", "www.revzilla.com")
    rm = _retailer(db_session, "Rocky", "rocky-mountain-atv-mc", "www.rockymountainatvmc.com")
    stale = utcnow() - dt.timedelta(days=2)
    for retailer, sku in ((rz, "RZ-1"), (rm, "RM-1")):
        db_session.add(
            Offer(
                part_id=garage.pads.id,
                retailer_id=retailer.id,
                sku=sku,
                url=f"https://{retailer.allowed_hosts[0]}/x",
                price=Decimal("50"),
                fetched_at=stale,
            )
        )
    db_session.flush()

    with fake_retailer() as slow, fake_retailer() as fast:
        slow.mode, slow.delay = "slow", 0.6
        fast.products = {
            "RM-1": {
                "item_number": "RM-1",
                "product_url": "https://www.rockymountainatvmc.com/x",
                "price": "45.00",
                "in_stock": True,
            }
        }
        settings = prices.RefreshSettings(
            timeout=0.25, retries=2, breaker_threshold=5, backoff=0.05
        )
        started = time.monotonic()
        reports = prices.refresh_prices(
            db_session,
            [
                RevZillaProvider(base_url=slow.url, api_key="k"),
                RockyMountainProvider(base_url=fast.url, api_key="k"),
            ],
            settings=settings,
        )
        elapsed = time.monotonic() - started

    assert [r.provider for r in reports] == ["rocky-mountain-atv-mc-api", "revzilla-api"]
    fast_report, slow_report = reports
    assert fast_report.outcome == "ok" and fast_report.counts["updated"] == 1
    assert slow_report.outcome == "failed" and "timeout" in slow_report.error
    assert elapsed < 2.5
    offers = {
        o.sku: o for o in db_session.scalars(select(Offer).where(Offer.sku.in_(["RZ-1", "RM-1"])))
    }
    assert offers["RM-1"].price == Decimal("45.00") and offers["RM-1"].fetched_at > stale
    assert offers["RZ-1"].price == Decimal("50") and offers["RZ-1"].fetched_at == stale  # cached
    state = db_session.get(ProviderState, "revzilla-api")
    assert state is not None and state.consecutive_failures == 1 and state.last_failure_at


def test_a_provider_without_its_retailer_is_skipped(db_session: Session) -> None:
    (report,) = prices.refresh_prices(
        db_session,
        [RevZillaProvider(base_url="http://127.0.0.1:9", api_key="k", retailer_slug="gone")],
        settings=prices.RefreshSettings(),
    )
    assert report.outcome == "no_retailer"


def test_stale_prices_are_flagged() -> None:
    now = utcnow()
    assert prices.is_stale(now - dt.timedelta(hours=49), hours=48, now=now)
    assert not prices.is_stale(now - dt.timedelta(hours=1), hours=48, now=now)


def test_the_demo_shows_prices_from_the_sample_feeds(
    app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded default: no keys, the sample feeds refresh the demo's offers."""
    from app.config import SAMPLE_FEEDS
    from app.services.demo import load_demo
    from app.tasks.prices import run_refresh

    monkeypatch.setitem(app.config, "RETAILER_FEEDS", SAMPLE_FEEDS)
    monkeypatch.setitem(app.config, "RETAILER_REVZILLA_URL", "")
    monkeypatch.setitem(app.config, "RETAILER_ROCKYMOUNTAIN_URL", "")
    load_demo(db_session, parts_count=400)
    before = utcnow()

    reports: list[dict[str, Any]] = run_refresh()

    by_provider = {r["provider"]: r for r in reports}
    assert set(by_provider) == {"revzilla-feed", "rocky-mountain-atv-mc-feed"}
    for report in reports:
        assert report["outcome"] == "ok" and report["unmatched"] == 0 and report["rejected"] == 0
        assert report["updated"] >= 50
    fresh = db_session.scalar(
        select(func.count()).select_from(Offer).where(Offer.fetched_at >= before)
    )
    assert fresh == sum(r["updated"] for r in reports)
