"""Account emails end to end: password reset through the outbox to the fake Resend,
one-click unsubscribe, and the preferences page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.email import EmailOutbox
from app.services import digests
from app.tasks.outbox import send_due
from tests.conftest import login
from tests.fakes_resend import FakeResend, fake_resend


@pytest.fixture
def resend_api(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeResend]:
    with fake_resend() as fake:
        monkeypatch.setitem(app.config, "RESEND_API_KEY", "re_test_key")
        monkeypatch.setitem(app.config, "RESEND_API_URL", fake.url)
        yield fake


def _csrf(html: bytes) -> str:
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf token"
    return match.group(1).decode()


def test_a_password_reset_email_goes_through_the_outbox_to_resend(
    client: FlaskClient, db_session: Session, user_factory: Any, resend_api: FakeResend
) -> None:
    user_factory("forgetful@example.com", "curator")
    page = client.get("/account/reset")
    assert page.status_code == 200

    response = client.post(
        "/account/reset", data={"email": "forgetful@example.com", "csrf_token": _csrf(page.data)}
    )

    assert response.status_code in (200, 302)
    row = db_session.scalar(
        select(EmailOutbox).where(EmailOutbox.to_address == "forgetful@example.com")
    )
    assert row is not None and row.kind == "reset_instructions" and row.status == "pending"
    assert "/account/reset/" in row.text

    send_due(db_session)

    (delivered,) = [d for d in resend_api.delivered if d["to"] == ["forgetful@example.com"]]
    assert "/account/reset/" in delivered["text"]
    assert delivered["idempotency_key"] == str(row.idempotency_key)
    db_session.refresh(row)
    assert row.status == "sent"


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    client: FlaskClient, db_session: Session
) -> None:
    page = client.get("/account/reset")
    response = client.post(
        "/account/reset", data={"email": "nobody@example.com", "csrf_token": _csrf(page.data)}
    )
    assert response.status_code in (200, 302)
    assert (
        db_session.scalar(select(EmailOutbox).where(EmailOutbox.to_address == "nobody@example.com"))
        is None
    )


def test_one_click_unsubscribe(
    app: Flask, client: FlaskClient, db_session: Session, user_factory: Any
) -> None:
    user = user_factory("leaving@example.com", "curator")
    token = digests.unsubscribe_token(app.config["SECRET_KEY"], user.id)
    url = f"/account/emails/unsubscribe/{token}"

    page = client.get(url)  # a mail scanner opening the link changes nothing
    assert page.status_code == 200 and b"Unsubscribe from curator digests?" in page.data
    assert user.digest_frequency == "daily"

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", no session, no CSRF token.
    done = client.post(url, data={"List-Unsubscribe": "One-Click"})

    assert done.status_code == 200 and b"You are unsubscribed" in done.data
    db_session.refresh(user)
    assert user.digest_frequency == "off"


def test_a_forged_unsubscribe_link_is_refused(client: FlaskClient, user_factory: Any) -> None:
    user = user_factory("victim@example.com", "curator")
    forged = digests.unsubscribe_token("not-our-secret", user.id)
    assert client.post(f"/account/emails/unsubscribe/{forged}").status_code == 404
    assert client.get("/account/emails/unsubscribe/garbage").status_code == 404
    assert user.digest_frequency == "daily"


def test_preferences_need_a_login_and_save_the_choice(
    client: FlaskClient, db_session: Session, user_factory: Any
) -> None:
    anonymous = client.get("/account/emails/preferences")
    assert anonymous.status_code in (302, 401)

    user = user_factory("prefs@example.com", "curator")
    assert login(client, "prefs@example.com").status_code == 302
    page = client.get("/account/emails/preferences")
    assert page.status_code == 200 and b'value="daily" checked' in page.data

    saved = client.post(
        "/account/emails/preferences",
        data={"digest_frequency": "weekly", "csrf_token": _csrf(page.data)},
    )

    assert saved.status_code == 200 and b"Saved" in saved.data
    db_session.refresh(user)
    assert user.digest_frequency == "weekly"
    refused = client.post("/account/emails/preferences", data={"digest_frequency": "weekly"})
    assert refused.status_code == 400  # no CSRF token
