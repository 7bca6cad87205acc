"""The admin home: three business metrics charted per day (server-rendered SVG, nothing
fetched), queue sizes, imports per day, open duplicate candidates; and the roll-up."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    DuplicateCandidate,
    Fitment,
    MetricCounter,
    OfferClick,
    OfferImpression,
)
from app.services import metrics
from app.services.dashboard import build_dashboard
from tests.public.conftest import CatalogBuilder, Garage
from tests.services.curation_support import batch

TODAY = dt.datetime.now(dt.UTC).date()


def _seed_metrics(session: Session, build: CatalogBuilder, garage: Garage) -> None:
    retailer = build.retailer("RevZilla")
    offer = build.offer(garage.pads, retailer, "39.99")
    yesterday = TODAY - dt.timedelta(days=1)
    session.add_all(
        [
            MetricCounter(day=yesterday, name="search", value=200),
            MetricCounter(day=yesterday, name="search_hit", value=150),
            MetricCounter(day=TODAY, name="search", value=40),
            MetricCounter(day=TODAY, name="search_hit", value=38),
            OfferImpression(offer_id=offer.id, day=TODAY, count=50),
            *[OfferClick(offer_id=offer.id) for _ in range(2)],
            DuplicateCandidate(entity="brand", left_id=1, right_id=2, score=0.9, reason="x"),
            DuplicateCandidate(entity="part", left_id=1, right_id=2, score=0.9, reason="x"),
            DuplicateCandidate(entity="part", left_id=3, right_id=4, score=0.9, reason="x"),
        ]
    )
    batch(session, "Vendor A")
    session.flush()


def test_the_dashboard_charts_the_three_metrics_without_fetching_anything(
    logged_in: Any, build: CatalogBuilder, garage: Garage, db_session: Session
) -> None:
    _seed_metrics(db_session, build, garage)
    page = logged_in("curator@example.com", "curator").get("/admin/").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))

    for title in (
        "Fitment verification rate",
        "Affiliate click-through rate",
        "Search success rate",
        "Imports per day",
        "Verification queue",
        "Duplicate candidates open",
    ):
        assert title in text, title
    assert page.count("<svg") == 5
    svgs = "".join(re.findall(r"<svg.*?</svg>", page, re.S))
    assert "<script" not in svgs and "href" not in svgs  # nothing loaded, nothing linked
    assert "95%" in text  # 38 of 40 searches found something today
    assert "4.0%" in text  # 2 clicks per 50 impressions
    assert "(38 of 40)" in page  # the tooltip says what the rate is made of
    assert "Needs review (conflicts) 1" in text and "Unverified 1" in text
    assert "Parts 2" in text and "Brands 1" in text
    assert "Makes 2" in text and "Verified 9" in text  # catalog tallies stay


def test_verification_rate_per_day_and_the_roll_up_is_idempotent(
    garage: Garage, db_session: Session
) -> None:
    board = build_dashboard(db_session, today=TODAY)
    verification = board.rates[0]
    latest = verification.latest
    assert latest is not None and latest.day == TODAY
    live = db_session.scalar(
        select(func.count()).select_from(Fitment).where(Fitment.status != "rejected")
    )
    assert (latest.part, latest.whole) == (9, live)

    first = metrics.roll_up(db_session, TODAY)
    again = metrics.roll_up(db_session, TODAY)
    assert first == again
    stored = metrics.daily_values(db_session, metrics.ROLLED_UP, TODAY, TODAY)
    assert stored[metrics.FITMENTS_VERIFIED] == {TODAY: 9}
    assert stored[metrics.FITMENTS_LIVE] == {TODAY: live}


def test_rolled_up_days_are_read_not_recomputed(db_session: Session) -> None:
    day = TODAY - dt.timedelta(days=3)
    metrics.set_values(
        db_session,
        [
            (day, metrics.FITMENTS_LIVE, "", 1000),
            (day, metrics.FITMENTS_VERIFIED, "", 250),
            (day, metrics.OFFER_IMPRESSIONS, "", 400),
            (day, metrics.OFFER_CLICKS, "", 10),
        ],
    )
    board = build_dashboard(db_session, today=TODAY)
    by_key = {series.key: series for series in board.rates}
    point = next(p for p in by_key["verification"].points if p.day == day)
    assert point.rate == 0.25
    click = next(p for p in by_key["click_through"].points if p.day == day)
    assert click.rate == 0.025
    assert len(by_key["search_success"].points) == 30
    assert by_key["search_success"].latest is None  # no searches counted: no line, no lie
