"""Daily metric roll-ups: a scheduled hook into app.services.metrics (owned by curation)."""

from __future__ import annotations

import datetime as dt
import logging

from app import jobs
from app.extensions import db
from app.services import metrics

log = logging.getLogger(__name__)

LOCK = "metrics-roll-up"


@jobs.queue.periodic(cron="15 0 * * *")
@jobs.queue.task(name="metrics.roll_up", queue="maintenance", lock=LOCK, queueing_lock=LOCK)
def roll_up_metrics(timestamp: int | None = None) -> str:
    """Roll up yesterday's counters, when the metrics service defines `roll_up(session, day)`.

    Idempotent by contract: rolling the same day up twice gives the same rows.
    """
    day = dt.datetime.fromtimestamp(timestamp, dt.UTC).date() if timestamp else None
    day = (day or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=1)
    roll_up = getattr(metrics, "roll_up", None)
    if roll_up is None:
        log.info("no metric roll-up defined yet (app.services.metrics.roll_up)")
        return "nothing to roll up"
    with jobs.FlaskContext.app_context():
        roll_up(db.session(), day)
        db.session.commit()
    return f"rolled up {day.isoformat()}"
