"""Outbox sending: every minute, and right after an email is queued (same transaction)."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import jobs
from app.adapters import email as email_adapter
from app.extensions import db
from app.models.email import EmailOutbox
from app.services import outbox

log = logging.getLogger(__name__)

TASK = "outbox.send"
LOCK = "outbox-send"
QUEUE = "outbox"


@jobs.queue.periodic(cron="* * * * *")
@jobs.queue.task(name=TASK, queue=QUEUE, lock=LOCK, queueing_lock=LOCK)
def send_outbox(timestamp: int | None = None) -> dict[str, int]:
    """Send every due email; one commit per email so a crash loses at most the one in flight."""
    with jobs.FlaskContext.app_context():
        return send_due(db.session())


def send_due(session: Session) -> dict[str, int]:
    """Claim the due rows (committed as "sending" with a lease), then send them one by one."""
    config = current_app.config
    policy = outbox.RetryPolicy.from_config(config)
    sender = email_adapter.from_config(config)
    counts = {"sent": 0, "retry": 0, "failed": 0}
    while True:
        claimed = outbox.claim_due(
            session, policy=policy, limit=int(config.get("OUTBOX_BATCH_SIZE", 50))
        )
        ids = [row.id for row in claimed]
        session.commit()
        if not ids:
            break
        for row_id in ids:
            row = session.get(EmailOutbox, row_id)
            if row is None:  # pragma: no cover - rows are never deleted
                continue
            outcome = outbox.deliver(
                session, row, sender, sender_address=config["EMAIL_FROM"], policy=policy
            )
            session.commit()
            counts[outcome] += 1
            if outcome != "sent":
                log.warning("email %s not sent (%s): %s", row_id, outcome, row.last_error)
        if len(ids) < int(config.get("OUTBOX_BATCH_SIZE", 50)):
            break
    return counts


def defer_send(session: Session) -> None:
    """Ask the worker to send soon, in the caller's transaction.

    At most one send job waits at a time (queueing lock): if one is already queued it will
    pick this email up too, so the conflict is expected and swallowed inside a savepoint.
    """
    try:
        with session.begin_nested():
            jobs.defer(session, TASK, queue_name=QUEUE, lock=LOCK, queueing_lock=LOCK)
    except IntegrityError:
        log.debug("an outbox send job is already queued")


def queue_email(
    session: Session,
    *,
    kind: str,
    to: str,
    subject: str,
    html: str,
    text: str,
    headers: dict[str, str] | None = None,
) -> EmailOutbox:
    """Outbox row + send job, both in the caller's transaction (for views, CLI and jobs)."""
    row = outbox.enqueue(
        session, kind=kind, to=to, subject=subject, html=html, text=text, headers=headers
    )
    defer_send(session)
    return row
