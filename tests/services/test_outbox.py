"""The outbox: rows written with their cause, sent after commit, retried with backoff,
never sent twice (Resend's Idempotency-Key), given up on validation errors."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.models.audit import AuditLog
from app.models.base import utcnow
from app.models.email import EmailOutbox
from app.services import outbox
from app.tasks.outbox import queue_email, send_due
from tests.fakes_resend import FakeResend, fake_resend

WAITING_SENDS = text(
    "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'outbox.send' AND status = 'todo'"
)
POLICY = outbox.RetryPolicy(max_attempts=4, base_seconds=30, cap_seconds=600, lease_seconds=60)


@pytest.fixture
def resend_api(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeResend]:
    with fake_resend() as fake:
        monkeypatch.setitem(app.config, "RESEND_API_KEY", "re_test_key")
        monkeypatch.setitem(app.config, "RESEND_API_URL", fake.url)
        monkeypatch.setitem(app.config, "OUTBOX_SEND_TIMEOUT", 0.5)
        monkeypatch.setitem(app.config, "EMAIL_FROM", "MotoPartPicker <noreply@example.com>")
        yield fake


def _queue(session: Session, to: str = "curator@example.com", **kwargs: Any) -> EmailOutbox:
    return outbox.enqueue(
        session,
        kind=kwargs.pop("kind", "test"),
        to=to,
        subject=kwargs.pop("subject", "Hello"),
        html="<p>Hi</p>",
        text="Hi",
        **kwargs,
    )


def _due_now(session: Session, row: EmailOutbox) -> None:
    row.next_attempt_at = utcnow() - dt.timedelta(seconds=1)
    session.flush()


def test_a_rolled_back_transaction_leaves_no_email(db_session: Session) -> None:
    with db_session.begin_nested() as savepoint:
        _queue(db_session, to="ghost@example.com")
        savepoint.rollback()
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(EmailOutbox)
            .where(EmailOutbox.to_address == "ghost@example.com")
        )
        == 0
    )


def test_queue_email_adds_the_row_and_one_send_job(db_session: Session) -> None:
    before = db_session.scalar(WAITING_SENDS)
    first = queue_email(
        db_session, kind="test", to="a@example.com", subject="A", html="a", text="a"
    )
    queue_email(db_session, kind="test", to="b@example.com", subject="B", html="b", text="b")

    assert first.status == "pending" and first.idempotency_key is not None
    jobs = db_session.scalar(WAITING_SENDS)
    assert jobs == max(before, 1)  # the queueing lock keeps one waiting send job


def test_sent_after_commit_with_the_rows_idempotency_key(
    db_session: Session, resend_api: FakeResend
) -> None:
    row = _queue(db_session)

    counts = send_due(db_session)

    assert counts["sent"] >= 1
    db_session.refresh(row)
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 1
    assert row.provider_message_id
    (request,) = [r for r in resend_api.requests if r.body["to"] == ["curator@example.com"]]
    assert request.idempotency_key == str(row.idempotency_key)
    assert request.body["from"] == "MotoPartPicker <noreply@example.com>"


def test_a_500_is_retried_later_with_the_same_key(
    db_session: Session, resend_api: FakeResend
) -> None:
    row = _queue(db_session)
    resend_api.script.append(("status", 500, "application_error"))

    send_due(db_session)
    db_session.refresh(row)
    assert row.status == "pending" and row.attempts == 1
    assert "500" in row.last_error
    assert row.next_attempt_at > utcnow() + dt.timedelta(seconds=15)  # backed off

    send_due(db_session)  # not due yet: nothing happens
    assert len(resend_api.requests) == 1

    _due_now(db_session, row)
    send_due(db_session)
    db_session.refresh(row)
    assert row.status == "sent" and row.attempts == 2 and row.last_error == ""
    keys = [r.idempotency_key for r in resend_api.requests]
    assert keys == [str(row.idempotency_key)] * 2
    assert len(resend_api.delivered) == 1


def test_a_timeout_after_resend_accepted_never_sends_twice(
    db_session: Session, resend_api: FakeResend
) -> None:
    row = _queue(db_session)
    resend_api.script.append(("slow", 1.5))  # accepted, but the answer comes too late

    send_due(db_session)
    db_session.refresh(row)
    assert row.status == "pending" and "network error" in row.last_error

    _due_now(db_session, row)
    send_due(db_session)
    db_session.refresh(row)
    assert row.status == "sent"
    assert len(resend_api.requests) == 2
    assert len(resend_api.delivered) == 1  # the retry was answered from the first send


def test_a_validation_error_fails_at_once_with_the_reason(
    db_session: Session, resend_api: FakeResend
) -> None:
    row = _queue(db_session, to="not-an-address")
    resend_api.script.append(("status", 422, "validation_error"))

    counts = send_due(db_session)

    db_session.refresh(row)
    assert counts["failed"] == 1
    assert row.status == "failed" and row.attempts == 1
    assert "422" in row.last_error and "validation_error" in row.last_error
    _due_now(db_session, row)
    send_due(db_session)
    assert len(resend_api.requests) == 1  # never retried


def test_a_429_is_retried(db_session: Session, resend_api: FakeResend) -> None:
    row = _queue(db_session)
    resend_api.script.append(("status", 429, "rate_limit_exceeded"))
    send_due(db_session)
    db_session.refresh(row)
    assert row.status == "pending" and "429" in row.last_error


def test_gives_up_after_the_last_attempt(db_session: Session) -> None:
    row = _queue(db_session)

    class Down:
        name = "down"

        def send(self, email: Any) -> Any:
            from app.adapters.email import EmailError

            raise EmailError("503 service_unavailable: down", retryable=True)

    for _ in range(POLICY.max_attempts):
        _due_now(db_session, row)
        (claimed,) = [r for r in outbox.claim_due(db_session, policy=POLICY) if r.id == row.id]
        outbox.deliver(db_session, claimed, Down(), sender_address="x@example.com", policy=POLICY)

    assert row.status == "failed" and row.attempts == POLICY.max_attempts
    assert row.last_error.startswith("gave up after 4 attempts")


def test_a_send_that_died_mid_way_is_claimed_again_after_its_lease(db_session: Session) -> None:
    row = _queue(db_session)
    (claimed,) = [r for r in outbox.claim_due(db_session, policy=POLICY) if r.id == row.id]
    assert claimed.status == "sending" and claimed.attempts == 1
    # The worker dies here. Within the lease nobody else takes the row…
    assert row.id not in [r.id for r in outbox.claim_due(db_session, policy=POLICY)]
    # …after it, the next claim does (and sends with the same idempotency key).
    later = utcnow() + dt.timedelta(seconds=POLICY.lease_seconds + 1)
    again = outbox.claim_due(db_session, policy=POLICY, now=later)
    assert row.id in [r.id for r in again] and row.attempts == 2


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(1)
    delays = [POLICY.backoff(n, rng) for n in range(1, 8)]
    assert 22.5 <= delays[0] <= 37.5
    assert 45 <= delays[1] <= 75
    assert all(d <= 600 * 1.25 for d in delays)
    assert delays[-1] >= 600 * 0.75


def test_resend_of_a_failed_email_keeps_its_key_and_of_a_sent_one_makes_a_copy(
    db_session: Session, user_factory: Any
) -> None:
    admin = user_factory("ops@example.com", "admin")
    failed = _queue(db_session, to="f@example.com")
    failed.status, failed.attempts, failed.last_error = "failed", 3, "422 validation_error"
    sent = _queue(db_session, to="s@example.com")
    sent.status, sent.sent_at, sent.attempts = "sent", utcnow(), 1
    db_session.flush()

    same = outbox.resend(db_session, failed, actor_id=admin.id)
    copy = outbox.resend(db_session, sent, actor_id=admin.id)

    assert same is failed and same.status == "pending" and same.attempts == 0
    assert copy.id != sent.id and copy.status == "pending"
    assert copy.idempotency_key != sent.idempotency_key and sent.status == "sent"
    actions = db_session.scalars(
        select(AuditLog.entity_id).where(AuditLog.action == "resend", AuditLog.actor_id == admin.id)
    ).all()
    assert sorted(actions) == sorted([failed.id, sent.id])
