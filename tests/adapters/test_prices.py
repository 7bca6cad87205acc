"""Price providers: HTTP APIs against fake retailers on loopback, datafeeds (CSV/XML), and
the guard every call goes through (timeouts, retries with jitter, breaker, rate limit)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.adapters.prices import (
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    DatafeedProvider,
    Guard,
    ProviderError,
    RateLimiter,
    RevZillaProvider,
    RockyMountainProvider,
    WantedItem,
    from_config,
    parse_feeds,
    parse_price,
    parse_stock,
)
from app.config import PROJECT_ROOT, SAMPLE_FEEDS
from tests.fakes_retailers import FakeRetailer, fake_retailer

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def _guard(
    clock: Clock | None = None, *, threshold: int = 3, timeout: float = 2.0, retries: int = 2
) -> Guard:
    return Guard(
        breaker=CircuitBreaker(
            BreakerState(), threshold=threshold, cooldown=300, clock=clock or Clock()
        ),
        limiter=RateLimiter(0),
        timeout=timeout,
        retries=retries,
        backoff=0.01,
        rng=random.Random(1),
    )


@pytest.fixture
def retailer() -> Iterator[FakeRetailer]:
    with fake_retailer() as fake:
        yield fake


def _revzilla_product(sku: str, amount: str = "89.99") -> dict[str, object]:
    return {
        "sku": sku,
        "mpn": "FA-390HH",
        "brand": "EBC Brakes",
        "name": "Sintered pads",
        "url": f"https://www.revzilla.com/p/{sku}",
        "price": {"amount": amount, "currency": "USD"},
        "availability": "in_stock",
    }


def test_revzilla_maps_products_and_sends_its_key(retailer: FakeRetailer) -> None:
    retailer.products = {f"RZ-{n}": _revzilla_product(f"RZ-{n}") for n in range(120)}
    provider = RevZillaProvider(base_url=retailer.url, api_key="rz-key")

    batches = list(provider.fetch([WantedItem(sku=f"RZ-{n}") for n in range(120)], _guard()))

    assert [len(b) for b in batches] == [50, 50, 20]  # 50 SKUs per request
    quote = batches[0][0]
    assert quote.sku == "RZ-0" and quote.price == Decimal("89.99") and quote.in_stock is True
    assert quote.mpn == "FA-390HH" and quote.brand == "EBC Brakes"
    assert retailer.headers_seen[0]["authorization"] == "Bearer rz-key"


def test_rocky_mountain_maps_items_and_sends_its_key(retailer: FakeRetailer) -> None:
    retailer.products = {
        "RM-1": {
            "item_number": "RM-1",
            "manufacturer_part_number": "HF204RC",
            "brand": "Hiflofiltro",
            "description": "Oil filter",
            "product_url": "https://www.rockymountainatvmc.com/p/RM-1",
            "price": 12.5,
            "currency_code": "USD",
            "in_stock": False,
        }
    }
    provider = RockyMountainProvider(base_url=retailer.url, api_key="rm-key")

    (batch,) = list(provider.fetch([WantedItem(sku="RM-1")], _guard()))

    assert batch[0].price == Decimal("12.50") and batch[0].in_stock is False
    assert batch[0].mpn == "HF204RC"
    assert retailer.headers_seen[0]["x-api-key"] == "rm-key"


def test_a_500_is_retried_then_counts_as_one_failure(retailer: FakeRetailer) -> None:
    retailer.mode = "error"
    guard = _guard(retries=2)

    with pytest.raises(ProviderError, match="HTTP 500"):
        list(RevZillaProvider(base_url=retailer.url, api_key="k").fetch([WantedItem("A")], guard))

    assert retailer.calls == 3  # first try + 2 retries
    assert guard.breaker.state.failures == 1 and guard.breaker.state.state == "closed"


def test_a_timeout_is_a_failure(retailer: FakeRetailer) -> None:
    retailer.mode, retailer.delay = "slow", 1.0
    with pytest.raises(ProviderError, match="timeout"):
        list(
            RevZillaProvider(base_url=retailer.url, api_key="k").fetch(
                [WantedItem("A")], _guard(timeout=0.2, retries=0)
            )
        )


def test_the_breaker_opens_fails_fast_and_closes_after_a_good_trial(retailer: FakeRetailer) -> None:
    clock = Clock()
    guard = _guard(clock, threshold=2, retries=0)
    provider = RevZillaProvider(base_url=retailer.url, api_key="k", per_request=1)
    retailer.mode = "error"
    wanted = [WantedItem("A"), WantedItem("B"), WantedItem("C")]

    with pytest.raises(ProviderError):
        list(provider.fetch(wanted, guard))  # batch A fails
    with pytest.raises(ProviderError):
        list(provider.fetch(wanted, guard))  # batch A fails again: open
    assert guard.breaker.state.state == "open" and guard.breaker.transitions == ["opened"]
    calls = retailer.calls

    with pytest.raises(CircuitOpenError):
        list(provider.fetch(wanted, guard))
    assert retailer.calls == calls  # not even tried

    clock.now += dt.timedelta(seconds=301)
    retailer.mode = "ok"
    retailer.products = {"A": _revzilla_product("A")}
    list(provider.fetch(wanted, guard))
    assert guard.breaker.state.state == "closed" and guard.breaker.state.failures == 0
    assert guard.breaker.transitions == ["opened", "half_open", "closed"]


def test_a_failed_half_open_trial_reopens(retailer: FakeRetailer) -> None:
    clock = Clock()
    breaker = CircuitBreaker(
        BreakerState(state="open", failures=3, opened_at=NOW), threshold=3, cooldown=60, clock=clock
    )
    clock.now += dt.timedelta(seconds=61)
    assert breaker.allow() and breaker.state.state == "half_open"
    breaker.record_failure("HTTP 500")
    assert breaker.state.state == "open" and breaker.state.opened_at == clock.now
    assert breaker.transitions == ["half_open", "reopened"]


def test_rate_limit_spaces_calls() -> None:
    slept: list[float] = []
    limiter = RateLimiter(4, sleep=slept.append)
    for _ in range(5):
        limiter.acquire()
    assert len(slept) == 4 and all(0.2 < s <= 1.0 for s in slept)
    assert slept == sorted(slept)  # each call waits for its slot


def test_the_sample_feeds_parse() -> None:
    feeds = parse_feeds(SAMPLE_FEEDS)
    assert [slug for slug, _ in feeds] == ["revzilla", "rocky-mountain-atv-mc"]
    for slug, location in feeds:
        provider = DatafeedProvider(retailer_slug=slug, location=location, root=PROJECT_ROOT)
        quotes = [q for batch in provider.fetch([], _guard()) for q in batch]
        assert len(quotes) >= 50
        assert all(q.sku and q.url.startswith("https://") and q.price for q in quotes)
        assert all(q.mpn and q.brand for q in quotes)
        assert {q.in_stock for q in quotes} == {True, False}


def test_a_feed_by_url_is_downloaded(tmp_path: Path) -> None:
    from tests.fakes_http import serve

    csv_body = b"sku,mpn,brand,price,url,in stock\nX1,FA-1,EBC,10.00,https://shop.test/x1,yes\n"
    with serve(lambda *a: (200, {"Content-Type": "text/csv"}, csv_body)) as url:
        provider = DatafeedProvider(retailer_slug="shop", location=f"{url}/feed.csv")
        (batch,) = list(provider.fetch([], _guard()))
    assert batch[0].sku == "X1" and batch[0].price == Decimal("10.00")


def test_a_missing_feed_file_is_a_provider_failure(tmp_path: Path) -> None:
    guard = _guard()
    with pytest.raises(ProviderError, match="unreadable"):
        list(DatafeedProvider("shop", "nope.csv", root=tmp_path).fetch([], guard))
    assert guard.breaker.state.failures == 1


def test_xml_with_entities_is_refused(tmp_path: Path) -> None:
    feed = tmp_path / "evil.xml"
    feed.write_text(
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa">]><products><product>'
        "<sku>&a;</sku></product></products>"
    )
    with pytest.raises(ProviderError, match="DOCTYPE"):
        list(DatafeedProvider("shop", str(feed)).fetch([], _guard()))


@pytest.mark.parametrize(
    ("raw", "price"),
    [
        ("$1,234.50", Decimal("1234.50")),
        ("12.3 USD", Decimal("12.30")),
        (7, Decimal("7.00")),
        ("", None),
        ("call us", None),
        ("-5", None),
        (None, None),
    ],
)
def test_parse_price(raw: object, price: Decimal | None) -> None:
    assert parse_price(raw) == price


@pytest.mark.parametrize(
    ("raw", "stock"),
    [
        ("In Stock", True),
        ("out of stock", False),
        ("yes", True),
        ("0", False),
        ("12", True),
        (3, True),
        (True, True),
        ("backorder", None),
        (None, None),
    ],
)
def test_parse_stock(raw: object, stock: bool | None) -> None:
    assert parse_stock(raw) is stock


def test_providers_from_config() -> None:
    config = {
        "RETAILER_REVZILLA_URL": "https://api.revzilla.test",
        "RETAILER_REVZILLA_KEY": "k",
        "RETAILER_ROCKYMOUNTAIN_URL": "",
        "RETAILER_FEEDS": "shop=feeds/shop.csv, bad-entry ,other=https://x.test/f.xml",
    }
    providers = from_config(config, PROJECT_ROOT)
    assert [p.key for p in providers] == ["revzilla-api", "shop-feed", "other-feed"]
