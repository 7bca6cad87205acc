"""Worker tasks for the integrations: outbox sending, price refreshes, digests, roll-ups.

Each module registers its tasks on `app.jobs.queue` and is listed in `app.jobs.TASK_MODULES`.
Tasks are thin: enter the Flask app context, call a service, commit. Scheduled tasks carry
a `queueing_lock` (at most one waiting copy) and a `lock` (never two running at once), so
any number of workers can share the schedule.
"""

from app.tasks import digests, maintenance, metrics, outbox, prices

__all__ = ["digests", "maintenance", "metrics", "outbox", "prices"]
