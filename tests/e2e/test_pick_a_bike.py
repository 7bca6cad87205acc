"""A rider picks make → model → year in a real browser and sees the verified parts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import BikeModel, Fitment, Make, Part, Vehicle
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def _busiest_bike(live_app: Any) -> tuple[str, str, str, int, list[str]]:
    """The demo's model-year with the most verified parts, and those parts' titles."""
    with live_app.app_context():
        session = db.session()
        make, model, model_slug, year = session.execute(
            select(Make.name, BikeModel.name, BikeModel.slug, Vehicle.year)
            .join(BikeModel, BikeModel.make_id == Make.id)
            .join(Vehicle, Vehicle.model_id == BikeModel.id)
            .join(Fitment, Fitment.vehicle_id == Vehicle.id)
            .where(Fitment.status == "verified")
            .group_by(Make.name, BikeModel.name, BikeModel.slug, Vehicle.year)
            .order_by(func.count().desc(), Make.name, BikeModel.name, Vehicle.year)
            .limit(1)
        ).one()
        titles = session.scalars(
            select(Part.title)
            .join(Fitment, Fitment.part_id == Part.id)
            .join(Vehicle, Vehicle.id == Fitment.vehicle_id)
            .join(BikeModel, BikeModel.id == Vehicle.model_id)
            .where(BikeModel.name == model, Vehicle.year == year, Fitment.status == "verified")
        ).all()
        db.session.remove()
    return make, model, model_slug, year, sorted(set(titles))


def test_rider_picks_a_bike_and_sees_its_parts(page: Any, base_url: str, live_app: Any) -> None:
    make, model, model_slug, year, titles = _busiest_bike(live_app)
    assert titles, "the demo should give some bike verified parts"

    page.goto(f"{base_url}/")
    screenshot(page, "home")
    page.get_by_label("Make", exact=True).select_option(label=make)
    page.get_by_role("button", name="Find parts").click()
    page.wait_for_load_state()
    assert make in page.title()
    screenshot(page, "make")

    page.locator(f'main a[href$="/{model_slug}"]').first.click()
    page.wait_for_load_state()
    assert model in page.locator("h1").inner_text()
    page.locator(f'main a[href$="/{model_slug}/{year}"]').first.click()
    page.wait_for_load_state()
    heading = page.locator("h1").inner_text()
    assert str(year) in heading and model in heading
    body = page.locator("main").inner_text()
    for title in titles[:5]:
        assert title in body
    screenshot(page, "bike")


def test_unknown_bike_gets_a_helpful_404(page: Any, base_url: str) -> None:
    response = page.goto(f"{base_url}/bikes/hondaa")
    assert response is not None and response.status == 404
    text = page.locator("main").inner_text()
    assert "Honda" in text  # suggests the closest make
    screenshot(page, "not-found")
