"""The public site in a real browser: phone and desktop screenshots of the key pages, the
type-ahead picker, my garage and its "fits your bike" badge, JSON-LD under the strict CSP,
keyboard access and no horizontal scrolling on a 375 px phone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import BikeModel, Brand, Fitment, Make, Offer, Part, Vehicle
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}


def _demo_targets(live_app: Any) -> dict[str, Any]:
    """A demo bike with many verified parts, and one of its parts that has offers."""
    with live_app.app_context():
        session = db.session()
        make_name, make_slug, model_name, model_slug, year = session.execute(
            select(Make.name, Make.slug, BikeModel.name, BikeModel.slug, Vehicle.year)
            .join(BikeModel, BikeModel.make_id == Make.id)
            .join(Vehicle, Vehicle.model_id == BikeModel.id)
            .join(Fitment, Fitment.vehicle_id == Vehicle.id)
            .where(Fitment.status == "verified")
            .group_by(Make.name, Make.slug, BikeModel.name, BikeModel.slug, Vehicle.year)
            .order_by(func.count().desc(), Make.name, BikeModel.name, Vehicle.year)
            .limit(1)
        ).one()
        brand_slug, mpn_key, title = session.execute(
            select(Brand.slug, Part.mpn_key, Part.title)
            .join(Part, Part.brand_id == Brand.id)
            .join(Fitment, Fitment.part_id == Part.id)
            .join(Vehicle, Vehicle.id == Fitment.vehicle_id)
            .join(BikeModel, BikeModel.id == Vehicle.model_id)
            .where(
                BikeModel.slug == model_slug,
                Vehicle.year == year,
                Fitment.status == "verified",
                select(Offer.id).where(Offer.part_id == Part.id).exists(),
            )
            .order_by(Part.id)
            .limit(1)
        ).one()
        db.session.remove()
    return {
        "make": make_name,
        "make_slug": make_slug,
        "model": model_name,
        "model_slug": model_slug,
        "year": year,
        "bike_path": f"/bikes/{make_slug}/{model_slug}/{year}",
        "part_path": f"/parts/{brand_slug}/{mpn_key.lower()}",
        "part_title": title,
        "mpn": mpn_key,
    }


@pytest.fixture(scope="module")
def targets(live_app: Any) -> dict[str, Any]:
    return _demo_targets(live_app)


@pytest.fixture(params=sorted(WIDTHS))
def sized_page(
    request: pytest.FixtureRequest, browser: Any
) -> Iterator[tuple[str, Any, list[str]]]:
    """A page at phone or desktop width that records console errors (CSP violations too)."""
    width, height = WIDTHS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield request.param, page, problems
    context.close()


def _no_sideways_scroll(page: Any, width: str) -> None:
    if width == "phone":
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"page scrolls sideways by {overflow}px"


def test_key_pages_at_phone_and_desktop_width(
    sized_page: tuple[str, Any, list[str]], base_url: str, targets: dict[str, Any]
) -> None:
    width, page, problems = sized_page
    pages = {
        "home": "/",
        "bike": targets["bike_path"],
        "part": targets["part_path"],
        "search": f"/search?q={targets['mpn'].lower()}",
        "no-results": "/search?q=qwxyz+flux+capacitor",
    }
    for name, path in pages.items():
        response = page.goto(base_url + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").count() == 1, path
        _no_sideways_scroll(page, width)
        screenshot(page, f"public-{name}-{WIDTHS[width][0]}")
    assert problems == [], problems  # no CSP violations, no script errors


def test_json_ld_is_data_under_the_strict_csp(
    page: Any, base_url: str, targets: dict[str, Any]
) -> None:
    response = page.goto(base_url + targets["part_path"])
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    blocks = page.eval_on_selector_all(
        'script[type="application/ld+json"]', "nodes => nodes.map(n => n.textContent)"
    )
    types = {json.loads(block)["@type"] for block in blocks}
    assert types == {"Product", "BreadcrumbList"}
    product = next(json.loads(b) for b in blocks if json.loads(b)["@type"] == "Product")
    assert product["name"] == targets["part_title"]
    assert product["offers"][0]["url"].startswith("http")


def test_type_ahead_picker_and_my_garage(page: Any, base_url: str, targets: dict[str, Any]) -> None:
    page.goto(base_url + "/")
    page.get_by_label("Make", exact=True).select_option(label=targets["make"])
    model_box = page.get_by_role("combobox", name="Model")
    model_box.click()
    model_box.fill(targets["model"][:3])
    listbox = page.locator(f"#{model_box.get_attribute('aria-controls')}")
    listbox.get_by_role("option").first.wait_for()
    assert model_box.get_attribute("aria-expanded") == "true"
    option = listbox.get_by_role("option", name=targets["model"], exact=True)
    option.wait_for()
    while model_box.get_attribute("aria-activedescendant") != option.get_attribute("id"):
        model_box.press("ArrowDown")
    model_box.press("Enter")
    assert model_box.input_value() == targets["model"]
    year_box = page.get_by_role("combobox", name="Year")
    year_box.click()
    page.get_by_role("option", name=str(targets["year"]), exact=True).wait_for()
    screenshot(page, "public-type-ahead")
    year_box.fill(str(targets["year"]))
    page.get_by_role("button", name="Find parts").click()
    page.wait_for_url(f"**{targets['bike_path']}")

    save = page.locator("[data-garage-save]")
    assert save.inner_text() == "Save to my garage"
    save.click()
    assert save.get_attribute("aria-pressed") == "true"
    assert "Saved in my garage" in save.inner_text()
    page.goto(base_url + targets["part_path"])
    badge = page.locator("[data-garage-badge]")
    badge.wait_for()
    label = f"{targets['year']} {targets['make']} {targets['model']}"
    assert f"Fits your {label}" in badge.inner_text()
    screenshot(page, "public-part-fits-your-bike")

    page.goto(base_url + "/")
    garage = page.locator("#garage")
    assert garage.is_visible()
    assert label in garage.inner_text()
    garage.get_by_role("button", name=f"Remove {label} from my garage").click()
    assert garage.is_hidden()


def test_keyboard_users_can_skip_to_content(page: Any, base_url: str) -> None:
    page.goto(base_url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_filters_and_pages_work_without_javascript(
    browser: Any, base_url: str, targets: dict[str, Any]
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 812})
    page = context.new_page()
    page.goto(base_url + targets["bike_path"])
    assert (
        page.get_by_role("button", name="Save to my garage").count() == 0
        or not page.get_by_role("button", name="Save to my garage").is_visible()
    )
    page.get_by_label("Sort by").select_option("brand")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert "sort=brand" in page.url
    assert "Showing 1\u2013" in page.locator("main").inner_text()
    context.close()
