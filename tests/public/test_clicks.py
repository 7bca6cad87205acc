"""Affiliate clicks through /go/<offer> and offer impressions on part pages: counted for
people, not bots, and never an open redirect."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import OfferClick, OfferImpression
from app.services.clicks import allowed_url, is_bot, record_impressions
from tests.public.conftest import CatalogBuilder, Garage

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1"


def _clicks(db_session: Session, offer_id: int) -> int:
    return db_session.scalar(select(func.count()).where(OfferClick.offer_id == offer_id)) or 0


def _impressions(db_session: Session, offer_id: int) -> int:
    return (
        db_session.scalar(
            select(func.sum(OfferImpression.count)).where(OfferImpression.offer_id == offer_id)
        )
        or 0
    )


def test_click_is_recorded_then_redirected(
    client: FlaskClient, db_session: Session, garage: Garage, build: CatalogBuilder
) -> None:
    offer = build.offer(garage.pads, build.retailer("Moto Shop"), "54.50")
    response = client.get(
        f"/go/{offer.id}",
        headers={"User-Agent": BROWSER, "Referer": "http://localhost/parts/ebc-brakes/fa390hh"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "https://moto-shop.example/p/FA390HH"
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    click = db_session.scalars(select(OfferClick).where(OfferClick.offer_id == offer.id)).one()
    assert click.page == "/parts/ebc-brakes/fa390hh"


def test_bots_are_redirected_but_not_counted(
    client: FlaskClient, db_session: Session, garage: Garage, build: CatalogBuilder
) -> None:
    offer = build.offer(garage.pads, build.retailer("Moto Shop"), "54.50")
    for agent in ("Googlebot/2.1 (+http://www.google.com/bot.html)", "curl/8.0", ""):
        response = client.get(f"/go/{offer.id}", headers={"User-Agent": agent})
        assert response.status_code == 302
    assert _clicks(db_session, offer.id) == 0


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/p/1",
        "https://moto-shop.example.evil.example/p/1",
        "https://moto-shop.example@evil.example/p/1",
        "https://evil.example\\@moto-shop.example/",
        "https://moto-shop.example:99999/p",
        "http://evil.example/?moto-shop.example",
        "https://moto-shop.example%2eevil.example/",
        "https://xn--moto-shp-evil.example/",
    ],
)
def test_offers_pointing_elsewhere_are_refused(
    client: FlaskClient, db_session: Session, garage: Garage, build: CatalogBuilder, url: str
) -> None:
    offer = build.offer(garage.pads, build.retailer("Moto Shop"), "54.50", url=url)
    response = client.get(f"/go/{offer.id}", headers={"User-Agent": BROWSER})
    assert response.status_code == 400
    assert "Location" not in response.headers
    html = response.get_data(as_text=True)
    assert "We didn't follow that link" in html
    assert 'href="/parts/ebc-brakes/fa390hh"' in html
    assert _clicks(db_session, offer.id) == 0


@pytest.mark.parametrize("path", ["/go/0", "/go/99999999", "/go/99999999999999999999", "/go/x"])
def test_unknown_offers_are_404(client: FlaskClient, garage: Garage, path: str) -> None:
    assert client.get(path).status_code == 404


def test_offers_of_inactive_retailers_are_404(
    client: FlaskClient, garage: Garage, build: CatalogBuilder
) -> None:
    offer = build.offer(garage.pads, build.retailer("Gone", is_active=False), "1.00")
    assert client.get(f"/go/{offer.id}").status_code == 404


def test_query_parameters_cannot_steer_the_redirect(
    client: FlaskClient, garage: Garage, build: CatalogBuilder
) -> None:
    offer = build.offer(garage.pads, build.retailer("Moto Shop"), "54.50")
    response = client.get(
        f"/go/{offer.id}?next=https://evil.example&url=//evil.example&to=javascript:alert(1)"
    )
    assert response.headers["Location"] == "https://moto-shop.example/p/FA390HH"


def test_read_only_mode_still_redirects_without_writing(
    app: Flask,
    client: FlaskClient,
    *,
    db_session: Session,
    garage: Garage,
    build: CatalogBuilder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    offer = build.offer(garage.pads, build.retailer("Moto Shop"), "54.50")
    monkeypatch.setitem(app.config, "READ_ONLY", True)
    response = client.get(f"/go/{offer.id}", headers={"User-Agent": BROWSER})
    assert response.status_code == 302
    assert _clicks(db_session, offer.id) == 0


def test_part_pages_count_impressions_per_offer_and_day(
    app: Flask,
    client: FlaskClient,
    *,
    db_session: Session,
    garage: Garage,
    build: CatalogBuilder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 300)
    shop, other = build.retailer("Moto Shop"), build.retailer("Other Shop")
    first = build.offer(garage.pads, shop, "54.50")
    second = build.offer(garage.pads, other, "60.00")
    hidden = build.offer(garage.pads, build.retailer("Closed", is_active=False), "1.00")
    for _ in range(3):  # the 2nd and 3rd views come from the page cache: still counted
        assert (
            client.get("/parts/ebc-brakes/fa390hh", headers={"User-Agent": BROWSER}).status_code
            == 200
        )
    client.get("/parts/ebc-brakes/fa390hh", headers={"User-Agent": "bingbot/2.0"})
    assert _impressions(db_session, first.id) == 3
    assert _impressions(db_session, second.id) == 3
    assert _impressions(db_session, hidden.id) == 0
    today = dt.datetime.now(dt.UTC).date()
    days = set(db_session.scalars(select(OfferImpression.day)))
    assert days == {today}


def test_impressions_of_deleted_offers_are_skipped(
    db_session: Session, garage: Garage, build: CatalogBuilder
) -> None:
    offer = build.offer(garage.pads, build.retailer("Moto Shop"), "54.50")
    today = dt.date(2026, 11, 25)
    written = record_impressions(db_session, {(offer.id, today): 2, (987654, today): 5})
    assert written == 1
    record_impressions(db_session, {(offer.id, today): 3})
    assert _impressions(db_session, offer.id) == 5


def test_allowed_url_and_bot_detection() -> None:
    hosts = ["www.revzilla.com", "revzilla.com"]
    assert (
        allowed_url("https://www.revzilla.com/p/1?x=2", hosts) == "https://www.revzilla.com/p/1?x=2"
    )
    assert allowed_url("HTTPS://WWW.REVZILLA.COM/p", hosts)
    assert allowed_url("https://www.revzilla.com./p", hosts)
    for bad in (
        "javascript:alert(1)",
        "//www.revzilla.com/p",
        "ftp://www.revzilla.com/p",
        "https://www.revzilla.com\t.evil.example/",
        "https://user:pw@www.revzilla.com/",
        "https:///www.revzilla.com",
        "",
    ):
        assert allowed_url(bad, hosts) is None, bad
    assert allowed_url("https://www.revzilla.com/", []) is None
    assert is_bot("Googlebot/2.1") and is_bot(None) and is_bot("python-requests/2.32")
    assert not is_bot(BROWSER)
