"""The public read queries: what they return, in what order, and how many queries they cost."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from app.services import catalog
from tests.public.conftest import CatalogBuilder, Garage


def test_makes_with_models_skips_makes_without_models(db_session: Session, garage: Garage) -> None:
    makes = catalog.makes_with_models(db_session)
    assert [m.name for m in makes] == ["Honda"]
    assert makes[0].slug == "honda"


def test_resolve_make_accepts_slug_and_any_spelling(
    db_session: Session, build: CatalogBuilder
) -> None:
    hd = build.make("Harley-Davidson")
    build.model(hd, "Sportster 883")
    for text in ("harley-davidson", "Harley Davidson", "HARLEY_DAVIDSON"):
        found = catalog.resolve_make(db_session, text)
        assert found is not None, text
        assert found.slug == "harley-davidson"
    assert catalog.resolve_make(db_session, "//evil.com") is None
    assert catalog.resolve_make(db_session, "  ") is None


def test_similar_makes_suggests_closest_names(db_session: Session, build: CatalogBuilder) -> None:
    for name in ("Kawasaki", "Honda", "Husqvarna"):
        build.make(name)
    suggestions = catalog.similar_makes(db_session, "kawasakki")
    assert suggestions[0].name == "Kawasaki"
    assert catalog.similar_makes(db_session, "zzzzqqq") == []


def test_models_of_make_compresses_years(
    db_session: Session, garage: Garage, build: CatalogBuilder
) -> None:
    bare = build.model(garage.make, "Africa Twin")
    build.vehicles(bare, [2016, 2017, 2019])
    build.model(garage.make, "Zoomer")  # no vehicles yet
    models = catalog.models_of_make(db_session, "honda")
    assert [(m.name, m.years) for m in models] == [
        ("Africa Twin", "2016\u20132017, 2019"),
        ("CBR600RR", "2012\u20132020"),
        ("Zoomer", ""),
    ]
    assert models[1].model_code == "PC40"
    assert catalog.models_of_make(db_session, "no-such-make") == []


def test_resolve_and_similar_models(db_session: Session, garage: Garage) -> None:
    found = catalog.resolve_model(db_session, "honda", "cbr 600 rr")
    assert found is not None
    assert found.label == "Honda CBR600RR"
    assert catalog.resolve_model(db_session, "honda", "cb500x") is None
    assert [m.slug for m in catalog.similar_models(db_session, "honda", "cbr600")] == ["cbr600rr"]


def test_model_years_are_distinct_and_sorted(db_session: Session, garage: Garage) -> None:
    assert catalog.model_years(db_session, garage.model.id) == list(range(2012, 2021))


def test_part_page_compresses_years_and_lists_offers_cheapest_first(
    db_session: Session, garage: Garage, build: CatalogBuilder, count_queries: list[str]
) -> None:
    cheap = build.retailer("Cheap Moto")
    pricey = build.retailer("Pricey Moto")
    closed = build.retailer("Closed Moto", is_active=False)
    unpriced = build.retailer("Unpriced Moto")
    build.offer(garage.pads, pricey, "64.99", in_stock=False)
    build.offer(garage.pads, cheap, "54.50")
    build.offer(garage.pads, closed, "1.00")
    build.offer(garage.pads, unpriced, None, in_stock=None)
    count_queries.clear()

    page = catalog.part_page(db_session, "ebc-brakes", "FA390HH")
    assert page is not None
    assert len(count_queries) == 3  # part + offers, verified bikes, evidence summary
    assert page.part.mpn == "FA-390HH"
    assert page.category_path == "Brakes \u203a Pads"
    assert [m.make.name for m in page.fits] == ["Honda"]
    lines = page.fits[0].models[0].lines
    assert [(line.qualifier, line.years) for line in lines] == [
        ("front", "2013\u20132018, 2020"),
        ("front \u00b7 ABS (US)", "2015"),
    ]
    assert lines[0].year_list == (2013, 2014, 2015, 2016, 2017, 2018, 2020)
    assert [(o.retailer_name, o.price) for o in page.offers] == [
        ("Cheap Moto", Decimal("54.50")),
        ("Pricey Moto", Decimal("64.99")),
        ("Unpriced Moto", None),
    ]


def test_part_page_ignores_unverified_fitments_and_unknown_parts(
    db_session: Session, garage: Garage
) -> None:
    page = catalog.part_page(db_session, "ebc-brakes", "fa888")
    assert page is not None
    assert page.fits == ()
    assert page.offers == ()
    assert catalog.part_page(db_session, "hiflofiltro", "fa390hh") is None
    assert catalog.part_page(db_session, "ebc-brakes", "---") is None


def test_parts_with_mpn_finds_the_number_under_any_brand(
    db_session: Session, garage: Garage
) -> None:
    found = catalog.parts_with_mpn(db_session, "fa-390hh")
    assert [(p.brand_slug, p.mpn_slug) for p in found] == [("ebc-brakes", "fa390hh")]
    assert catalog.parts_with_mpn(db_session, "") == []
