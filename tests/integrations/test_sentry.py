"""Sentry: events reach a local ingest over HTTP, tagged with release and environment,
without personal data; a job that fails in the worker is reported too."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sentry_sdk
from flask import Flask

from app import create_app, jobs
from app.extensions import db
from tests.fakes_sentry import fake_sentry
from tests.integrations.conftest import stop_sentry

SECRET_EMAIL = "rider.secret@example.com"
# Kept out of the view's source lines (Sentry sends a few lines of code around each frame).
COOKIE = "cookie-value-that-must-not-leak"
TOKEN = "token-that-must-not-leak"
PASSWORD = "hunter2-password"


@jobs.queue.task(name="tests.always_fails", queue="tests-sentry")
def always_fails(label: str) -> None:
    raise RuntimeError(f"job {label} broke")


def _app(database_url: str, dsn: str, **extra: Any) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SENTRY_DSN": dsn,
            "SENTRY_ENVIRONMENT": "ci",
            "SENTRY_RELEASE": "abc1234",
            "SENTRY_TRACES_SAMPLE_RATE": 1.0,
            "WTF_CSRF_ENABLED": False,
            **extra,
        }
    )


def test_an_error_is_reported_with_release_and_environment_and_no_pii(database_url: str) -> None:
    with fake_sentry() as ingest:
        application = _app(database_url, ingest.dsn)

        @application.post("/boom")
        def boom() -> str:
            raise ValueError(f"could not save profile for {SECRET_EMAIL}")

        application.config["PROPAGATE_EXCEPTIONS"] = False
        client = application.test_client()
        client.set_cookie("session", COOKIE)
        try:
            response = client.post(
                f"/boom?email={SECRET_EMAIL}",
                data={"email": SECRET_EMAIL, "password": PASSWORD, "note": "fine"},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert response.status_code == 500
            sentry_sdk.flush(timeout=5)
        finally:
            stop_sentry()
            with application.app_context():
                db.engine.dispose()

        (event,) = ingest.events
        assert event["release"] == "abc1234" and event["environment"] == "ci"
        assert event["exception"]["values"][-1]["type"] == "ValueError"
        request = event["request"]
        assert "cookies" not in request and "user" not in event
        assert request["headers"].get("Authorization") in (None, "[Filtered]")
        transactions = ingest.transactions
        assert transactions and transactions[0]["release"] == "abc1234"
        raw = ingest.raw()
        for secret in (SECRET_EMAIL, COOKIE, TOKEN, PASSWORD):
            assert secret.encode() not in raw, secret


def test_a_failed_job_in_the_worker_is_reported(fresh_database: Any) -> None:
    from flask_migrate import upgrade

    with fake_sentry() as ingest:
        application = _app(fresh_database("mpp_sentry"), ingest.dsn, SENTRY_TRACES_SAMPLE_RATE=0.0)
        try:
            with application.app_context():
                upgrade()
                jobs.defer(
                    db.session(),
                    "tests.always_fails",
                    args={"label": "x1"},
                    queue_name="tests-sentry",
                )
                db.session.commit()
                result = application.test_cli_runner().invoke(
                    args=["worker", "--burst", "--queue", "tests-sentry"]
                )
                assert result.exit_code == 0, result.output
                sentry_sdk.flush(timeout=5)
        finally:
            stop_sentry()
            with application.app_context():
                db.session.remove()
                db.engine.dispose()

        (event,) = ingest.events
        assert event["release"] == "abc1234"
        assert event["exception"]["values"][-1]["type"] == "RuntimeError"
        assert "job x1 broke" in json.dumps(event)
        assert "tests.always_fails" in json.dumps(event.get("logentry") or event.get("message"))


def test_without_a_dsn_nothing_is_initialised(app: Flask) -> None:
    assert not app.config["SENTRY_DSN"]
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.parametrize(
    ("event", "leaks"),
    [
        ({"message": f"mail to {SECRET_EMAIL} failed"}, SECRET_EMAIL),
        ({"extra": {"api_key": "k-123"}}, "k-123"),
        ({"logentry": {"message": "to %s", "params": [SECRET_EMAIL]}}, SECRET_EMAIL),
        ({"request": {"data": "raw body password=abc"}}, "password=abc"),
        ({"breadcrumbs": {"values": [{"message": f"sent to {SECRET_EMAIL}"}]}}, SECRET_EMAIL),
    ],
)
def test_before_send_scrubs(event: dict[str, Any], leaks: str) -> None:
    from app.telemetry import before_send

    assert leaks not in json.dumps(before_send(event, {}))
