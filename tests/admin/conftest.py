"""Admin test helpers: a client whose requests each start with an empty `g`, CSRF scraping,
and the catalog builder shared with the public-page tests."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import login

# The public tests' catalog builders, shared rather than copied: `build` (one row at a time)
# and `garage` (Honda CBR600RR with EBC pads, fitments in every status).
from tests.public.conftest import build, count_queries, garage  # noqa: F401 - re-exported fixtures

# Flask-Admin 2.2.1 still builds WTForms choices as raw tuples, which WTForms 3.3 deprecates
# (fixed upstream only in later Flask-Admin). Admin test modules set `pytestmark` to this.
FLASK_ADMIN_WTFORMS_DEPRECATIONS = [
    pytest.mark.filterwarnings("ignore:Yielding raw tuples from iter_choices:DeprecationWarning"),
    pytest.mark.filterwarnings(
        "ignore:Passing SelectField choices as tuples is deprecated:DeprecationWarning"
    ),
]


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
    monkeypatch.setattr(app, "test_client_class", FreshRequestClient)
    return app.test_client()


@pytest.fixture
def logged_in(client: FlaskClient, user_factory: Any) -> Any:
    """Create a user holding `roles` and log the test client in as them."""

    def as_user(email: str, *roles: str) -> FlaskClient:
        user_factory(email, *roles)
        response = login(client, email)
        assert response.status_code == 302, response.data[:500]
        return client

    return as_user


def csrf_token(html: bytes) -> str:
    """The first csrf_token value rendered in a page."""
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        rb'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "page has no csrf_token"
    return match.group(1).decode()


def admin_view(app: Flask, endpoint: str) -> Any:
    """The Flask-Admin view registered under `endpoint` ("parts", "fitments", …)."""
    (admin,) = app.extensions["admin"]
    return next(view for view in admin._views if view.endpoint == endpoint)
