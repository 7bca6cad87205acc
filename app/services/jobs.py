"""The job queue seen from the back office: what is queued, running, failed; retry; stalled.

Reads procrastinate's own tables (procrastinate_jobs, procrastinate_workers) with SQL and
changes job state only through procrastinate's SQL functions, so the worker and the admin
never disagree about what a state means.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

JOB_STATUSES = ("todo", "doing", "failed", "succeeded", "cancelled", "aborted")


class JobError(Exception):
    """A job could not be changed; the message is safe to show to an admin."""


class AlreadyQueuedError(JobError):
    """A copy of the job (same queueing lock) is already waiting to run."""


@dataclass(frozen=True)
class JobRow:
    """One job as the admin lists it."""

    id: int
    task_name: str
    queue_name: str
    status: str
    attempts: int
    args: dict[str, Any]
    scheduled_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    worker_alive: bool | None


def status_counts(session: Session) -> dict[str, int]:
    """How many jobs are in each status (every status present, zero when none)."""
    counts = dict.fromkeys(JOB_STATUSES, 0)
    for status, number in session.execute(
        text("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status")
    ):
        counts[status] = int(number)
    return counts


def list_jobs(
    session: Session, *, status: str | None = None, stalled_after: int = 60, limit: int = 100
) -> list[JobRow]:
    """The latest jobs (newest first), optionally in one status.

    `worker_alive` is False for a running job whose worker stopped sending heartbeats.
    """
    if status is not None and status not in JOB_STATUSES:
        raise JobError(f"unknown job status {status!r}")
    rows = session.execute(
        text(
            """
            SELECT j.id, j.task_name, j.queue_name, j.status::text, j.attempts, j.args,
                   j.scheduled_at,
                   (SELECT max(at) FROM procrastinate_events e
                     WHERE e.job_id = j.id AND e.type = 'started') AS started_at,
                   (SELECT max(at) FROM procrastinate_events e
                     WHERE e.job_id = j.id AND e.type IN ('succeeded', 'failed', 'cancelled',
                                                          'aborted')) AS finished_at,
                   CASE WHEN j.status <> 'doing' THEN NULL
                        ELSE coalesce(w.last_heartbeat >= now() - make_interval(secs => :stall),
                                      false) END AS worker_alive
              FROM procrastinate_jobs j
              LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
             WHERE (CAST(:status AS text) IS NULL OR j.status::text = :status)
             ORDER BY j.id DESC
             LIMIT :limit
            """
        ),
        {"status": status, "limit": limit, "stall": stalled_after},
    )
    return [JobRow(*row) for row in rows]


def retry(session: Session, job_id: int) -> None:
    """Put a failed (or stalled running) job back in the queue, to run now."""
    try:
        with session.begin_nested():
            session.execute(
                text("SELECT procrastinate_retry_job_v2(:id, now(), NULL, NULL, NULL)"),
                {"id": job_id},
            )
    except DBAPIError as exc:
        detail = str(exc.orig).splitlines()[0] if exc.orig is not None else ""
        if "unique" in detail.lower() or "queueing_lock" in detail:
            raise AlreadyQueuedError(
                f"job {job_id} was not retried: the same job is already waiting"
            ) from exc
        raise JobError(f"job {job_id} cannot be retried: {detail}") from exc


def retry_stalled(session: Session, *, seconds: int) -> list[int]:
    """Requeue every running job whose worker has sent no heartbeat for `seconds`.

    A stalled scheduled job whose next copy is already waiting (same queueing lock) is
    marked aborted instead: the waiting copy does the same, idempotent work, and a job
    left "doing" would hold its lock and block that copy forever.
    """
    ids = list(
        session.scalars(
            text(
                """
                SELECT j.id FROM procrastinate_jobs j
                  LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
                 WHERE j.status = 'doing'
                   AND (w.id IS NULL
                        OR w.last_heartbeat < now() - make_interval(secs => :seconds))
                 ORDER BY j.id
                   FOR UPDATE OF j SKIP LOCKED
                """
            ),
            {"seconds": seconds},
        )
    )
    handled = []
    for job_id in ids:
        try:
            retry(session, job_id)
        except AlreadyQueuedError:
            session.execute(
                text("SELECT procrastinate_finish_job_v1(:id, 'aborted', false)"), {"id": job_id}
            )
        except JobError:
            continue
        handled.append(job_id)
    return handled


def prune_succeeded(session: Session, *, days: int = 7) -> int:
    """Delete succeeded jobs finished more than `days` ago (every-minute schedules add up);
    failed jobs stay for the admin to see and retry."""
    result = session.execute(
        text(
            """
            DELETE FROM procrastinate_jobs j
             WHERE j.status = 'succeeded'
               AND NOT EXISTS (SELECT 1 FROM procrastinate_events e
                                WHERE e.job_id = j.id
                                  AND e.at > now() - make_interval(days => :days))
            """
        ),
        {"days": days},
    )
    return int(getattr(result, "rowcount", 0) or 0)
