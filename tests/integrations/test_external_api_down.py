"""Runbook case "External API down": a retailer API answers 500s and times out. The breaker
opens, pages keep showing the cached price with its age, Sentry gets one event (not one per
failed call), and when the API is back the breaker closes and prices refresh."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.adapters.prices import RevZillaProvider
from app.models.base import utcnow
from app.models.retailers import Offer, ProviderState, Retailer
from app.services import prices
from tests.fakes_retailers import fake_retailer
from tests.fakes_sentry import FakeSentry
from tests.public import conftest as public_fixtures
from tests.public.conftest import Garage

# The public tests' catalog fixtures, shared rather than copied.
build = public_fixtures.build
garage = public_fixtures.garage


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now


def test_retailer_api_down_then_back(
    client: FlaskClient, db_session: Session, garage: Garage, sentry: FakeSentry
) -> None:
    import sentry_sdk

    revzilla = Retailer(
        name="RevZilla",
        slug="revzilla",
        homepage="https://www.revzilla.com",
        allowed_hosts=["www.revzilla.com"],
    )
    db_session.add(revzilla)
    db_session.flush()
    cached_at = utcnow() - dt.timedelta(hours=3)
    offer = Offer(
        part_id=garage.pads.id,
        retailer_id=revzilla.id,
        sku="RZ-FA390HH",
        url="https://www.revzilla.com/p/fa390hh",
        price=Decimal("89.99"),
        in_stock=True,
        fetched_at=cached_at,
    )
    db_session.add(offer)
    db_session.flush()
    clock = Clock()
    settings = prices.RefreshSettings(
        timeout=0.3, retries=1, breaker_threshold=3, breaker_cooldown=600, backoff=0.01
    )

    with fake_retailer() as api:
        provider = RevZillaProvider(base_url=api.url, api_key="rz-key")
        api.mode = "error"
        for run in range(25):  # hourly refreshes during a long outage
            api.mode = "slow" if run == 1 else "error"
            api.delay = 0.6
            prices.refresh_prices(db_session, [provider], settings=settings, clock=clock)
            clock.now += dt.timedelta(seconds=10)

        state = db_session.get(ProviderState, "revzilla-api")
        assert state is not None and state.state == "open"
        assert api.calls == 3 * 2  # three failing runs (try + retry each), then no calls at all
        db_session.refresh(offer)
        assert offer.price == Decimal("89.99") and offer.fetched_at == cached_at

        page = client.get("/parts/ebc-brakes/fa390hh")
        assert page.status_code == 200 and b"89.99" in page.data  # the cached price

        sentry_sdk.flush(timeout=5)
        outage_events = [e for e in sentry.events if "revzilla-api" in str(e.get("logentry"))]
        assert len(outage_events) == 1
        assert len(sentry.events) == 1

        # The API recovers; after the cooldown one trial call closes the breaker.
        api.mode = "ok"
        api.products = {
            "RZ-FA390HH": {
                "sku": "RZ-FA390HH",
                "url": "https://www.revzilla.com/p/fa390hh",
                "price": {"amount": "84.50", "currency": "USD"},
                "availability": "in_stock",
            }
        }
        clock.now += dt.timedelta(seconds=601)
        (report,) = prices.refresh_prices(db_session, [provider], settings=settings, clock=clock)

    assert report.outcome == "ok" and report.transitions == ["half_open", "closed"]
    db_session.refresh(state)
    assert state.state == "closed" and state.consecutive_failures == 0
    db_session.refresh(offer)  # written by a Core upsert, not through the ORM
    assert offer.price == Decimal("84.50") and offer.fetched_at == clock.now
    sentry_sdk.flush(timeout=5)
    assert len(sentry.events) == 1  # recovery is logged, not reported as an error
