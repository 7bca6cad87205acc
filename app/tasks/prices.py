"""Price refresh: hourly, one run at a time across every worker."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import jobs
from app.adapters import prices as price_adapter
from app.config import PROJECT_ROOT
from app.extensions import db
from app.services import prices

TASK = "prices.refresh"
LOCK = "prices-refresh"


@jobs.queue.periodic(cron="7 * * * *")
@jobs.queue.task(name=TASK, queue="prices", lock=LOCK, queueing_lock=LOCK)
def refresh_prices(timestamp: int | None = None) -> list[dict[str, Any]]:
    """Ask every configured provider for prices and cache them as offers."""
    with jobs.FlaskContext.app_context():
        return run_refresh()


def run_refresh() -> list[dict[str, Any]]:
    """The refresh for the current app (also `flask prices refresh`-style callers, tests)."""
    config = current_app.config
    providers = price_adapter.from_config(config, PROJECT_ROOT)
    settings = prices.RefreshSettings.from_config(
        config, {p.key: price_adapter.rate_for(config, p) for p in providers}
    )
    session = db.session()
    reports = prices.refresh_prices(
        session, providers, settings=settings, checkpoint=session.commit
    )
    session.commit()
    return [
        {"provider": r.provider, "outcome": r.outcome, **r.counts, "error": r.error}
        for r in reports
    ]


def defer_refresh(session: Session) -> None:
    """Ask for a refresh now (e.g. at `make run` start); a no-op if one is already waiting."""
    try:
        with session.begin_nested():
            jobs.defer(session, TASK, queue_name="prices", lock=LOCK, queueing_lock=LOCK)
    except IntegrityError:
        pass
