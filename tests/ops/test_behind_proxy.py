"""Behind Fly's proxy (BEHIND_PROXY=1 in fly.toml): login throttling is per rider, a client
cannot buy a fresh budget by forging X-Forwarded-For, and HTTPS is seen as HTTPS.

On a Fly machine every request arrives from the proxy's private address, with
`X-Forwarded-For: <client>, <app's public IP>` and `X-Forwarded-Proto: https`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, jsonify, request
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db

FLY_PROXY = "172.19.7.2"  # REMOTE_ADDR on the machine: the proxy's private address
APP_PUBLIC_IP = "66.241.125.10"  # Fly appends the app's own IP after the client's
RIDER_A, RIDER_B = "203.0.113.7", "198.51.100.23"
# High on purpose: every create_app in one process registers the login limit on the shared
# Limiter again, so in a full test run each POST counts once per app built so far. The
# drills below count attempts until throttled instead of assuming the budget.
ATTEMPTS_PER_MINUTE = 200


@pytest.fixture
def proxied_app(app: Flask, database_url: str) -> Iterator[Callable[[bool], Flask]]:
    """An app over the migrated test database, with or without BEHIND_PROXY."""
    built: list[Flask] = []

    def build(behind_proxy: bool) -> Flask:
        application = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "BEHIND_PROXY": behind_proxy,
                "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": "memory://",
                "LOGIN_RATE_LIMIT": f"{ATTEMPTS_PER_MINUTE} per minute",
            }
        )

        @application.get("/_drill/whoami")
        def whoami() -> Any:
            return jsonify(addr=request.remote_addr, scheme=request.scheme)

        built.append(application)
        return application

    yield build
    for application in built:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def _via_fly(rider_ip: str, forged: str = "") -> dict[str, Any]:
    forwarded = ", ".join(ip for ip in (forged, rider_ip, APP_PUBLIC_IP) if ip)
    return {
        "headers": {
            "X-Forwarded-For": forwarded,
            "X-Forwarded-Proto": "https",
            # Browsers send it on same-origin posts; Flask-WTF requires it over HTTPS.
            "Referer": "https://localhost/account/login",
        },
        "environ_base": {"REMOTE_ADDR": FLY_PROXY},
    }


def _csrf_token(client: FlaskClient, rider_ip: str) -> str:
    page = client.get("/account/login", **_via_fly(rider_ip))
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.data)
    assert match, page.data[:300]
    return match.group(1).decode()


def _failed_login(client: FlaskClient, rider_ip: str, forged: str = "", token: str = "") -> int:
    response = client.post(
        "/account/login",
        data={
            "email": "nobody@example.com",
            "password": "not the password at all",
            "csrf_token": token or _csrf_token(client, rider_ip),
        },
        **_via_fly(rider_ip, forged),
    )
    return response.status_code


def test_fly_proxy_headers_give_the_rider_address_and_https(
    proxied_app: Callable[[bool], Flask],
) -> None:
    client = proxied_app(True).test_client()

    seen = client.get("/_drill/whoami", **_via_fly(RIDER_A, forged="10.9.9.9")).get_json()

    assert seen == {"addr": RIDER_A, "scheme": "https"}


def test_without_the_flag_forwarded_headers_are_not_trusted(
    proxied_app: Callable[[bool], Flask],
) -> None:
    client = proxied_app(False).test_client()

    seen = client.get("/_drill/whoami", **_via_fly(RIDER_A)).get_json()

    assert seen == {"addr": FLY_PROXY, "scheme": "http"}


def _until_throttled(client: FlaskClient, rider_ip: str) -> int:
    """Fail logins until the limiter answers 429; returns how many attempts it took."""
    token = _csrf_token(client, rider_ip)
    for attempt in range(1, 2 * ATTEMPTS_PER_MINUTE + 1):
        if _failed_login(client, rider_ip, token=token) == 429:
            return attempt
    raise AssertionError("the login limit never triggered")


def test_one_rider_hitting_the_login_limit_does_not_lock_out_another(
    proxied_app: Callable[[bool], Flask],
) -> None:
    application = proxied_app(True)
    rider_a, rider_b = application.test_client(), application.test_client()

    _until_throttled(rider_a, RIDER_A)

    assert _failed_login(rider_a, RIDER_A, forged="192.0.2.99") == 429  # forging gains nothing
    assert _failed_login(rider_b, RIDER_B) == 200  # "invalid login", not "slow down"


def test_without_the_flag_every_rider_shares_the_proxy_budget(
    proxied_app: Callable[[bool], Flask],
) -> None:
    """Why fly.toml sets BEHIND_PROXY: otherwise one attacker locks every rider out."""
    application = proxied_app(False)
    rider_a, rider_b = application.test_client(), application.test_client()

    _until_throttled(rider_a, RIDER_A)

    assert _failed_login(rider_b, RIDER_B) == 429
