"""Authentication: Flask-Security-Too (argon2 hashes, CSRF'd forms) with login rate limiting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from flask_security import Security, SQLAlchemyUserDatastore

from app.account_emails import OutboxMailUtil
from app.extensions import db, limiter
from app.models.users import Role, User

user_datastore = SQLAlchemyUserDatastore(db, User, Role)
# Auth emails (password reset…) go through the outbox: see app/account_emails.py.
security = Security(mail_util_cls=OutboxMailUtil)


# One throttled wrapper per view function per process: Flask-Limiter registers a limit each
# time a function is decorated, so wrapping again for a second app would count POSTs twice.
_throttled: dict[Callable[..., Any], Callable[..., Any]] = {}


def throttle_post(app: Flask, endpoint: str, limit_key: str, message: str) -> None:
    """Rate-limit POSTs to `endpoint` per client address, the limit read from app.config."""
    view = app.view_functions[endpoint]
    if view not in _throttled:
        _throttled[view] = limiter.limit(
            lambda: current_app.config[limit_key], methods=["POST"], error_message=message
        )(view)
    app.view_functions[endpoint] = _throttled[view]


def init_app(app: Flask) -> None:
    """Bind Flask-Security and throttle POSTs to the login form per client address."""
    security.init_app(app, user_datastore)
    throttle_post(
        app,
        "security.login",
        "LOGIN_RATE_LIMIT",
        "Too many login attempts. Wait a minute and try again.",
    )
