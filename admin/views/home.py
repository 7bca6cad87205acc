"""The admin home: a placeholder dashboard of catalog sizes (the metric charts come later)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_admin import expose
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from admin.views.base import SecuredIndexView
from app.extensions import db
from app.models.fitments import FITMENT_STATUSES, Fitment
from app.models.parts import Part
from app.models.vehicles import BikeModel, Make

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


class HomeView(SecuredIndexView):
    """Counts of makes, models, parts and fitments by status, cheap at any size."""

    @expose("/")
    def index(self) -> str:
        session = db.session()
        catalog = [
            _table_tally(session, "Makes", Make),
            _table_tally(session, "Models", BikeModel),
            _table_tally(session, "Parts", Part),
        ]
        return self.render("admin/index.html", catalog=catalog, fitments=_fitment_tallies(session))
