"""Queue upkeep: jobs whose worker died mid-way go back to the queue."""

from __future__ import annotations

import logging

from flask import current_app

from app import jobs
from app.extensions import db
from app.services import jobs as job_service

log = logging.getLogger(__name__)

LOCK = "jobs-retry-stalled"


@jobs.queue.periodic(cron="*/2 * * * *")
@jobs.queue.task(name="jobs.retry_stalled", queue="maintenance", lock=LOCK, queueing_lock=LOCK)
def retry_stalled_jobs(timestamp: int | None = None) -> list[int]:
    """Requeue "doing" jobs whose worker stopped sending heartbeats (killed, OOM, lost VM).

    Every task is idempotent, so running the killed job again gives the same result.
    """
    with jobs.FlaskContext.app_context():
        session = db.session()
        retried = job_service.retry_stalled(
            session, seconds=int(current_app.config.get("JOBS_STALLED_AFTER_SECONDS", 60))
        )
        session.commit()
    if retried:
        log.warning("requeued stalled jobs %s", retried)
    return retried


@jobs.queue.periodic(cron="30 3 * * *")
@jobs.queue.task(
    name="jobs.prune", queue="maintenance", lock="jobs-prune", queueing_lock="jobs-prune"
)
def prune_jobs(timestamp: int | None = None) -> int:
    """Keep procrastinate_jobs small: succeeded jobs older than a week go."""
    with jobs.FlaskContext.app_context():
        deleted = job_service.prune_succeeded(db.session(), days=7)
        db.session.commit()
    return deleted
