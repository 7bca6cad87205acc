"""The background job queue: procrastinate on Postgres, jobs deferred inside the caller's
transaction, and the worker that `flask worker` (and `make run`) starts.

Deferring goes through the caller's SQLAlchemy session, so a job exists exactly when the
rows it is about were committed (no job for a rolled-back import, no import without its job).
Task modules register on `queue`; the worker imports them via `TASK_MODULES`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import procrastinate
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# Modules that define tasks; the worker imports them so their tasks are registered.
TASK_MODULES: list[str] = []
TASK_MODULES += ["app.tasks"]  # integrations: outbox, prices, digests, roll-ups, upkeep
TASK_MODULES += ["app.tasks.curation"]  # curation: dedup scan, queue refresh, conflicts
TASK_MODULES += ["app.tasks.imports"]  # imports: preview and commit of big files

queue = procrastinate.App(connector=procrastinate.PsycopgConnector(), import_paths=TASK_MODULES)


def libpq_url(sqlalchemy_url: str) -> str:
    """The libpq form of a SQLAlchemy URL (procrastinate talks to psycopg directly)."""
    return (
        make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


def worker_app(sqlalchemy_url: str) -> procrastinate.App:
    """`queue` itself, bound to the app's database (a worker process serves one database).

    Not `with_connector` (deprecated): tasks keep a link to the app they were registered on,
    and the periodic deferrer defers through it, so on a copy every schedule would fail
    with AppNotOpen and stop the worker.
    """
    connector = procrastinate.PsycopgConnector(conninfo=libpq_url(sqlalchemy_url))
    queue.connector = connector
    queue.job_manager.connector = connector
    return queue


class FlaskContext:
    """The Flask app the worker runs for: tasks enter its app context to get `db.session`.

    Kept here (set by `flask worker`) so task modules need no import of the factory.
    """

    app: Any = None

    @classmethod
    def app_context(cls) -> Any:
        if cls.app is None:
            raise RuntimeError("no Flask app bound to the worker (run it with `flask worker`)")
        return cls.app.app_context()


def defer(
    session: Session,
    task_name: str,
    *,
    args: dict[str, Any] | None = None,
    queue_name: str = "default",
    lock: str | None = None,
    queueing_lock: str | None = None,
    priority: int = 0,
    scheduled_at: dt.datetime | None = None,
) -> int:
    """Enqueue a job in the session's transaction; returns the job id."""
    row = session.execute(
        text(
            "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, :lock,"
            " :qlock, CAST(:args AS jsonb), :at)::procrastinate_job_to_defer_v1])) AS id"
        ),
        {
            "queue": queue_name,
            "task": task_name,
            "priority": priority,
            "lock": lock,
            "qlock": queueing_lock,
            "args": json.dumps(args or {}),
            "at": scheduled_at,
        },
    ).scalar_one()
    log.info("deferred job %s (%s) on queue %s", row, task_name, queue_name)
    return int(row)


def job_status(session: Session, job_id: int) -> str | None:
    """todo / doing / succeeded / failed / cancelled / aborted, or None for an unknown id."""
    return session.execute(
        text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
    ).scalar_one_or_none()
