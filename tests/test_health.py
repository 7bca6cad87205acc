"""Health endpoints: liveness without the database, readiness with it."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient


def test_healthz_answers_without_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_reports_reachable_database(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["database"] == "reachable"


def test_readyz_is_503_with_reason_when_database_unreachable(app: Flask) -> None:
    from app import create_app

    broken = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
        }
    )
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert "database unreachable" in response.json["reason"]
    assert broken.test_client().get("/healthz").status_code == 200


def test_every_response_carries_security_headers(client: FlaskClient) -> None:
    headers = client.get("/healthz").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert (
        "unsafe-inline"
        not in headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"]
    assert headers["Permissions-Policy"]


def test_web_workers_carry_no_migration_tooling(monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy
    from pathlib import Path

    from app import create_app

    gunicorn = runpy.run_path(str(Path(__file__).parent.parent / "gunicorn.conf.py"))
    assert "APP_ROLE=web" in gunicorn["raw_env"]
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://x@127.0.0.1:1/x"}
    assert "migrate" in create_app(config).extensions  # the CLI and release command migrate
    monkeypatch.setenv("APP_ROLE", "web")
    web = create_app(config)
    assert "migrate" not in web.extensions
    assert web.test_client().get("/healthz").status_code == 200
