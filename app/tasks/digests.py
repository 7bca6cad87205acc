"""Curator digests: daily at 07:00 UTC, weekly on Mondays; one run per period, ever."""

from __future__ import annotations

import datetime as dt

from flask import current_app

from app import jobs
from app.extensions import db
from app.models.base import utcnow
from app.services import digests
from app.tasks.outbox import defer_send

TASK = "digests.send"


# type-ignore: procrastinate types periodic tasks as taking only `timestamp`; these also
# take the `frequency` given in task_kwargs.
@jobs.queue.periodic(  # type: ignore[arg-type]
    cron="0 7 * * *",
    periodic_id="daily",
    task_kwargs={"frequency": "daily"},
    queueing_lock="digests-daily",
)
@jobs.queue.periodic(
    cron="0 7 * * 1",
    periodic_id="weekly",
    task_kwargs={"frequency": "weekly"},
    queueing_lock="digests-weekly",
)
@jobs.queue.task(name=TASK, queue="digests", lock="digests")
def send_digests(timestamp: int | None = None, frequency: str = "daily") -> dict[str, int]:
    """Queue every due curator's digest in the outbox, then ask for a send."""
    with jobs.FlaskContext.app_context():
        return queue_digests(frequency)


def queue_digests(frequency: str, now: dt.datetime | None = None) -> dict[str, int]:
    """The digest run for the current app; one commit for all rows and the send job."""
    config = current_app.config
    base = str(config["PUBLIC_BASE_URL"]).rstrip("/")
    secret = str(config["SECRET_KEY"])
    session = db.session()
    summary = digests.queue_digests(
        session,
        frequency=frequency,
        now=now or utcnow(),
        link_for_user=lambda user_id: (
            f"{base}/account/emails/unsubscribe/{digests.unsubscribe_token(secret, user_id)}"
        ),
        preferences_url=f"{base}/account/emails/preferences",
        admin_url=f"{base}/admin/",
    )
    if summary["queued"]:
        defer_send(session)
    session.commit()
    return summary
