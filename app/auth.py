"""Authentication: Flask-Security-Too (argon2 hashes, CSRF'd forms) with login rate limiting."""

from __future__ import annotations

from flask import Flask, current_app
from flask_security import Security, SQLAlchemyUserDatastore

from app.extensions import db, limiter
from app.models.users import Role, User

user_datastore = SQLAlchemyUserDatastore(db, User, Role)
security = Security()


def init_app(app: Flask) -> None:
    """Bind Flask-Security and throttle POSTs to the login form per client address."""
    security.init_app(app, user_datastore)
    login_view = app.view_functions["security.login"]
    app.view_functions["security.login"] = limiter.limit(  # type: ignore[assignment]
        lambda: current_app.config["LOGIN_RATE_LIMIT"],
        methods=["POST"],
        error_message="Too many login attempts. Wait a minute and try again.",
    )(login_view)
