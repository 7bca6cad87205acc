"""Schedules: every integration job is periodic with locks, so any number of workers share
the schedule and a scheduled run is queued once, never twice."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import create_engine, text

from app import jobs

SCHEDULES = {
    ("outbox.send", ""): "* * * * *",
    ("prices.refresh", ""): "7 * * * *",
    ("digests.send", "daily"): "0 7 * * *",
    ("digests.send", "weekly"): "0 7 * * 1",
    ("metrics.roll_up", ""): "15 0 * * *",
    ("jobs.retry_stalled", ""): "*/2 * * * *",
    ("jobs.prune", ""): "30 3 * * *",
}


def _periodic() -> dict[tuple[str, str], Any]:
    import app.tasks  # noqa: F401 - registers the tasks, as the worker does

    return dict(jobs.queue.periodic_registry.periodic_tasks)


def test_every_schedule_is_registered_with_a_lock_and_a_queueing_lock() -> None:
    registered = _periodic()
    for key, cron in SCHEDULES.items():
        periodic = registered[key]
        assert periodic.cron == cron, key
        task = periodic.task
        queueing_lock = periodic.configure_kwargs.get("queueing_lock") or task.queueing_lock
        assert task.lock and queueing_lock, f"{key} needs a lock and a queueing lock"
    assert "app.tasks" in jobs.TASK_MODULES


def test_two_workers_queue_a_scheduled_run_once(fresh_database: Any) -> None:
    from flask_migrate import upgrade
    from procrastinate.periodic import PeriodicDeferrer

    from app import create_app
    from app.extensions import db

    url = fresh_database("mpp_schedules")
    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with application.app_context():
        upgrade()
        db.engine.dispose()

    registered = _periodic()
    timestamp = 1_795_564_800  # a Monday, 00:00 UTC

    async def two_workers() -> None:
        app = jobs.worker_app(url)
        async with app.open_async():
            for _ in range(2):  # two workers' deferrers see the same tick
                deferrer = PeriodicDeferrer(registry=app.periodic_registry)
                await deferrer.defer_jobs(
                    [(p, timestamp) for key, p in registered.items() if key in SCHEDULES]
                )

    asyncio.run(two_workers())

    engine = create_engine(url)
    with engine.connect() as conn:
        queued = conn.execute(
            text("SELECT task_name, count(*) FROM procrastinate_jobs GROUP BY task_name")
        ).all()
    engine.dispose()
    mine = {name for name, _ in SCHEDULES}
    per_task = {name: count for name, count in queued if name in mine}
    assert per_task == {
        "outbox.send": 1,
        "prices.refresh": 1,
        "digests.send": 2,  # daily and weekly are two schedules
        "metrics.roll_up": 1,
        "jobs.retry_stalled": 1,
        "jobs.prune": 1,
    }
