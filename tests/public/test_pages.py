"""The public pages as a rider sees them: status codes, text on the page, links, escaping."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.public.conftest import CatalogBuilder, Garage, assert_no_executable_inline_script

ATTRIBUTION = "Make and model names and years from NHTSA vPIC (public domain)."


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def head_tag(html: str, pattern: str) -> str:
    match = re.search(pattern, html)
    assert match, f"missing {pattern!r}"
    return match.group(1)


def test_home_lists_makes_with_picker_and_footer(client: FlaskClient, garage: Garage) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = text_of(response)
    assert '<html lang="en">' in html
    assert 'href="/bikes/honda">Honda</a>' in html
    assert "Zundapp Without Models" not in html  # makes without models are not offered
    assert 'action="/pick"' in html
    for field in ("make", "model", "year"):
        assert f'<label for="pick-{field}">' in html
    assert ATTRIBUTION in html
    assert "affiliate" in html.lower()
    assert_no_executable_inline_script(html)  # works without JavaScript; CSP forbids inline
    assert head_tag(html, r'<link rel="canonical" href="([^"]+)">').endswith("/")
    assert head_tag(html, r'<meta name="description" content="([^"]+)">')
    assert head_tag(html, r"<title>([^<]+)</title>")


def test_every_page_has_title_description_and_canonical(
    client: FlaskClient, garage: Garage
) -> None:
    pages = {
        "/bikes/honda": "/bikes/honda",
        "/bikes/honda/cbr600rr": "/bikes/honda/cbr600rr",
        "/bikes/honda/cbr600rr/2015": "/bikes/honda/cbr600rr/2015",
        "/parts/ebc-brakes/fa390hh": "/parts/ebc-brakes/fa390hh",
        "/bikes/HONDA/CBR600RR/2015": "/bikes/honda/cbr600rr/2015",
    }
    for path, canonical in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        html = text_of(response)
        assert head_tag(html, r'<link rel="canonical" href="([^"]+)">').endswith(canonical)
        assert head_tag(html, r'<meta name="description" content="([^"]+)">')
        assert head_tag(html, r"<title>([^<]+)</title>")


def test_make_page_lists_models_with_years(client: FlaskClient, garage: Garage) -> None:
    html = text_of(client.get("/bikes/honda"))
    assert 'href="/bikes/honda/cbr600rr">Honda CBR600RR</a>' in html
    assert "2012\u20132020" in html
    assert "PC40" in html


def test_model_page_links_every_year(client: FlaskClient, garage: Garage) -> None:
    html = text_of(client.get("/bikes/honda/cbr600rr"))
    for year in range(2012, 2021):
        assert f'href="/bikes/honda/cbr600rr/{year}"' in html


@pytest.mark.parametrize(
    ("query", "target"),
    [
        ("", "/"),
        ("?make=honda", "/bikes/honda"),
        ("?make=Honda&model=CBR+600+RR", "/bikes/honda/cbr600rr"),
        ("?make=honda&model=cbr600rr&year=2015", "/bikes/honda/cbr600rr/2015"),
        ("?make=honda&model=cbr600rr&year=1999", "/bikes/honda/cbr600rr"),
        ("?make=honda&model=cbr600rr&year=20x5", "/bikes/honda/cbr600rr"),
        ("?make=honda&model=cbr600rr&year=%C2%B2%C2%B2", "/bikes/honda/cbr600rr"),
        ("?make=honda&model=unknown-model&year=2015", "/bikes/honda"),
        ("?model=cbr600rr&year=2015", "/"),
    ],
)
def test_picker_redirects_to_the_most_specific_page(
    client: FlaskClient, garage: Garage, query: str, target: str
) -> None:
    response = client.get(f"/pick{query}")
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "hostile",
    ["//evil.com", "https://evil.com/", "/\\evil.com", "%2F%2Fevil.com", "javascript:alert(1)"],
)
def test_picker_never_redirects_off_site(client: FlaskClient, garage: Garage, hostile: str) -> None:
    for params in ({"make": hostile}, {"make": "honda", "model": hostile, "year": hostile}):
        response = client.get("/pick", query_string=params)
        if response.status_code == 302:
            location = response.headers["Location"]
            assert location.startswith("/") and not location.startswith("//"), location
            assert "evil" not in location
        else:
            assert response.status_code == 404
            assert "evil.com</a>" not in text_of(response)


def test_unknown_make_in_picker_suggests_the_closest(client: FlaskClient, garage: Garage) -> None:
    response = client.get("/pick?make=hondaa")
    assert response.status_code == 404
    html = text_of(response)
    assert "Did you mean" in html
    assert 'href="/bikes/honda">Honda</a>' in html


def test_bike_page_shows_verified_parts_by_category_only(
    client: FlaskClient, garage: Garage
) -> None:
    response = client.get("/bikes/honda/cbr600rr/2015")
    assert response.status_code == 200
    html = text_of(response)
    assert "2015 Honda CBR600RR parts" in html
    brakes = html.index("Brakes \u203a Pads")
    engine = html.index("Engine \u203a Oil filters")
    assert brakes < engine
    assert 'href="/parts/ebc-brakes/fa390hh">Sintered front brake pads</a>' in html
    assert 'href="/parts/hiflofiltro/hf204rc">Racing oil filter</a>' in html
    assert "Front" in html and "Qty 2" in html
    assert "Two sets needed for twin calipers" in html
    assert "Only ABS (US)" in html
    assert "2 parts verified to fit, in 2 categories" in html
    for hidden in ("Rejected rear pads", "Unverified rear pads", "Disputed oil filter"):
        assert hidden not in html
    assert "2 more fitment claims for this bike are waiting for a curator" in html


def test_bike_page_without_verified_parts_says_so(client: FlaskClient, garage: Garage) -> None:
    html = text_of(client.get("/bikes/honda/cbr600rr/2012"))
    assert "No parts have been verified for this bike yet." in html
    assert "waiting for a curator" not in html


def test_part_page_shows_compressed_years_and_offers(
    client: FlaskClient, garage: Garage, build: CatalogBuilder
) -> None:
    offer = build.offer(garage.pads, build.retailer("Moto Shop"), "54.5", in_stock=True)
    response = client.get("/parts/ebc-brakes/fa390hh")
    assert response.status_code == 200
    html = text_of(response)
    assert "<h1>Sintered front brake pads</h1>" in html
    assert "FA-390HH" in html
    assert "EBC Brakes" in html
    assert "Brakes \u203a Pads" in html
    assert "2013\u20132018, 2020" in html
    assert 'href="/bikes/honda/cbr600rr">Honda CBR600RR</a>' in html
    assert "$54.50" in html
    assert "In stock" in html
    assert "as of <time" in html and "20 Nov 2026" in html
    assert f'href="/go/{offer.id}" rel="nofollow sponsored noopener"' in html
    assert "moto-shop.example" not in html  # every retailer link goes through /go
    assert "affiliate links" in html  # the disclosure next to the offers


def test_part_page_without_offers_or_fits(client: FlaskClient, garage: Garage) -> None:
    html = text_of(client.get("/parts/ebc-brakes/fa888"))
    assert "No fitments for this part have been verified yet." in html
    assert "No retailer prices for this part yet." in html


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/bikes/hondaa", ["called &#39;hondaa&#39;", 'href="/bikes/honda">Honda</a>']),
        ("/bikes/honda/cbr600", ["Honda model called", 'href="/bikes/honda/cbr600rr"']),
        ("/bikes/hondaa/cbr600rr", ["make called &#39;hondaa&#39;", "Did you mean"]),
        ("/bikes/honda/cbr600rr/1999", ["no 1999 Honda CBR600RR", "/bikes/honda/cbr600rr/2015"]),
        ("/bikes/honda/cbr600rr/99999999999", ["Years we know", "/bikes/honda/cbr600rr/2020"]),
        ("/parts/ebc/fa390hh", ["Parts with that number", 'href="/parts/ebc-brakes/fa390hh"']),
        ("/parts/ebc-brakes/nothing", ["no part &#39;nothing&#39;"]),
        ("/no/such/page", ["Pick your bike on the home page"]),
    ],
)
def test_unknown_pages_are_helpful_404s(
    client: FlaskClient, garage: Garage, path: str, expected: list[str]
) -> None:
    response = client.get(path)
    assert response.status_code == 404
    html = text_of(response)
    assert '<meta name="robots" content="noindex">' in html
    assert 'href="/"' in html
    for snippet in expected:
        assert snippet in html, snippet


def test_hostile_text_is_escaped_everywhere(
    client: FlaskClient, garage: Garage, build: CatalogBuilder
) -> None:
    hostile = "<script>alert(1)</script>"
    brand = build.brand("Evil Brand")
    part = build.part(brand, "EV-1", hostile, description=hostile)
    build.fit(part, [garage.years[2015]], note=hostile)
    for path in ("/bikes/honda/cbr600rr/2015", "/parts/evil-brand/ev1"):
        html = text_of(client.get(path))
        assert hostile not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
    html = text_of(client.get("/bikes/%3Cscript%3Ealert(1)%3C%2Fscript%3E"))
    assert hostile not in html


def test_stylesheet_is_served(client: FlaskClient) -> None:
    response = client.get("/static/site.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert "prefers-color-scheme" in text_of(response)
    response.close()
    assert client.get("/static/../app/__init__.py").status_code == 404


def test_old_prices_are_marked_stale(
    app, client: FlaskClient, garage: Garage, build: CatalogBuilder, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    build.offer(garage.pads, build.retailer("Fresh Shop"), "50.00", fetched_at=now)
    build.offer(
        garage.pads, build.retailer("Old Shop"), "40.00", fetched_at=now - dt.timedelta(days=3)
    )
    html = text_of(client.get("/parts/ebc-brakes/fa390hh"))
    assert html.count("May be out of date") == 1
    assert "checked 3 days ago" in html
    assert "Prices older than 48 hours are marked." in html
    monkeypatch.setitem(app.config, "OFFER_STALE_HOURS", 100)
    html = text_of(client.get("/parts/ebc-brakes/fa390hh"))
    assert "May be out of date" not in html


def test_part_page_summarises_the_evidence(
    client: FlaskClient, garage: Garage, build: CatalogBuilder, db_session
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from app.models import Fitment

    fits = db_session.scalars(select(Fitment).where(Fitment.part_id == garage.pads.id)).all()
    feed, sheet = build.batch("Vendor feed"), build.batch("Fitment sheet")
    for n, fit in enumerate(fits):
        build.evidence(fit, feed, line_no=n + 1)
        build.evidence(fit, sheet, line_no=n + 1)
    build.evidence(fits[0])
    build.evidence(fits[1], supports=False, note="Wrong caliper")
    html = text_of(client.get("/parts/ebc-brakes/fa390hh"))
    assert "Verified by a curator" in html
    assert "backed by 2 sources" in html
    assert "1 curator check" in html
    assert "1 source disagrees" in html
    assert "last checked 20 Nov 2026" in html


def test_bike_page_filters_sort_and_pages_as_links(
    client: FlaskClient, garage: Garage, build: CatalogBuilder
) -> None:
    brand = build.brand("Bulk")
    category = build.category("Bulk parts")
    for n in range(60):
        build.fit(
            build.part(brand, f"BK-{n:02}", f"Bulk part {n:02}", category), [garage.years[2015]]
        )
    html = text_of(client.get("/bikes/honda/cbr600rr/2015"))
    assert '<label for="filter-category">Category</label>' in html
    assert '<label for="filter-sort">Sort by</label>' in html
    assert "Showing 1\u201350 of 62 parts." in html
    assert 'href="/bikes/honda/cbr600rr/2015?page=2" rel="next"' in html
    assert '<link rel="next" href="/bikes/honda/cbr600rr/2015?page=2">' in html
    page_two = text_of(client.get("/bikes/honda/cbr600rr/2015?page=2"))
    assert "Showing 51\u201362 of 62 parts." in page_two
    assert (
        '<link rel="canonical" href="http://127.0.0.1:5000/bikes/honda/cbr600rr/2015?page=2">'
        in page_two
    )
    filtered = text_of(client.get("/bikes/honda/cbr600rr/2015?brand=bulk&sort=title"))
    assert "Showing 1\u201350 of 60 parts matching your filters." in filtered
    assert 'href="/bikes/honda/cbr600rr/2015">Clear filters</a>' in filtered
    assert '<option value="bulk" selected>Bulk (60)</option>' in filtered
    assert '<option value="title" selected>' in filtered
    assert "Sintered front brake pads" not in filtered
    empty = text_of(client.get("/bikes/honda/cbr600rr/2015?brand=nobody-at-all"))
    assert "No parts match these filters." in empty


def test_garage_hooks_are_in_the_markup(client: FlaskClient, garage: Garage) -> None:
    bike = text_of(client.get("/bikes/honda/cbr600rr/2015"))
    assert 'data-garage-save data-bike="honda/cbr600rr/2015"' in bike
    assert 'data-label="2015 Honda CBR600RR"' in bike
    assert "hidden>Save to my garage</button>" in bike  # shown only when the script runs
    part = text_of(client.get("/parts/ebc-brakes/fa390hh"))
    assert (
        'data-fit-bike="honda/cbr600rr" data-fit-years="2013 2014 2015 2016 2017 2018 2020"' in part
    )
    assert "data-garage-badge" in part
