"""Search: part numbers in any spelling, bike names, titles and brands, typos, no results,
and the metric counters every search feeds."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import MetricCounter, SearchTerm
from app.services.search import MAX_QUERY, clean_query, search
from tests.public.conftest import CatalogBuilder, Garage

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"


@pytest.fixture
def shop(build: CatalogBuilder, garage: Garage) -> None:
    """A Kawasaki Ninja ZX-10R and a few parts with numbers and words to search for."""
    kawasaki = build.make("Kawasaki")
    zx10r = build.model(kawasaki, "Ninja ZX-10R")
    build.vehicles(zx10r, range(2016, 2021))
    build.model(kawasaki, "Ninja 650")
    k_and_n = build.brand("K&N")
    filters = build.category("Air filters")
    build.part(k_and_n, "CM-4401", "High-flow air filter", filters)
    build.part(k_and_n, "CM-4402", "Race air filter", filters)
    build.part(build.brand("Galfer"), "FD-123", "Wave brake rotor")


def test_normalized_part_number_finds_the_part(db_session: Session, shop: None) -> None:
    for query in ("cm4401", "CM-4401", "cm 4401", "cm.4401", "K&N CM4401"):
        result = search(db_session, query)
        assert result.parts, query
        assert result.parts[0].part.mpn == "CM-4401", query
        assert result.parts[0].by_number
    prefix = search(db_session, "cm440")
    assert {hit.part.mpn for hit in prefix.parts} == {"CM-4401", "CM-4402"}


def test_bike_names_find_the_model(db_session: Session, shop: None) -> None:
    for query in ("zx10r", "ZX-10R", "kawasaki zx10r", "Ninja ZX 10R"):
        result = search(db_session, query)
        assert result.bikes, query
        assert result.bikes[0].model.label == "Kawasaki Ninja ZX-10R", query
        assert result.bikes[0].years == "2016\u20132020"
    with_year = search(db_session, "2018 zx10r")
    assert with_year.bikes[0].year == 2018  # links straight to the bike page
    unknown_year = search(db_session, "1999 zx10r")
    assert unknown_year.bikes[0].year is None
    assert search(db_session, "cbr600rr").bikes[0].model.slug == "cbr600rr"


def test_make_names_find_the_make(db_session: Session, shop: None) -> None:
    result = search(db_session, "kawasaki")
    assert [m.slug for m in result.makes] == ["kawasaki"]
    assert [m.name for m in search(db_session, "hond").makes] == ["Honda"]


def test_words_and_brands_find_parts(db_session: Session, shop: None) -> None:
    assert {hit.part.mpn for hit in search(db_session, "air filters").parts} == {
        "CM-4401",
        "CM-4402",
    }
    assert {hit.part.mpn for hit in search(db_session, "ebc pads").parts} == {
        "FA-390HH",
        "FA-999",
        "FA-888",
    }
    assert [hit.part.mpn for hit in search(db_session, "EBC Brakes sintered").parts] == ["FA-390HH"]
    everything_ebc = {hit.part.mpn for hit in search(db_session, "ebc").parts}
    assert {"FA-390HH", "FA-999", "FA-888"} <= everything_ebc
    assert [hit.part.mpn for hit in search(db_session, "rotor").parts] == ["FD-123"]


def test_typos_are_corrected(db_session: Session, shop: None) -> None:
    result = search(db_session, "sintred pads")
    assert result.corrected == "sintered pads"
    assert [hit.part.mpn for hit in result.parts] == ["FA-390HH"]
    assert search(db_session, "kawasaky").makes or search(db_session, "kawasaky").bikes
    assert search(db_session, "zx10").bikes[0].model.name == "Ninja ZX-10R"


def test_vocabulary_is_kept_by_triggers(db_session: Session, build: CatalogBuilder) -> None:
    brand = build.brand("Vocab")
    part = build.part(brand, "V-1", "Titanium exhaust")
    words = set(db_session.scalars(select(SearchTerm.term)))
    assert {"titanium", "exhaust"} <= words
    part.title = "Carbon heatshield"
    db_session.flush()
    words = set(db_session.scalars(select(SearchTerm.term)))
    assert {"carbon", "heatshield"} <= words


def test_nothing_found_suggests_names(db_session: Session, shop: None) -> None:
    result = search(db_session, "qqqzzz xxyyw")
    assert result.hit_count == 0
    assert result.parts == () and result.bikes == ()
    near = search(db_session, "ninja zx10rr racing wheels 9")
    assert near.hit_count == 0 or near.bikes


def test_pages_and_caps(db_session: Session, build: CatalogBuilder) -> None:
    brand = build.brand("Many")
    for n in range(45):
        build.part(brand, f"M-{n}", f"Chrome mirror {n}")
    first = search(db_session, "chrome mirror", page=1)
    third = search(db_session, "chrome mirror", page=3)
    assert first.total == 45 and first.page_count == 3
    assert len(first.parts) == 20 and len(third.parts) == 5
    assert not {h.part.mpn for h in first.parts} & {h.part.mpn for h in third.parts}


@pytest.mark.parametrize(
    "hostile",
    [
        "",
        "   ",
        "\x00",
        "a\x00b",
        "%",
        "_",
        "\\",
        "'; DROP TABLE parts; --",
        "<script>alert(1)</script>",
        "!!!",
        "& | ! ( ) : *",
        "\u202e\u0000\ud7ff",
        "x" * 5000,
        "2015",
        "the and of",
        "'\"",
    ],
)
def test_hostile_queries_never_fail(db_session: Session, shop: None, hostile: str) -> None:
    result = search(db_session, hostile)
    assert len(result.query) <= MAX_QUERY
    assert "\x00" not in result.query


def test_clean_query() -> None:
    assert clean_query("  brake \t\n pads  ") == "brake pads"
    assert clean_query("a\x00b") == "a b"
    assert len(clean_query("y" * 1000)) == MAX_QUERY


# ---------------------------------------------------------------- the page and its counters


def _counters(db_session: Session) -> dict[tuple[str, str], int]:
    today = dt.datetime.now(dt.UTC).date()
    rows = db_session.execute(
        select(MetricCounter.name, MetricCounter.dimension, MetricCounter.value).where(
            MetricCounter.day == today, MetricCounter.name.like("search%")
        )
    )
    return {(name, dimension): value for name, dimension, value in rows}


def test_search_page_shows_results_and_counts_searches(
    client: FlaskClient, db_session: Session, shop: None
) -> None:
    headers = {"User-Agent": BROWSER}
    html = client.get("/search?q=cm4401", headers=headers).get_data(as_text=True)
    assert 'href="/parts/k-n/cm4401">High-flow air filter</a>' in html
    assert "Part number match" in html
    html = client.get("/search?q=zx10r", headers=headers).get_data(as_text=True)
    assert 'href="/bikes/kawasaki/ninja-zx-10r">Kawasaki Ninja ZX-10R</a>' in html
    html = client.get("/search?q=2019+zx10r", headers=headers).get_data(as_text=True)
    assert 'href="/bikes/kawasaki/ninja-zx-10r/2019"' in html
    client.get("/search?q=cm4401&page=2", headers=headers)  # paging is not a new search
    client.get("/search?q=cm4401", headers={"User-Agent": "Googlebot/2.1"})  # bots are not
    client.get("/search?q=", headers=headers)  # an empty box is not a search
    counts = _counters(db_session)
    assert counts[("search", "")] == 3
    assert counts[("search_hit", "")] == 3
    assert ("search_miss", "cm4401") not in counts


def test_no_results_page_helps_and_is_counted(
    client: FlaskClient, db_session: Session, shop: None
) -> None:
    response = client.get(
        "/search", query_string={"q": "Kawasakki Ninja"}, headers={"User-Agent": BROWSER}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    response = client.get(
        "/search", query_string={"q": "Qwxyz Flux"}, headers={"User-Agent": BROWSER}
    )
    html = response.get_data(as_text=True)
    assert "Nothing found for \u201cQwxyz Flux\u201d" in html
    assert "Part numbers work with or without dashes" in html
    assert 'href="/#picker"' in html
    assert '<meta name="robots" content="noindex, follow">' in html
    counts = _counters(db_session)
    assert counts[("search_miss", "qwxyz flux")] == 1
    assert counts[("search", "")] == 2


def test_empty_search_page_explains(client: FlaskClient, garage: Garage) -> None:
    html = client.get("/search").get_data(as_text=True)
    assert "What you can search for" in html
    assert '<label for="search-q">' in html


def test_brand_then_words_narrow_inside_the_index(db_session: Session, shop: None) -> None:
    assert {hit.part.mpn for hit in search(db_session, "k&n air filter").parts} == {
        "CM-4401",
        "CM-4402",
    }
    # A brand with words it has no part for falls back to the words under any brand.
    assert {hit.part.mpn for hit in search(db_session, "galfer air filter").parts} == {
        "CM-4401",
        "CM-4402",
    }


def test_pages_past_the_ranked_matches_continue_in_index_order(
    db_session: Session, build: CatalogBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services import search as search_module

    monkeypatch.setattr(search_module, "RANKED", 7)
    brand = build.brand("Many")
    for n in range(45):
        build.part(brand, f"M-{n}", f"Chrome mirror {n}")
    seen: list[str] = []
    for page in (1, 2, 3):
        result = search(db_session, "chrome mirror", page=page)
        assert result.total == 45
        seen += [hit.part.mpn for hit in result.parts]
    assert len(seen) == 45 and len(set(seen)) == 45
