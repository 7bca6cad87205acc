"""Shared fixtures: an embedded PostgreSQL, the schema built by running the migrations, and
one rolled-back transaction per test (Flask-Admin's own commits only release a savepoint)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app import create_app, embedded_db
from app.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEST_PGDATA = PROJECT_ROOT / "instance" / "test-pgdata"
TEST_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """A superuser URL: TEST_DATABASE_ADMIN_URL's server, else the embedded PostgreSQL."""
    admin_url = os.environ.get("TEST_DATABASE_ADMIN_URL")
    if admin_url:
        return admin_url
    server, _ = embedded_db.start(TEST_PGDATA, database="postgres")
    return str(server.get_uri())


@pytest.fixture(scope="session")
def fresh_database(pg_admin_url: str) -> Iterator[Any]:
    """A factory of throwaway databases on the test server, dropped at the end of the run."""
    created: list[str] = []

    def factory(prefix: str = "mpp_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        embedded_db.create_database(pg_admin_url, name)
        created.append(name)
        return database_url_for(pg_admin_url, name)

    yield factory
    for name in created:
        embedded_db.drop_database(pg_admin_url, name)


def database_url_for(admin_url: str, name: str) -> str:
    """The SQLAlchemy URL of database `name` on the server of `admin_url`."""
    from sqlalchemy.engine import make_url

    from app.config import sqlalchemy_url

    return (
        make_url(sqlalchemy_url(admin_url)).set(database=name).render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
def database_url(fresh_database: Any) -> str:
    """The database the app fixture migrates once per run."""
    return str(fresh_database())


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app under test, with the schema built by the real migrations."""
    from flask_migrate import upgrade

    instance = tmp_path_factory.mktemp("instance")
    os.environ.setdefault("INSTANCE_DIR", str(instance))
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key",
            "SECURITY_PASSWORD_SALT": "test-salt",
            "RATELIMIT_ENABLED": True,
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    with application.app_context():
        upgrade()
    yield application
    dispose_engines(application)


def dispose_engines(application: Flask) -> None:
    """Close pooled connections before the database is dropped (no ResourceWarning at exit)."""
    with application.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """Bind the app's session to one connection inside a transaction rolled back at the end."""
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        engines[None] = connection  # type: ignore[assignment]
        db.session.remove()
        try:
            yield db.session
        finally:
            db.session.remove()
            transaction.rollback()
            connection.close()
            engines[None] = engine


class FreshRequestClient(FlaskClient):
    """A test client whose every request starts with an empty `g`.

    The `db_session` fixture keeps an app context pushed for the whole test, and Flask reuses
    it for each test request, so `g` would outlive requests: Flask-Login caches the current
    user there and a second, anonymous client would act as whoever logged in first.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    """A test client whose requests share the rolled-back transaction."""
    monkeypatch.setattr(app, "test_client_class", FreshRequestClient)
    return app.test_client()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's session-wide event loop must not precede asyncio.run()
    callers (the job worker) in the same process."""
    items.sort(key=lambda item: "e2e" in item.keywords)


def make_user(session: Session, email: str, *roles: str) -> Any:
    """Create an active user with the given role names (password: TEST_PASSWORD)."""
    from flask_security import hash_password

    from app.services.users import create_user

    user = create_user(
        session,
        email=email,
        password=TEST_PASSWORD,
        role_names=list(roles),
        hash_password=hash_password,
    )
    session.flush()
    return user


def login(client: FlaskClient, email: str, password: str = TEST_PASSWORD) -> Any:
    """Log in through the real form, CSRF token included."""
    import re

    page = client.get("/account/login")
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.data)
    assert match, "login form has no CSRF token"
    return client.post(
        "/account/login",
        data={"email": email, "password": password, "csrf_token": match.group(1).decode()},
        follow_redirects=False,
    )


@pytest.fixture
def user_factory(db_session: Session) -> Any:
    """make_user bound to the test's session."""

    def factory(email: str, *roles: str) -> Any:
        return make_user(db_session, email, *roles)

    return factory
