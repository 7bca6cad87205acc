"""Admin test helpers: a client whose requests each start with an empty `g`, CSRF scraping,
and the catalog builder shared with the public-page tests."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import login

# The public tests' catalog builders, shared rather than copied: `build` (one row at a time)
# and `garage` (Honda CBR600RR with EBC pads, fitments in every status).
from tests.public.conftest import build, count_queries, garage  # noqa: F401 - re-exported fixtures


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
