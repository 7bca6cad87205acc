"""The admin dashboard's numbers: the three business metrics per day, queue sizes, imports
per day, curator decisions per day and open duplicate candidates — each cheap at any size
(roll-ups and daily counters, planner estimates instead of COUNT(*) on big tables)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Date, cast, func, select, text
from sqlalchemy.orm import Session

from app.models import DuplicateCandidate, Fitment, ImportBatch, OfferClick, OfferImpression
from app.services import metrics
from app.services.queue import open_counts

# Below this many rows (planner estimate) a missing roll-up is computed live, so a young
# database (development, demo, tests) shows its metrics before the nightly job ran.
LIVE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class RatePoint:
    """A day's numerator over denominator; `rate` is None without a denominator."""

    day: dt.date
    part: int
    whole: int

    @property
    def rate(self) -> float | None:
        """part / whole, or None when nothing was measured that day."""
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True, slots=True)
class RateSeries:
    """One business metric, day by day."""

    key: str
    label: str
    explanation: str
    points: tuple[RatePoint, ...]

    @property
    def latest(self) -> RatePoint | None:
        """The most recent day with a value."""
        return next((p for p in reversed(self.points) if p.rate is not None), None)

    @property
    def overall(self) -> float | None:
        """The whole window's rate (sums, not an average of days) — for flow metrics."""
        part = sum(p.part for p in self.points)
        whole = sum(p.whole for p in self.points)
        return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class DayCount:
    """A count for one day (imports, decisions)."""

    day: dt.date
    value: int
    detail: str = ""


@dataclass(frozen=True)
class Dashboard:
    """Everything the admin home shows."""

    since: dt.date
    until: dt.date
    rates: tuple[RateSeries, ...]
    queue: dict[str, int]
    queue_estimated: bool
    duplicates: dict[str, int]
    imports: tuple[DayCount, ...]
    decisions: tuple[DayCount, ...]
    notes: list[str] = field(default_factory=list)


def _days(since: dt.date, until: dt.date) -> list[dt.date]:
    return [since + dt.timedelta(days=i) for i in range((until - since).days + 1)]


def _estimate(session: Session, table: str) -> int:
    return int(
        session.scalar(
            text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}
        )
        or 0
    )


def _live_range(session: Session, days: list[dt.date]) -> dict[str, dict[dt.date, int]]:
    """The roll-up figures for a window straight from the source tables, in four grouped
    queries (cumulative fitment counts from per-day histograms)."""
    since, until = days[0], days[-1]
    start = dt.datetime.combine(since, dt.time(), dt.UTC)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC)
    live = Fitment.status != "rejected"

    def histogram(column: Any) -> tuple[int, dict[dt.date, int]]:
        day = cast(func.timezone("UTC", column), Date)
        before = session.scalar(select(func.count()).where(live, column < start)) or 0
        per_day = dict(
            session.execute(
                select(day, func.count()).where(live, column >= start, column < end).group_by(day)
            ).all()
        )
        return int(before), {d: int(n) for d, n in per_day.items()}

    created_before, created = histogram(Fitment.created_at)
    verified_before, verified = histogram(Fitment.verified_at)
    click_day = cast(func.timezone("UTC", OfferClick.created_at), Date)
    clicks = dict(
        session.execute(
            select(click_day, func.count())
            .where(OfferClick.created_at >= start, OfferClick.created_at < end)
            .group_by(click_day)
        ).all()
    )
    shown = dict(
        session.execute(
            select(OfferImpression.day, func.sum(OfferImpression.count))
            .where(OfferImpression.day >= since, OfferImpression.day <= until)
            .group_by(OfferImpression.day)
        ).all()
    )
    values: dict[str, dict[dt.date, int]] = {name: {} for name in metrics.ROLLED_UP}
    total_live, total_verified = created_before, verified_before
    for day in days:
        total_live += created.get(day, 0)
        total_verified += verified.get(day, 0)
        values[metrics.FITMENTS_LIVE][day] = total_live
        values[metrics.FITMENTS_VERIFIED][day] = total_verified
        values[metrics.OFFER_CLICKS][day] = int(clicks.get(day, 0))
        values[metrics.OFFER_IMPRESSIONS][day] = int(shown.get(day) or 0)
    return values


def _rolled_up(
    session: Session, days: list[dt.date], notes: list[str]
) -> dict[str, dict[dt.date, int]]:
    """Roll-up rows for the window; on a small database, days without one (today, or all
    of them before the first nightly run) are computed live."""
    values = metrics.daily_values(session, metrics.ROLLED_UP, days[0], days[-1])
    missing = [d for d in days if d not in values[metrics.FITMENTS_LIVE]]
    if not missing:
        return values
    biggest = max(_estimate(session, "fitments"), _estimate(session, "offer_impressions"))
    if biggest <= LIVE_LIMIT:
        live = _live_range(session, days)
        for name in metrics.ROLLED_UP:
            for day in missing:
                values[name][day] = live[name][day]
    else:
        notes.append(
            f"{len(missing)} day(s) have no roll-up yet; the nightly metrics.roll_up job "
            "fills them (today's appears tomorrow)."
        )
    return values


def build_dashboard(session: Session, *, today: dt.date | None = None, days: int = 30) -> Dashboard:
    """The dashboard for the `days` days up to `today` (UTC)."""
    until = today or dt.datetime.now(dt.UTC).date()
    since = until - dt.timedelta(days=days - 1)
    window = _days(since, until)
    notes: list[str] = []
    rolled = _rolled_up(session, window, notes)
    counters = metrics.daily_values(
        session,
        [metrics.SEARCHES, metrics.SEARCH_HITS, "curation_verify", "curation_reject"],
        since,
        until,
    )

    def series(part: dict[dt.date, int], whole: dict[dt.date, int]) -> tuple[RatePoint, ...]:
        return tuple(RatePoint(d, part.get(d, 0), whole.get(d, 0)) for d in window)

    rates = (
        RateSeries(
            "verification",
            "Fitment verification rate",
            "Verified share of all fitments not rejected, at the end of each day.",
            series(rolled[metrics.FITMENTS_VERIFIED], rolled[metrics.FITMENTS_LIVE]),
        ),
        RateSeries(
            "click_through",
            "Affiliate click-through rate",
            "Clicks through /go/ per offer shown on the public site, per day.",
            series(rolled[metrics.OFFER_CLICKS], rolled[metrics.OFFER_IMPRESSIONS]),
        ),
        RateSeries(
            "search_success",
            "Search success rate",
            "Searches that showed at least one result, per day.",
            series(counters[metrics.SEARCH_HITS], counters[metrics.SEARCHES]),
        ),
    )
    decisions = tuple(
        DayCount(
            d,
            counters["curation_verify"].get(d, 0) + counters["curation_reject"].get(d, 0),
            f"{counters['curation_verify'].get(d, 0)} verified, "
            f"{counters['curation_reject'].get(d, 0)} rejected",
        )
        for d in window
    )
    start = dt.datetime.combine(since, dt.time(), dt.UTC)
    import_day = cast(func.timezone("UTC", ImportBatch.created_at), Date)
    by_day = {
        day: (int(n), int(rows or 0))
        for day, n, rows in session.execute(
            select(
                import_day,
                func.count(),
                func.sum(
                    func.coalesce(ImportBatch.counts["new"].as_integer(), 0)
                    + func.coalesce(ImportBatch.counts["updated"].as_integer(), 0)
                ),
            )
            .where(ImportBatch.created_at >= start)
            .group_by(import_day)
        )
    }
    imports = tuple(
        DayCount(d, by_day.get(d, (0, 0))[0], f"{by_day.get(d, (0, 0))[1]:,} rows new or updated")
        for d in window
    )
    duplicates = {
        str(entity): int(n)
        for entity, n in session.execute(
            select(DuplicateCandidate.entity, func.count())
            .where(DuplicateCandidate.status == "open")
            .group_by(DuplicateCandidate.entity)
        )
    }
    queue = open_counts(session)
    return Dashboard(
        since=since,
        until=until,
        rates=rates,
        queue=queue,
        queue_estimated=_estimate(session, "fitments") > LIVE_LIMIT,
        duplicates=duplicates,
        imports=imports,
        decisions=decisions,
        notes=notes,
    )
