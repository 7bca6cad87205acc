"""The email outbox: queue an email in the caller's transaction; the worker sends it after.

Nothing lost: the row is committed with the event that caused it, and a send that dies
half-way (worker killed, response lost) is picked up again when its lease runs out.
Nothing sent twice: every attempt carries the row's idempotency key, so Resend answers a
repeated request with the first one's result instead of sending again.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.email import EmailError, OutgoingEmail, Sender
from app.models.base import utcnow
from app.models.email import EmailOutbox
from app.services import audit

KIND_MAX = 40


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry: exponential backoff with jitter, capped."""

    max_attempts: int = 8
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0
    lease_seconds: int = 120

    @classmethod
    def from_config(cls, config: Any) -> RetryPolicy:
        return cls(
            max_attempts=int(config.get("OUTBOX_MAX_ATTEMPTS", 8)),
            base_seconds=float(config.get("OUTBOX_BACKOFF_SECONDS", 30)),
            cap_seconds=float(config.get("OUTBOX_BACKOFF_MAX_SECONDS", 3600)),
            lease_seconds=int(config.get("OUTBOX_LEASE_SECONDS", 120)),
        )

    def backoff(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds before attempt `attempts + 1`: base·2^(n-1), capped, with ±25 % jitter
        so many rows failing together do not all come back at the same second."""
        delay = min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        return delay * (rng or random.Random()).uniform(0.75, 1.25)  # noqa: S311 - jitter


def enqueue(
    session: Session,
    *,
    kind: str,
    to: str,
    subject: str,
    html: str,
    text: str,
    headers: dict[str, str] | None = None,
) -> EmailOutbox:
    """Add an email to the outbox (flushed; the caller's commit makes it real)."""
    row = EmailOutbox(
        kind=kind[:KIND_MAX],
        to_address=to.strip(),
        subject=" ".join(subject.split())[:300],
        html=html,
        text=text,
        headers=dict(headers or {}),
        status="pending",
        attempts=0,
        last_error="",
    )
    session.add(row)
    session.flush()
    return row


def claim_due(
    session: Session, *, policy: RetryPolicy, limit: int = 50, now: dt.datetime | None = None
) -> list[EmailOutbox]:
    """Take up to `limit` due rows for this worker: status sending, attempts + 1, leased.

    Due = pending and past `next_attempt_at`, or still "sending" past the lease (its worker
    died). SKIP LOCKED lets several workers claim side by side without waiting or sharing.
    Rows that used every attempt are marked failed instead of being claimed again.
    """
    now = now or utcnow()
    rows = list(
        session.scalars(
            select(EmailOutbox)
            .where(
                EmailOutbox.status.in_(("pending", "sending")),
                EmailOutbox.next_attempt_at <= now,
            )
            .order_by(EmailOutbox.next_attempt_at, EmailOutbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    claimed: list[EmailOutbox] = []
    for row in rows:
        if row.attempts >= policy.max_attempts:
            row.status = "failed"
            row.last_error = (
                f"gave up after {row.attempts} attempts; last error: {row.last_error}"
            )[:2000]
            continue
        row.status = "sending"
        row.attempts += 1
        row.next_attempt_at = now + dt.timedelta(seconds=policy.lease_seconds)
        claimed.append(row)
    session.flush()
    return claimed


def deliver(
    session: Session,
    row: EmailOutbox,
    sender: Sender,
    *,
    sender_address: str,
    policy: RetryPolicy,
    now: dt.datetime | None = None,
) -> str:
    """Send one claimed row and record the outcome: "sent", "retry" or "failed"."""
    email = OutgoingEmail(
        to=row.to_address,
        sender=sender_address,
        subject=row.subject,
        html=row.html,
        text=row.text,
        idempotency_key=str(row.idempotency_key),
        headers=row.headers or {},
    )
    try:
        result = sender.send(email)
    except EmailError as exc:
        now = now or utcnow()
        row.last_error = exc.reason[:2000]
        if not exc.retryable:
            row.status = "failed"
        elif row.attempts >= policy.max_attempts:
            row.status = "failed"
            row.last_error = f"gave up after {row.attempts} attempts: {exc.reason}"[:2000]
        else:
            row.status = "pending"
            delay = max(policy.backoff(row.attempts), exc.retry_after or 0)
            row.next_attempt_at = now + dt.timedelta(seconds=delay)
        session.flush()
        return "failed" if row.status == "failed" else "retry"
    row.status = "sent"
    row.sent_at = now or utcnow()
    row.provider_message_id = result.message_id[:120]
    row.last_error = ""
    session.flush()
    return "sent"


def resend(session: Session, row: EmailOutbox, *, actor_id: int | None) -> EmailOutbox:
    """An admin's "send again".

    A failed or waiting row goes back to pending now, with the same idempotency key (if an
    earlier attempt did reach Resend, it answers with that result instead of sending twice).
    A sent row is copied to a new row with a new key: a deliberate second copy.
    """
    before = {"status": row.status, "attempts": row.attempts}
    if row.status == "sent":
        target = enqueue(
            session,
            kind=row.kind,
            to=row.to_address,
            subject=row.subject,
            html=row.html,
            text=row.text,
            headers=row.headers,
        )
    else:
        target = row
        row.status = "pending"
        row.attempts = 0
        row.next_attempt_at = utcnow()
        session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="resend",
        entity="email_outbox",
        entity_id=row.id,
        before=before,
        after={"status": target.status, "row": target.id},
    )
    return target
