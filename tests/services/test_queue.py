"""The verification queue: priority order, keyset pages, every filter, no COUNT(*)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Fitment, MetricCounter
from app.services.queue import Cursor, QueueFilters, queue_page, refresh_stats
from tests.public import conftest as public_fixtures
from tests.public.conftest import CatalogBuilder
from tests.services.curation_support import batch, claim, fitments

# The public tests' catalog fixtures, shared rather than copied.
build = public_fixtures.build
count_queries = public_fixtures.count_queries


@pytest.fixture
def catalog(build: CatalogBuilder, db_session: Session) -> Any:
    """Two makes, a popular and a quiet bike, two brands, sources 0–3, both open statuses."""
    honda, yamaha = build.make("Honda"), build.make("Yamaha")
    cbr = build.model(honda, "CBR600RR")
    r1 = build.model(yamaha, "YZF-R1")
    cbr_years = build.vehicles(cbr, [2015, 2016])
    r1_years = build.vehicles(r1, [2015, 2016])
    brakes = build.category("Brakes")
    pads_cat = build.category("Pads", parent=brakes)
    filters_cat = build.category("Filters")
    ebc, hiflo = build.brand("EBC"), build.brand("Hiflo")
    pads = build.part(ebc, "FA1", "Pads", pads_cat)
    oil = build.part(hiflo, "HF1", "Oil filter", filters_cat)
    a, b, c = (batch(db_session, name) for name in ("A", "B", "C"))
    rows = {
        "cbr15_pads": fitments(db_session, pads, [cbr_years[2015]])[0],
        "cbr16_pads": fitments(db_session, pads, [cbr_years[2016]], status="needs_review")[0],
        "r1_15_pads": fitments(db_session, pads, [r1_years[2015]])[0],
        "r1_16_oil": fitments(db_session, oil, [r1_years[2016]])[0],
        "cbr15_oil": fitments(db_session, oil, [cbr_years[2015]], status="verified")[0],
    }
    claim(db_session, a, [rows["cbr15_pads"], rows["r1_15_pads"], rows["r1_16_oil"]])
    claim(db_session, b, [rows["r1_15_pads"], rows["r1_16_oil"]])
    claim(db_session, c, [rows["r1_16_oil"]])
    today = dt.datetime.now(dt.UTC).date()
    db_session.add(
        MetricCounter(day=today, name="bike_view", dimension=str(cbr_years[2015].id), value=500)
    )
    db_session.flush()
    refresh_stats(db_session)
    return {
        "rows": rows,
        "honda": honda,
        "cbr": cbr,
        "ebc": ebc,
        "brakes": brakes,
        "batches": (a, b, c),
    }


def _ids(page: Any) -> list[int]:
    return [row.id for row in page.rows]


def test_refresh_counts_sources_and_scores_popularity_without_bumping_versions(
    catalog: Any, db_session: Session
) -> None:
    rows = catalog["rows"]
    got = {
        key: db_session.execute(
            select(Fitment.source_count, Fitment.queue_priority, Fitment.version).where(
                Fitment.id == f.id
            )
        ).one()
        for key, f in rows.items()
        if key != "cbr15_oil"
    }
    assert got["cbr15_pads"] == (1, 10 * 27 + 1, 1)  # 500 views → bucket 27, one source
    assert got["r1_15_pads"] == (2, 2, 1)
    assert got["r1_16_oil"] == (3, 3, 1)
    assert got["cbr16_pads"] == (0, 0, 1)
    assert refresh_stats(db_session) == 0  # nothing changed, nothing rewritten


def test_conflicts_first_then_priority(catalog: Any, db_session: Session) -> None:
    rows = catalog["rows"]
    page = queue_page(db_session)
    assert _ids(page) == [
        rows["cbr16_pads"].id,  # needs_review
        rows["cbr15_pads"].id,  # popular bike
        rows["r1_16_oil"].id,  # 3 sources
        rows["r1_15_pads"].id,  # 2 sources
    ]
    assert page.next_cursor is None
    first = page.rows[1]
    assert (first.part_label, first.vehicle_label, first.category) == (
        "EBC FA1",
        "2015 Honda CBR600RR",
        "Brakes › Pads",
    )
    assert first.confidence is not None and first.confidence.label == "Single source"
    assert [e.batch_source for e in first.evidence] == ["A"]


def test_keyset_pages_cover_the_queue_once_across_segments(
    catalog: Any, db_session: Session
) -> None:
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = queue_page(db_session, after=cursor, limit=1, with_evidence=False)
        seen.extend(_ids(page))
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
        assert Cursor.decode(cursor.encode()) == cursor
    assert pages == 4
    assert seen == _ids(queue_page(db_session))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (lambda c: QueueFilters(make_id=c["honda"].id), ["cbr16_pads", "cbr15_pads"]),
        (lambda c: QueueFilters(model_id=c["cbr"].id, year=2016), ["cbr16_pads"]),
        (lambda c: QueueFilters(year=2015), ["cbr15_pads", "r1_15_pads"]),
        (lambda c: QueueFilters(brand_id=c["ebc"].id), ["cbr16_pads", "cbr15_pads", "r1_15_pads"]),
        (
            lambda c: QueueFilters(category_id=c["brakes"].id),
            ["cbr16_pads", "cbr15_pads", "r1_15_pads"],
        ),
        (lambda c: QueueFilters(batch_id=c["batches"][2].id), ["r1_16_oil"]),
        (lambda c: QueueFilters(sources="0"), ["cbr16_pads"]),
        (lambda c: QueueFilters(sources="2"), ["r1_15_pads"]),
        (lambda c: QueueFilters(sources="3+"), ["r1_16_oil"]),
        (lambda c: QueueFilters(status="unverified", sources="1"), ["cbr15_pads"]),
        (lambda c: QueueFilters(status="needs_review"), ["cbr16_pads"]),
        (lambda c: QueueFilters(part_id=c["rows"]["r1_16_oil"].part_id), ["r1_16_oil"]),
    ],
)
def test_filters(catalog: Any, db_session: Session, filters: Any, expected: list[str]) -> None:
    rows = catalog["rows"]
    page = queue_page(db_session, filters(catalog), with_evidence=False)
    assert _ids(page) == [rows[key].id for key in expected]


def test_no_page_counts_the_whole_queue(
    catalog: Any, db_session: Session, count_queries: list[str]
) -> None:
    queue_page(db_session, QueueFilters(brand_id=catalog["ebc"].id))
    assert count_queries, "queries were captured"
    assert not [q for q in count_queries if "count(*)" in q.lower()]


def test_bad_cursors_are_ignored() -> None:
    assert Cursor.decode("nonsense") is None
    assert Cursor.decode("verified.1.2") is None
    assert Cursor.decode(None) is None
