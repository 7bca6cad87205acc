"""The admin home: the three business metrics charted daily, queue sizes, imports and
curator decisions per day, open duplicate candidates, and catalog sizes — cheap at any size."""

from __future__ import annotations

from dataclasses import dataclass

from flask_admin import expose
from markupsafe import Markup
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from admin.charts import Point, bar_chart, line_chart
from admin.views.base import SecuredIndexView
from app.extensions import db
from app.models.fitments import FITMENT_STATUSES, Fitment
from app.models.parts import Part
from app.models.vehicles import BikeModel, Make
from app.services.dashboard import Dashboard, DayCount, build_dashboard

# Above this many rows (by the planner's estimate) a table is counted from statistics, not
# COUNT(*): the home page must stay fast with millions of fitments.
EXACT_COUNT_LIMIT = 200_000


@dataclass(frozen=True)
class Tally:
    """A count for the dashboard; `approximate` when it comes from planner statistics."""

    label: str
    value: int
    approximate: bool = False


def _estimated_rows(session: Session, table: str) -> int:
    """The planner's row estimate (-1 before the first ANALYZE counts as unknown)."""
    estimate = session.scalar(
        text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:table)"),
        {"table": table},
    )
    return int(estimate or 0)


def _table_tally(session: Session, label: str, model: type[Make | BikeModel | Part]) -> Tally:
    estimate = _estimated_rows(session, model.__tablename__)
    if estimate > EXACT_COUNT_LIMIT:
        return Tally(label, estimate, approximate=True)
    return Tally(label, session.scalar(select(func.count()).select_from(model)) or 0)


def _fitment_tallies(session: Session) -> list[Tally]:
    """Fitments by status: exact on small tables, else from pg_stats' most-common values."""
    estimate = _estimated_rows(session, "fitments")
    if estimate <= EXACT_COUNT_LIMIT:
        rows = session.execute(select(Fitment.status, func.count()).group_by(Fitment.status)).all()
        counts = {status: int(n) for status, n in rows}
        return [Tally(status, counts.get(status, 0)) for status in FITMENT_STATUSES]
    stats = session.execute(
        text(
            "SELECT most_common_vals::text::text[] AS vals, most_common_freqs AS freqs "
            "FROM pg_stats WHERE schemaname = current_schema() "
            "AND tablename = 'fitments' AND attname = 'status'"
        )
    ).first()
    freqs = dict(zip(stats.vals, stats.freqs, strict=True)) if stats and stats.vals else {}
    return [
        Tally(status, round(estimate * freqs.get(status, 0.0)), approximate=True)
        for status in FITMENT_STATUSES
    ]


@dataclass(frozen=True)
class RateCard:
    """A business metric: its chart and its latest / whole-window figures."""

    label: str
    explanation: str
    chart: Markup
    latest: str
    latest_day: str
    overall: str


def _percent(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.1f}%" if value < 0.1 else f"{value * 100:.0f}%"


def _rate_cards(board: Dashboard) -> list[RateCard]:
    colors = {"verification": "green", "click_through": "blue", "search_success": "amber"}
    cards = []
    for series in board.rates:
        points = [
            Point(
                p.day,
                p.rate,
                f"{p.day:%a %d %b}: {_percent(p.rate)} ({p.part:,} of {p.whole:,})"
                if p.rate is not None
                else f"{p.day:%a %d %b}: no data",
            )
            for p in series.points
        ]
        latest = series.latest
        cards.append(
            RateCard(
                label=series.label,
                explanation=series.explanation,
                chart=line_chart(series.label, points, color=colors.get(series.key, "blue")),
                latest=_percent(latest.rate if latest else None),
                latest_day=f"{latest.day:%d %b}" if latest else "",
                overall=_percent(series.overall),
            )
        )
    return cards


def _count_chart(title: str, counts: tuple[DayCount, ...], unit: str, color: str) -> Markup:
    return bar_chart(
        title,
        [
            Point(c.day, float(c.value), f"{c.day:%a %d %b}: {c.value:,} {unit} ({c.detail})")
            for c in counts
        ],
        color=color,
    )


class HomeView(SecuredIndexView):
    """Metrics, queue and duplicates first; catalog counts below."""

    @expose("/")
    def index(self) -> str:
        session = db.session()
        board = build_dashboard(session)
        catalog = [
            _table_tally(session, "Makes", Make),
            _table_tally(session, "Models", BikeModel),
            _table_tally(session, "Parts", Part),
        ]
        return self.render(
            "admin/index.html",
            board=board,
            rate_cards=_rate_cards(board),
            imports_chart=_count_chart("Imports per day", board.imports, "batches", "slate"),
            decisions_chart=_count_chart(
                "Curator decisions per day", board.decisions, "decisions", "green"
            ),
            imports_total=sum(c.value for c in board.imports),
            decisions_total=sum(c.value for c in board.decisions),
            catalog=catalog,
            fitments=_fitment_tallies(session),
        )
