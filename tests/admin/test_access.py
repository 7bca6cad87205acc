"""Who may open what in /admin: anonymous → login, wrong role → 403, right role → 200;
and the login form itself (wrong password, CSRF, rate limiting)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import limiter
from tests.admin.conftest import csrf_token
from tests.conftest import TEST_PASSWORD, login
from tests.public.conftest import CatalogBuilder

LIST_PAGES = [
    "/admin/",
    "/admin/makes/",
    "/admin/models/",
    "/admin/vehicles/",
    "/admin/brands/",
    "/admin/categories/",
    "/admin/parts/",
    "/admin/fitments/",
    "/admin/imports/",
    "/admin/retailers/",
    "/admin/offers/",
    "/admin/users/",
    "/admin/audit/",
]
CREATE_FORMS = [
    "/admin/makes/new/",
    "/admin/models/new/",
    "/admin/vehicles/new/",
    "/admin/brands/new/",
    "/admin/categories/new/",
    "/admin/parts/new/",
    "/admin/retailers/new/",
    "/admin/offers/new/",
    "/admin/users/new/",
]


@pytest.mark.parametrize("path", [*LIST_PAGES, "/admin/parts/new/", "/admin/users/edit/?id=1"])
def test_anonymous_is_sent_to_the_login_page_and_back(client: FlaskClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/account/login"
    assert not location.netloc  # an internal redirect, never another host
    assert parse_qs(location.query)["next"] == [path]


def test_anonymous_post_is_sent_to_login_not_processed(client: FlaskClient) -> None:
    response = client.post("/admin/brands/new/", data={"name": "Sneaky"})
    # Flask-WTF refuses the token-less POST before the admin even sees it.
    assert response.status_code == 400


def test_curator_edits_the_catalog_but_not_users_or_retail(logged_in: Any) -> None:
    client = logged_in("curator@example.com", "curator")

    for path in (
        "/admin/",
        "/admin/parts/",
        "/admin/fitments/",
        "/admin/parts/new/",
        "/admin/makes/",
        "/admin/imports/",
        "/admin/audit/",
    ):
        assert client.get(path).status_code == 200, path
    for path in ("/admin/users/", "/admin/users/new/", "/admin/retailers/", "/admin/offers/"):
        assert client.get(path).status_code == 403, path


def test_curator_menu_hides_what_it_cannot_open(logged_in: Any) -> None:
    page = logged_in("curator@example.com", "curator").get("/admin/").get_data(as_text=True)

    assert 'href="/admin/parts/"' in page
    assert 'href="/admin/users/"' not in page
    assert 'href="/admin/retailers/"' not in page


def test_importer_sees_imports_but_cannot_edit_fitments_or_users(
    logged_in: Any, build: CatalogBuilder
) -> None:
    honda = build.make("Honda")
    cbr = build.model(honda, "CBR600RR")
    pads = build.part(build.brand("EBC Brakes"), "FA390HH", "Front pads")
    (fitment,) = build.fit(pads, build.vehicles(cbr, [2015]).values(), status="unverified")
    client = logged_in("importer@example.com", "importer")

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/imports/").status_code == 200
    assert client.get(f"/admin/fitments/edit/?id={fitment.id}").status_code == 403
    assert client.get("/admin/fitments/").status_code == 403
    assert client.get("/admin/users/").status_code == 403
    assert client.get("/admin/parts/").status_code == 403


def test_admin_opens_every_page(logged_in: Any) -> None:
    client = logged_in("boss@example.com", "admin")

    for path in LIST_PAGES + CREATE_FORMS:
        assert client.get(path).status_code == 200, path


def test_an_account_without_roles_gets_403(logged_in: Any) -> None:
    client = logged_in("nobody@example.com")

    assert client.get("/admin/").status_code == 403


def test_deactivated_account_loses_access(app: Flask, logged_in: Any, db_session: Any) -> None:
    from app.models import User

    client = logged_in("gone@example.com", "admin")
    user = db_session.query(User).filter_by(email="gone@example.com").one()
    user.active = False
    db_session.flush()

    response = client.get("/admin/parts/")
    assert response.status_code in (302, 403)
    assert response.status_code != 200


def test_wrong_password_does_not_log_in(client: FlaskClient, user_factory: Any) -> None:
    user_factory("curator@example.com", "curator")

    response = login(client, "curator@example.com", password="not the password at all")

    assert response.status_code == 200  # the form again, with an error
    assert b"Invalid password" in response.data or b"Invalid" in response.data
    assert client.get("/admin/").status_code == 302


def test_login_without_csrf_token_is_refused(client: FlaskClient, user_factory: Any) -> None:
    user_factory("curator@example.com", "curator")

    response = client.post(
        "/account/login", data={"email": "curator@example.com", "password": TEST_PASSWORD}
    )

    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_login_is_rate_limited(
    app: Flask, client: FlaskClient, user_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The limit is read from config on each request, so a low one can be set for this test
    # (a second create_app would stack its limit onto the shared Limiter's login route).
    user_factory("curator@example.com", "curator")
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    limiter.reset()
    try:
        token = csrf_token(client.get("/account/login").data)
        form = {"email": "curator@example.com", "password": "wrong password!!", "csrf_token": token}
        statuses = [client.post("/account/login", data=form).status_code for _ in range(4)]
        # Even the right password is refused once the limit is reached.
        right = client.post("/account/login", data={**form, "password": TEST_PASSWORD})
    finally:
        limiter.reset()

    assert statuses == [200, 200, 200, 429]
    assert right.status_code == 429
    assert b"Too many login attempts" in right.data
    assert client.get("/account/login").status_code == 200  # GETs are never limited
