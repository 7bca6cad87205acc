"""Daily metric counters in Postgres (searches, hits, clicks…): upserts, never read-modify-write.

Shared by every area that counts something; add functions, keep `count` as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.models import MetricCounter

DIMENSION_MAX = 200  # the column's length
NAME_MAX = 60


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def count(
    session: Session,
    name: str,
    dimension: str = "",
    by: int = 1,
    day: dt.date | None = None,
) -> None:
    """Add `by` to the counter (day, name, dimension) in one INSERT … ON CONFLICT DO UPDATE."""
    count_many(session, [(day or _today(), name, dimension, by)])


def count_many(session: Session, increments: Iterable[tuple[dt.date, str, str, int]]) -> int:
    """Apply many (day, name, dimension, by) increments in one statement; returns rows touched.

    Increments for the same counter are summed first (one row may appear only once in an
    upsert), dimensions are clipped to the column, and zero increments are skipped.
    """
    merged: dict[tuple[dt.date, str, str], int] = {}
    for day, name, dimension, by in increments:
        key = (day, name[:NAME_MAX], dimension[:DIMENSION_MAX])
        merged[key] = merged.get(key, 0) + by
    rows = [
        {"day": day, "name": name, "dimension": dimension, "value": value}
        for (day, name, dimension), value in sorted(merged.items())
        if value
    ]
    if not rows:
        return 0
    statement = insert(MetricCounter).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[MetricCounter.day, MetricCounter.name, MetricCounter.dimension],
            set_={"value": MetricCounter.value + statement.excluded.value},
        )
    )
    return len(rows)


def total(session: Session, name: str, since: dt.date, until: dt.date | None = None) -> int:
    """Sum of a counter over days [since, until] across all dimensions."""
    query = (
        func.coalesce(func.sum(MetricCounter.value), 0)
        .select()
        .where(MetricCounter.name == name, MetricCounter.day >= since)
    )
    if until is not None:
        query = query.where(MetricCounter.day <= until)
    return int(session.scalar(query) or 0)


# --- daily roll-ups and series for the dashboard (curation) ---------------------------------

# Counter names the three business metrics read. The public site counts SEARCHES and
# SEARCH_HITS (a search that showed at least one result); ROLLED_UP ones are written by
# `roll_up` from the click, impression and fitment tables, once per day.
SEARCHES = "search"
SEARCH_HITS = "search_hit"
OFFER_CLICKS = "offer_clicks"
OFFER_IMPRESSIONS = "offer_impressions"
FITMENTS_LIVE = "fitments_live"  # fitments not rejected, as of the end of the day
FITMENTS_VERIFIED = "fitments_verified"  # of those, verified by the end of the day
ROLLED_UP = (OFFER_CLICKS, OFFER_IMPRESSIONS, FITMENTS_LIVE, FITMENTS_VERIFIED)


def set_values(session: Session, rows: Iterable[tuple[dt.date, str, str, int]]) -> int:
    """Upsert (day, name, dimension) = value: gauges and roll-ups, idempotent by design."""
    merged = {
        (day, name[:NAME_MAX], dim[:DIMENSION_MAX]): max(int(v), 0) for day, name, dim, v in rows
    }
    if not merged:
        return 0
    statement = insert(MetricCounter).values(
        [
            {"day": d, "name": n, "dimension": m, "value": v}
            for (d, n, m), v in sorted(merged.items())
        ]
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[MetricCounter.day, MetricCounter.name, MetricCounter.dimension],
            set_={"value": statement.excluded.value},
        )
    )
    return len(merged)


def roll_up_values(session: Session, day: dt.date) -> dict[str, int]:
    """The rolled-up figures of one UTC day, computed from the source tables."""
    from sqlalchemy import select

    from app.models import Fitment, OfferClick, OfferImpression

    start = dt.datetime.combine(day, dt.time(), dt.UTC)
    end = start + dt.timedelta(days=1)
    clicks = session.scalar(
        select(func.count())
        .select_from(OfferClick)
        .where(OfferClick.created_at >= start, OfferClick.created_at < end)
    )
    shown = session.scalar(
        select(func.coalesce(func.sum(OfferImpression.count), 0)).where(OfferImpression.day == day)
    )
    live, verified = session.execute(
        select(func.count(), func.count().filter(Fitment.verified_at < end)).where(
            Fitment.created_at < end, Fitment.status != "rejected"
        )
    ).one()
    return {
        OFFER_CLICKS: int(clicks or 0),
        OFFER_IMPRESSIONS: int(shown or 0),
        FITMENTS_LIVE: int(live or 0),
        FITMENTS_VERIFIED: int(verified or 0),
    }


def roll_up(session: Session, day: dt.date) -> dict[str, int]:
    """Store one day's roll-up (the scheduled `metrics.roll_up` job calls this); re-running
    the same day rewrites the same rows."""
    values = roll_up_values(session, day)
    set_values(session, [(day, name, "", value) for name, value in values.items()])
    return values


def daily_values(
    session: Session, names: Iterable[str], since: dt.date, until: dt.date
) -> dict[str, dict[dt.date, int]]:
    """name → {day: value summed over dimensions} for days in [since, until]."""
    from sqlalchemy import select

    wanted = sorted(set(names))
    series: dict[str, dict[dt.date, int]] = {name: {} for name in wanted}
    rows = session.execute(
        select(MetricCounter.name, MetricCounter.day, func.sum(MetricCounter.value))
        .where(
            MetricCounter.name.in_(wanted),
            MetricCounter.day >= since,
            MetricCounter.day <= until,
        )
        .group_by(MetricCounter.name, MetricCounter.day)
    )
    for name, day, value in rows:
        series[name][day] = int(value or 0)
    return series
