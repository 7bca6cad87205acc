"""A bike's verified parts: grouping, variants, filters, facets, sorting, paging, query count."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.services import catalog
from app.services.bikes import BikeFilters, bike_page
from tests.public.conftest import CatalogBuilder, Garage


def test_bike_page_lists_only_verified_parts_grouped_by_category(
    db_session: Session, garage: Garage
) -> None:
    page = bike_page(db_session, "honda", "cbr600rr", 2015)
    assert page is not None
    assert page.label == "2015 Honda CBR600RR"
    assert [(g.path, g.count) for g in page.groups] == [
        ("Brakes \u203a Pads", 1),
        ("Engine \u203a Oil filters", 1),
    ]
    pads = page.groups[0].fits[0]
    assert (pads.mpn, pads.mpn_slug, pads.brand_slug) == ("FA-390HH", "fa390hh", "ebc-brakes")
    assert (pads.position, pads.qty, pads.only_for) == ("front", 2, ())
    oil = page.groups[1].fits[0]
    assert oil.only_for == ("ABS (US)",)
    titles = {fit.part_title for fit in page.fits}
    assert titles == {"Sintered front brake pads", "Racing oil filter"}
    assert page.pending_count == 2  # one unverified + one needs_review; rejected is not pending
    assert [v.qualifier for v in page.vehicles] == ["", "ABS (US)"]
    assert [(f.label, f.count) for f in page.categories] == [
        ("Brakes \u203a Pads", 1),
        ("Engine \u203a Oil filters", 1),
    ]
    assert [(f.value, f.count) for f in page.brands] == [("ebc-brakes", 1), ("hiflofiltro", 1)]
    assert [(f.value, f.count) for f in page.positions] == [("front", 1)]


def test_bike_page_of_year_without_fits_and_unknown_year(
    db_session: Session, garage: Garage
) -> None:
    page = bike_page(db_session, "honda", "cbr600rr", 2012)
    assert page is not None
    assert page.groups == ()
    assert page.verified_count == 0
    assert page.page_count == 1
    assert bike_page(db_session, "honda", "cbr600rr", 1999) is None
    assert bike_page(db_session, "honda", "nope", 2015) is None
    assert bike_page(db_session, "honda", "cbr600rr", 10**12) is None


def test_uncategorised_parts_come_last(
    db_session: Session, garage: Garage, build: CatalogBuilder
) -> None:
    loose = build.part(build.brand("Generic"), "X1", "Loose part")
    build.fit(loose, [garage.years[2015]])
    page = bike_page(db_session, "honda", "cbr600rr", 2015)
    assert page is not None
    assert [g.path for g in page.groups][-1] == catalog.UNCATEGORISED
    assert page.groups[-1].slug == "other"


def test_category_siblings_follow_position_then_name(
    db_session: Session, garage: Garage, build: CatalogBuilder
) -> None:
    brand = build.brand("Order Brand")
    first = build.category("Zeta first", position=0)
    for category in (first, build.category("Alpha second", position=0)):
        build.fit(
            build.part(brand, f"O-{category.id}", category.name, category), [garage.years[2020]]
        )
    page = bike_page(db_session, "honda", "cbr600rr", 2020)
    assert page is not None
    assert [g.path for g in page.groups] == ["Alpha second", "Zeta first", "Brakes \u203a Pads"]


def _bulk(build: CatalogBuilder, garage: Garage, count: int) -> None:
    brand = build.brand("Bulk Brand")
    category = build.category("Bulk")
    for n in range(count):
        build.fit(
            build.part(brand, f"B-{n:03}", f"Bulk part {n:03}", category), [garage.years[2016]]
        )


def test_bike_page_costs_two_queries_however_many_parts(
    db_session: Session, garage: Garage, build: CatalogBuilder, count_queries: list[str]
) -> None:
    _bulk(build, garage, 30)
    count_queries.clear()
    page = bike_page(db_session, "honda", "cbr600rr", 2016, BikeFilters(brand="bulk-brand"))
    assert page is not None
    assert page.verified_count == 31
    assert page.matched == 30
    assert len(count_queries) == 2
    assert not any(
        "count(*)" in sql.lower() and "where" not in sql.lower() for sql in count_queries
    )


def test_pages_of_fifty_and_past_the_end(
    db_session: Session, garage: Garage, build: CatalogBuilder
) -> None:
    _bulk(build, garage, 120)
    first = bike_page(db_session, "honda", "cbr600rr", 2016)
    assert first is not None
    assert (first.page, first.page_count, len(first.fits)) == (1, 3, 50)
    assert (first.first_index, first.last_index) == (1, 50)
    third = bike_page(db_session, "honda", "cbr600rr", 2016, BikeFilters(page=3))
    assert third is not None
    assert (len(third.fits), third.first_index, third.last_index) == (21, 101, 121)
    beyond = bike_page(db_session, "honda", "cbr600rr", 2016, BikeFilters(page=99))
    assert beyond is not None
    assert beyond.page == 3  # the last page, not an empty one
    titles = [f.part_title for p in (first, third) for f in p.fits]
    assert len(set(titles)) == len(titles)


def test_filters_by_category_brand_and_position(
    db_session: Session, garage: Garage, build: CatalogBuilder
) -> None:
    rear = build.part(build.brand("Galfer"), "G-1", "Rear pads", None)
    build.fit(rear, [garage.years[2015]], position="rear")
    by_leaf = bike_page(db_session, "honda", "cbr600rr", 2015, BikeFilters(category="brakes-pads"))
    by_root = bike_page(db_session, "honda", "cbr600rr", 2015, BikeFilters(category="brakes"))
    by_brand = bike_page(db_session, "honda", "cbr600rr", 2015, BikeFilters(brand="hiflofiltro"))
    by_position = bike_page(db_session, "honda", "cbr600rr", 2015, BikeFilters(position="rear"))
    other = bike_page(db_session, "honda", "cbr600rr", 2015, BikeFilters(category="other"))
    nothing = bike_page(db_session, "honda", "cbr600rr", 2015, BikeFilters(brand="nobody"))
    assert by_leaf and by_root and by_brand and by_position and other and nothing
    assert [f.mpn for f in by_leaf.fits] == ["FA-390HH"]
    assert [f.mpn for f in by_root.fits] == ["FA-390HH"]  # a parent category finds its leaves
    assert [f.mpn for f in by_brand.fits] == ["HF204RC"]
    assert [f.mpn for f in by_position.fits] == ["G-1"]
    assert [f.mpn for f in other.fits] == ["G-1"]
    assert nothing.fits == () and nothing.matched == 0 and nothing.verified_count == 3
    assert len(nothing.categories) == 3  # facets always describe the whole bike


def test_sorting_by_brand_title_and_price(
    db_session: Session, garage: Garage, build: CatalogBuilder
) -> None:
    shop = build.retailer("Shop")
    build.offer(garage.pads, shop, "80.00")
    build.offer(garage.filter, shop, "12.50")
    closed = build.retailer("Closed", is_active=False)
    build.offer(garage.filter, closed, "1.00")  # inactive retailers never set the price
    cheap = build.part(build.brand("Acme"), "A-1", "Zinc bolt kit")
    build.fit(cheap, [garage.years[2015]])

    def order(sort: str) -> list[str]:
        page = bike_page(db_session, "honda", "cbr600rr", 2015, BikeFilters(sort=sort))
        assert page is not None
        return [f.mpn for f in page.fits]

    assert order("brand") == ["A-1", "FA-390HH", "HF204RC"]
    assert order("title") == ["HF204RC", "FA-390HH", "A-1"]
    assert order("price") == ["HF204RC", "FA-390HH", "A-1"]  # unpriced last
    page = bike_page(db_session, "honda", "cbr600rr", 2015)
    assert page is not None
    prices = {f.mpn: (f.price, f.currency) for f in page.fits}
    assert str(prices["HF204RC"][0]) == "12.50"
    assert prices["A-1"][0] is None


def test_filters_parse_leniently() -> None:
    parsed = BikeFilters.parse(
        {
            "category": "Brakes",
            "brand": "<script>",
            "position": "sideways",
            "sort": "x",
            "page": "7",
        }
    )
    assert parsed == BikeFilters(category="brakes", brand="", position="", sort="category", page=7)
    for page in ("0", "-1", "1e9", "\u00b2", "99999999999999999999", ""):
        assert BikeFilters.parse({"page": page}).page in {1, 10_000}, page
    assert BikeFilters.parse({"page": "99999"}).page == 10_000
    assert not BikeFilters().is_narrowed
    assert BikeFilters(sort="price").is_narrowed
    assert BikeFilters(brand="ebc", page=2).args(page=1) == {"brand": "ebc"}
    assert BikeFilters(sort="brand").args(page=3) == {"sort": "brand", "page": 3}
