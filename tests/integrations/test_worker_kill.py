"""Killing the worker mid-job loses nothing: a real `flask worker` process is killed (-9)
while Resend holds its request; the stalled job is requeued and the email goes out once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import text

from app import create_app, jobs
from app.extensions import db
from app.models.email import EmailOutbox
from app.tasks.outbox import queue_email
from tests.fakes_resend import fake_resend

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _app(url: str, resend_url: str) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "RESEND_API_KEY": "re_test_key",
            "RESEND_API_URL": resend_url,
            "OUTBOX_SEND_TIMEOUT": 5,
        }
    )


def _worker_process(url: str, resend_url: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "RESEND_API_KEY": "re_test_key",
        "RESEND_API_URL": resend_url,
        "OUTBOX_SEND_TIMEOUT": "30",
        "INSTANCE_DIR": str(tmp_path),
        "APP_ENV": "development",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--queue", "outbox"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_worker_killed_mid_send_loses_nothing_and_sends_once(
    fresh_database: Any, tmp_path: Path
) -> None:
    from flask_migrate import upgrade

    url = fresh_database("mpp_kill")
    with fake_resend() as resend_api:
        resend_api.script.append(("hang",))  # accept the email, then never answer
        application = _app(url, resend_api.url)
        with application.app_context():
            upgrade()
            row = queue_email(
                db.session(), kind="test", to="kill@example.com", subject="Hi", html="h", text="t"
            )
            row_id, key = row.id, str(row.idempotency_key)
            db.session.commit()

            worker = _worker_process(url, resend_api.url, tmp_path)
            try:
                assert resend_api.received.wait(60), "the worker never called Resend"
            finally:
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait(10)
            resend_api.released.set()

            session = db.session()
            doing = (
                session.execute(text("SELECT id FROM procrastinate_jobs WHERE status = 'doing'"))
                .scalars()
                .all()
            )
            assert len(doing) == 1  # the killed job, still marked as running
            assert session.get(EmailOutbox, row_id).status == "sending"

            # Time passes: the dead worker's heartbeat and the row's lease run out.
            session.execute(
                text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'")
            )
            session.execute(
                text("UPDATE email_outbox SET next_attempt_at = now() WHERE id = :id"),
                {"id": row_id},
            )
            jobs.defer(session, "jobs.retry_stalled", queue_name="maintenance")
            session.commit()

            runner = application.test_cli_runner()
            result = runner.invoke(args=["worker", "--burst", "--queue", "maintenance"])
            assert result.exit_code == 0, result.output
            # Requeued, or (when the schedule already queued the next send) set aside for it.
            assert jobs.job_status(session, doing[0]) in ("todo", "aborted")
            assert not session.execute(
                text("SELECT id FROM procrastinate_jobs WHERE status = 'doing'")
            ).all()

            result = runner.invoke(args=["worker", "--burst", "--queue", "outbox"])
            assert result.exit_code == 0, result.output
            assert not session.execute(
                text(
                    "SELECT id FROM procrastinate_jobs WHERE queue_name = 'outbox'"
                    " AND status IN ('todo', 'doing', 'failed')"
                )
            ).all()
            session.expire_all()
            sent = session.get(EmailOutbox, row_id)
            assert sent.status == "sent" and sent.attempts == 2
            db.session.remove()
            db.engine.dispose()

    assert [r.idempotency_key for r in resend_api.requests] == [key, key]
    assert len(resend_api.delivered) == 1  # Resend saw the key again: no second email
