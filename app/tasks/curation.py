"""Curation jobs: the nightly duplicate scan, the queue's source/priority refresh with
conflict detection for newly committed batches, and the full refresh at night."""

from __future__ import annotations

import datetime as dt
import logging
import time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import jobs
from app.extensions import db
from app.models import ImportBatch
from app.services import conflicts, dedup, queue

log = logging.getLogger(__name__)

QUEUE = "curation"
SCAN_TASK = "curation.dedup_scan"
SCAN_LOCK = "curation-dedup-scan"
REFRESH_LOCK = "curation-queue-refresh"
REFRESH_TASK = "curation.refresh_queue"
# The incremental refresh runs every 10 minutes and looks back further, so a late or
# skipped run loses nothing (re-running is harmless: it only rewrites what changed).
LOOK_BACK = dt.timedelta(minutes=30)


@jobs.queue.periodic(cron="40 3 * * *")
@jobs.queue.task(name=SCAN_TASK, queue=QUEUE, lock=SCAN_LOCK, queueing_lock=SCAN_LOCK)
def dedup_scan(timestamp: int | None = None, entity: str | None = None) -> dict[str, int]:
    """Propose duplicate candidates (all entities, or one); returns new pairs per entity."""
    with jobs.FlaskContext.app_context():
        session = db.session()
        entities = [entity] if entity else list(dedup.ENTITIES)
        results = dedup.scan_all(session, entities)
        session.commit()
    summary = {r.entity: r.new for r in results}
    log.info("dedup scan: %s", summary)
    return summary


@jobs.queue.periodic(cron="*/10 * * * *")
@jobs.queue.task(name=REFRESH_TASK, queue=QUEUE, lock=REFRESH_LOCK, queueing_lock=REFRESH_LOCK)
def refresh_queue(timestamp: int | None = None) -> dict[str, int]:
    """Conflicts for recently committed batches, then sources/priority of fitments whose
    evidence is new (one commit)."""
    now = dt.datetime.fromtimestamp(timestamp, dt.UTC) if timestamp else dt.datetime.now(dt.UTC)
    since = now - LOOK_BACK
    with jobs.FlaskContext.app_context():
        session = db.session()
        batch_ids = session.scalars(
            select(ImportBatch.id).where(
                ImportBatch.status == "committed", ImportBatch.committed_at >= since
            )
        ).all()
        flagged = 0
        for batch_id in batch_ids:
            flagged += len(conflicts.detect_conflicts(session, batch_id=batch_id)[1])
        changed = queue.refresh_stats(session, evidence_since=since)
        session.commit()
    return {"batches": len(batch_ids), "flagged": flagged, "refreshed": changed}


def refresh_soon(session: Session) -> int | None:
    """Queue the incremental refresh to run as soon as the caller's transaction commits (an
    import committed or undone: conflicts and queue order follow within seconds, not at the
    next ten-minute tick). None when one is already waiting: it will see this change too."""
    try:
        with session.begin_nested():
            return jobs.defer(
                session,
                REFRESH_TASK,
                # Its look-back window ends now, not when a busy worker gets to it.
                args={"timestamp": int(time.time())},
                queue_name=QUEUE,
                lock=REFRESH_LOCK,
                queueing_lock=REFRESH_LOCK,
            )
    except IntegrityError:  # procrastinate's queueing lock: one waiting refresh is enough
        return None


@jobs.queue.periodic(cron="20 2 * * *")
@jobs.queue.task(
    name="curation.refresh_queue_full", queue=QUEUE, lock=REFRESH_LOCK, queueing_lock=REFRESH_LOCK
)
def refresh_queue_full(timestamp: int | None = None) -> int:
    """Every open fitment's sources and priority (bike popularity moves daily)."""
    with jobs.FlaskContext.app_context():
        session = db.session()
        changed = queue.refresh_stats(session)
        session.commit()
    return changed
