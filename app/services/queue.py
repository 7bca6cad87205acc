"""The verification queue: open fitments (needs_review first, then unverified), filtered by
bike, brand, category, source batch and number of sources, in priority order, one keyset
page at a time (never a full COUNT(*)), plus the set-based refresh of each fitment's
source count and priority that the ordering and the "sources" filter read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import ColumnElement, Select, literal_column, select, text, tuple_
from sqlalchemy.orm import Session

from app.models import BikeModel, Brand, Category, Fitment, FitmentEvidence, Make, Part, Vehicle
from app.services.fitments import Confidence, EvidenceItem, confidence, evidence_for

# Segments in the order curators see them: conflicts first.
SEGMENTS = ("needs_review", "unverified")
PAGE_SIZE = 50
# MetricCounter that counts bike page views per vehicle (dimension = vehicle id): the
# popularity part of the priority. Absent counters simply mean "no views yet".
BIKE_VIEW_COUNTER = "bike_view"
POPULARITY_DAYS = 30


# The popularity part of the priority, per vehicle: 10 × bike page views over the window,
# log-scaled to 0..99 (computed once per vehicle, not per fitment). A CTE body binding
# :counter and :since_day (see popularity_params); vehicles without views are absent.
POPULARITY = """
    SELECT CAST(dimension AS integer) AS vehicle_id,
           10 * least(99, round(10 * log(1 + sum(value))))::integer AS popularity
    FROM metric_counters
    WHERE name = :counter AND day >= :since_day AND dimension ~ '^[0-9]{1,9}$'
    GROUP BY 1"""


def popularity_params(today: dt.date | None = None) -> dict[str, object]:
    """The binds of POPULARITY."""
    today = today or dt.datetime.now(dt.UTC).date()
    return {"counter": BIKE_VIEW_COUNTER, "since_day": today - dt.timedelta(days=POPULARITY_DAYS)}


def priority(sources: str, popularity: str) -> str:
    """The queue priority as SQL, of two SQL expressions: a POPULARITY value (NULL for a
    bike nobody viewed) + sources (capped at 9)."""
    return f"coalesce({popularity}, 0) + least({sources}, 9)"


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """What the curator narrowed the queue to; every field optional."""

    status: str = ""  # "" = both open statuses
    make_id: int | None = None
    model_id: int | None = None
    year: int | None = None
    brand_id: int | None = None
    category_id: int | None = None
    batch_id: int | None = None
    part_id: int | None = None
    sources: str = ""  # "", "0", "1", "2", "3+"

    def segments(self) -> tuple[str, ...]:
        """The open statuses this filter covers, in queue order."""
        return (self.status,) if self.status in SEGMENTS else SEGMENTS


@dataclass(frozen=True, slots=True, order=True)
class Cursor:
    """Where a page ended: (segment, priority, id). Serialized into the "next" link."""

    segment: str
    priority: int
    id: int

    def encode(self) -> str:
        """`status.priority.id`, safe in a query string."""
        return f"{self.segment}.{self.priority}.{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor | None:
        """The cursor from a query string, or None when absent or malformed."""
        try:
            segment, priority, ident = (raw or "").split(".")
            if segment in SEGMENTS:
                return cls(segment, int(priority), int(ident))
        except ValueError:
            return None
        return None


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One fitment as the queue shows it."""

    id: int
    version: int
    status: str
    part_id: int
    part_label: str
    part_title: str
    category: str
    vehicle_id: int
    vehicle_label: str
    model_id: int
    position: str
    qty: int
    note: str
    source_count: int
    priority: int
    created_at: dt.datetime
    evidence: tuple[EvidenceItem, ...] = ()
    confidence: Confidence | None = None
    conflicts: tuple[object, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class QueuePage:
    """A page of the queue and the cursor of the next one (None on the last page)."""

    rows: tuple[QueueRow, ...]
    next_cursor: Cursor | None


def _category_ids(session: Session, category_id: int) -> list[int]:
    """A category and everything below it (the tree is small)."""
    ids, frontier = {category_id}, {category_id}
    while frontier:
        frontier = set(session.scalars(select(Category.id).where(Category.parent_id.in_(frontier))))
        frontier -= ids
        ids |= frontier
    return sorted(ids)


def _conditions(session: Session, filters: QueueFilters) -> list[ColumnElement[bool]]:
    """Filter conditions as id sub-selects, each served by an index (see migration 0006)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.model_id is not None or filters.make_id is not None or filters.year is not None:
        vehicles = select(Vehicle.id)
        if filters.model_id is not None:
            vehicles = vehicles.where(Vehicle.model_id == filters.model_id)
        elif filters.make_id is not None:
            vehicles = vehicles.where(
                Vehicle.model_id.in_(
                    select(BikeModel.id).where(BikeModel.make_id == filters.make_id)
                )
            )
        if filters.year is not None:
            vehicles = vehicles.where(Vehicle.year == filters.year)
        conditions.append(Fitment.vehicle_id.in_(vehicles))
    if filters.part_id is not None:
        conditions.append(Fitment.part_id == filters.part_id)
    if filters.brand_id is not None or filters.category_id is not None:
        parts = select(Part.id)
        if filters.brand_id is not None:
            parts = parts.where(Part.brand_id == filters.brand_id)
        if filters.category_id is not None:
            parts = parts.where(Part.category_id.in_(_category_ids(session, filters.category_id)))
        conditions.append(Fitment.part_id.in_(parts))
    if filters.batch_id is not None:
        conditions.append(
            Fitment.id.in_(
                select(FitmentEvidence.fitment_id).where(
                    FitmentEvidence.import_batch_id == filters.batch_id
                )
            )
        )
    if filters.sources == "3+":
        conditions.append(Fitment.source_count >= 3)
    elif filters.sources in {"0", "1", "2"}:
        conditions.append(Fitment.source_count == int(filters.sources))
    return conditions


def _segment_query(
    segment: str, conditions: Sequence[ColumnElement[bool]], after: Cursor | None, limit: int
) -> Select[int, int]:
    # The status is inlined as a literal so the planner can match the partial index
    # (`WHERE status IN ('unverified', 'needs_review')`) even for a prepared statement.
    status: ColumnElement[str] = literal_column(f"'{segment}'")
    query = (
        select(Fitment.id, Fitment.queue_priority)
        .where(Fitment.status == status, *conditions)
        .order_by(Fitment.queue_priority.desc(), Fitment.id.desc())
        .limit(limit)
    )
    if after is not None and after.segment == segment:
        query = query.where(
            tuple_(Fitment.queue_priority, Fitment.id) < tuple_(after.priority, after.id)
        )
    return query


def queue_page(
    session: Session,
    filters: QueueFilters | None = None,
    *,
    after: Cursor | None = None,
    limit: int = PAGE_SIZE,
    with_evidence: bool = True,
) -> QueuePage:
    """One page of the queue after `after`: keyset pagination over (segment, priority, id).

    Each open status is its own segment walked down one index; a page that empties the
    needs_review segment continues into unverified. One row more than the page is read to
    know whether a next page exists, so no query ever counts the whole queue.
    """
    filters = filters or QueueFilters()
    conditions = _conditions(session, filters)
    segments = filters.segments()
    if after is not None and after.segment in segments:
        segments = segments[segments.index(after.segment) :]
    found: list[tuple[str, int, int]] = []
    for segment in segments:
        want = limit + 1 - len(found)
        if want <= 0:
            break
        page = session.execute(_segment_query(segment, conditions, after, want)).all()
        found.extend((segment, priority, fid) for fid, priority in page)
    next_cursor = None
    if len(found) > limit:
        found = found[:limit]
        segment, priority, fid = found[-1]
        next_cursor = Cursor(segment, priority, fid)
    rows = _rows(session, [fid for _, _, fid in found])
    if with_evidence and rows:
        rows = _with_evidence(session, rows)
    return QueuePage(tuple(rows), next_cursor)


def _rows(session: Session, ids: list[int]) -> list[QueueRow]:
    """Display rows for fitment ids, in the given order (one joined query)."""
    if not ids:
        return []
    parent = Category.__table__.alias("parent_category")
    result = session.execute(
        select(
            Fitment,
            Brand.name,
            Part.mpn,
            Part.title,
            Category.name,
            parent.c.name,
            Vehicle.year,
            Vehicle.variant,
            Vehicle.market,
            Vehicle.model_id,
            BikeModel.name,
            Make.name,
        )
        .join(Part, Part.id == Fitment.part_id)
        .join(Brand, Brand.id == Part.brand_id)
        .outerjoin(Category, Category.id == Part.category_id)
        .outerjoin(parent, parent.c.id == Category.parent_id)
        .join(Vehicle, Vehicle.id == Fitment.vehicle_id)
        .join(BikeModel, BikeModel.id == Vehicle.model_id)
        .join(Make, Make.id == BikeModel.make_id)
        .where(Fitment.id.in_(ids))
    ).all()
    by_id: dict[int, QueueRow] = {}
    for (
        f,
        brand,
        mpn,
        title,
        cat,
        parent_cat,
        year,
        variant,
        market,
        model_id,
        model,
        make,
    ) in result:
        extra = f" {variant}" if variant else ""
        extra += f" ({market})" if market else ""
        by_id[f.id] = QueueRow(
            id=f.id,
            version=f.version,
            status=f.status,
            part_id=f.part_id,
            part_label=f"{brand} {mpn}",
            part_title=title,
            category=f"{parent_cat} › {cat}" if parent_cat else (cat or ""),
            vehicle_id=f.vehicle_id,
            vehicle_label=f"{year} {make} {model}{extra}",
            model_id=model_id,
            position=f.position,
            qty=f.qty,
            note=f.note,
            source_count=f.source_count,
            priority=f.queue_priority,
            created_at=f.created_at,
        )
    return [by_id[fid] for fid in ids if fid in by_id]


def _with_evidence(session: Session, rows: list[QueueRow]) -> list[QueueRow]:
    from app.services.conflicts import conflicts_by_fitment

    ids = [row.id for row in rows]
    evidence = evidence_for(session, ids)
    needing = [row.id for row in rows if row.status == "needs_review" or row.source_count > 1]
    conflicts = conflicts_by_fitment(session, needing) if needing else {}
    return [
        replace(
            row,
            evidence=tuple(evidence.get(row.id, ())),
            confidence=confidence(_as_rows(evidence.get(row.id, ()))),
            conflicts=tuple(conflicts.get(row.id, ())),
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class _EvidenceRow:
    id: int
    kind: str
    supports: bool
    import_batch_id: int | None


def _as_rows(items: Iterable[EvidenceItem]) -> list[_EvidenceRow]:
    return [_EvidenceRow(i.id, i.kind, i.supports, i.batch_id) for i in items]


def refresh_stats(
    session: Session,
    *,
    fitment_ids: Iterable[int] | None = None,
    evidence_since: dt.datetime | None = None,
    today: dt.date | None = None,
) -> int:
    """Recompute `source_count` and `queue_priority` of open fitments, set-based; returns
    how many rows changed. Scope: the given ids, or fitments with evidence newer than
    `evidence_since`, or (neither) every open fitment — the nightly full pass.

    Priority = 10 × popularity bucket (bike page views over 30 days, log-scaled 0..99)
    + sources (capped at 9): riders' favourite bikes first, then the best-attested claims.
    Written with plain SQL so it never bumps `version` (a curator's open page stays valid).
    """
    scope = "f.status IN ('unverified', 'needs_review')"
    params: dict[str, object] = popularity_params(today)
    if fitment_ids is not None:
        ids = sorted(set(fitment_ids))
        if not ids:
            return 0
        scope += " AND f.id = ANY(:ids)"
        params["ids"] = ids
    elif evidence_since is not None:
        scope += " AND f.id IN (SELECT fitment_id FROM fitment_evidence WHERE created_at >= :since)"
        params["since"] = evidence_since
    result = session.execute(
        text(
            f"""
            WITH popular AS ({POPULARITY}), stats AS (
                SELECT f.id,
                       (SELECT count(DISTINCT e.import_batch_id) FROM fitment_evidence e
                        WHERE e.fitment_id = f.id AND e.kind = 'import' AND e.supports) AS sources,
                       v.popularity
                FROM fitments f LEFT JOIN popular v ON v.vehicle_id = f.vehicle_id
                WHERE {scope}
            )
            UPDATE fitments f
            SET source_count = least(s.sources, 32767),
                queue_priority = {priority("s.sources", "s.popularity")},
                updated_at = f.updated_at
            FROM stats s
            WHERE f.id = s.id
              AND (f.source_count, f.queue_priority) IS DISTINCT FROM (
                  least(s.sources, 32767), {priority("s.sources", "s.popularity")})
            """  # noqa: S608 - `scope` is built from constants above, values are bound
        ),
        params,
    )
    return int(getattr(result, "rowcount", 0) or 0)


def open_counts(session: Session) -> dict[str, int]:
    """Queue sizes per open status: exact on small tables, estimated from statistics on big
    ones (a COUNT over millions of rows would cost the dashboard seconds)."""
    estimate = int(
        session.scalar(
            text("SELECT reltuples::bigint FROM pg_class WHERE oid = 'fitments'::regclass")
        )
        or 0
    )
    if estimate > 200_000:
        stats = session.execute(
            text(
                "SELECT most_common_vals::text::text[], most_common_freqs FROM pg_stats"
                " WHERE schemaname = current_schema() AND tablename = 'fitments'"
                " AND attname = 'status'"
            )
        ).first()
        freqs = dict(zip(stats[0], stats[1], strict=True)) if stats and stats[0] else {}
        return {s: round(estimate * freqs.get(s, 0.0)) for s in SEGMENTS}
    rows = session.execute(
        select(Fitment.status, text("count(*)"))
        .where(Fitment.status.in_(SEGMENTS))
        .group_by(Fitment.status)
    ).all()
    counts = {status: int(n) for status, n in rows}
    return {s: counts.get(s, 0) for s in SEGMENTS}


def has_filters(filters: QueueFilters) -> bool:
    """True when anything narrows the queue."""
    return any(value not in (None, "") for value in vars_of(filters))


def vars_of(filters: QueueFilters) -> list[object]:
    """The filter values in declaration order."""
    return [getattr(filters, name) for name in QueueFilters.__dataclass_fields__]
