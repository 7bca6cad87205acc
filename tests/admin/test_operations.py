"""Operations admin: the email outbox (resend), background jobs (retry), price providers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app import jobs
from app.models.audit import AuditLog
from app.models.email import EmailOutbox
from app.models.retailers import ProviderState
from app.services import outbox
from tests.admin.conftest import csrf_token


def _failed_email(session: Session) -> EmailOutbox:
    row = outbox.enqueue(
        session, kind="test", to="bounce@example.com", subject="Hi", html="h", text="t"
    )
    row.status, row.attempts, row.last_error = "failed", 1, "422 validation_error: bad address"
    session.flush()
    return row


def test_only_admins_see_operations(logged_in: Any) -> None:
    client = logged_in("curator@example.com", "curator")
    for url in ("/admin/outbox/", "/admin/jobs/", "/admin/providers/"):
        assert client.get(url).status_code == 403, url


def test_the_outbox_lists_status_attempts_and_last_error(
    logged_in: Any, db_session: Session
) -> None:
    client = logged_in("ops@example.com", "admin")
    _failed_email(db_session)

    page = client.get("/admin/outbox/")

    assert page.status_code == 200
    assert b"bounce@example.com" in page.data and b"422 validation_error: bad address" in page.data
    assert b">Resend</button>" in page.data


def test_the_resend_button_queues_the_email_again(logged_in: Any, db_session: Session) -> None:
    client = logged_in("ops@example.com", "admin")
    row = _failed_email(db_session)
    page = client.get("/admin/outbox/")

    response = client.post(
        f"/admin/outbox/resend/{row.id}", data={"csrf_token": csrf_token(page.data)}
    )

    assert response.status_code == 302
    db_session.refresh(row)
    assert row.status == "pending" and row.attempts == 0
    assert db_session.query(AuditLog).filter_by(action="resend", entity_id=row.id).count() == 1
    assert client.post(f"/admin/outbox/resend/{row.id}").status_code == 400  # no CSRF token


def test_the_jobs_page_shows_failed_jobs_and_retries_them(
    logged_in: Any, db_session: Session
) -> None:
    client = logged_in("ops@example.com", "admin")
    job_id = jobs.defer(db_session, "prices.refresh", queue_name="prices")
    db_session.execute(
        text("UPDATE procrastinate_jobs SET status = 'failed' WHERE id = :id"), {"id": job_id}
    )
    db_session.flush()

    page = client.get("/admin/jobs/?status=failed")
    assert page.status_code == 200
    assert b"prices.refresh" in page.data and b">Retry</button>" in page.data

    response = client.post(
        f"/admin/jobs/retry/{job_id}", data={"csrf_token": csrf_token(page.data)}
    )

    assert response.status_code == 302
    assert jobs.job_status(db_session, job_id) == "todo"
    again = client.post(f"/admin/jobs/retry/{job_id}", data={"csrf_token": csrf_token(page.data)})
    assert again.status_code == 302  # a job that is not failed: refused with a message
    assert b"cannot be retried" in client.get("/admin/jobs/").data


def test_the_providers_page_shows_breakers(logged_in: Any, db_session: Session) -> None:
    client = logged_in("ops@example.com", "admin")
    db_session.add(ProviderState(provider="revzilla-api", state="closed", last_error="HTTP 500"))
    db_session.flush()
    page = client.get("/admin/providers/")
    assert page.status_code == 200 and b"revzilla-api" in page.data and b"HTTP 500" in page.data


def test_old_succeeded_jobs_are_pruned_and_failed_ones_kept(db_session: Session) -> None:
    from app.services import jobs as job_service

    old_ok = jobs.defer(db_session, "prices.refresh", queue_name="prices")
    old_failed = jobs.defer(db_session, "digests.send", queue_name="digests")
    recent_ok = jobs.defer(db_session, "metrics.roll_up", queue_name="maintenance")
    db_session.execute(
        text("UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id IN (:a, :c)"),
        {"a": old_ok, "c": recent_ok},
    )
    db_session.execute(
        text("UPDATE procrastinate_jobs SET status = 'failed' WHERE id = :b"), {"b": old_failed}
    )
    db_session.execute(
        text(
            "UPDATE procrastinate_events SET at = now() - interval '30 days'"
            " WHERE job_id IN (:a, :b)"
        ),
        {"a": old_ok, "b": old_failed},
    )

    job_service.prune_succeeded(db_session, days=7)

    assert jobs.job_status(db_session, old_ok) is None
    assert jobs.job_status(db_session, old_failed) == "failed"
    assert jobs.job_status(db_session, recent_ok) == "succeeded"
