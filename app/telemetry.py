"""Sentry initialisation: errors and traces, tagged with release and environment, no PII."""

from __future__ import annotations

import os

from flask import Flask


def init_app(app: Flask) -> None:
    """Start Sentry only when SENTRY_DSN is set (the embedded default is: off)."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.sqlalchemy import SqlalchemyIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=app.config["APP_ENV"],
        release=os.environ.get("GIT_SHA") or None,
        traces_sample_rate=app.config["SENTRY_TRACES_SAMPLE_RATE"],
        send_default_pii=False,
        integrations=[FlaskIntegration(), SqlalchemyIntegration()],
    )
