"""Sentry initialisation: errors and traces, tagged with release and environment, no PII.

The web process and the worker both build the app with create_app, so both report: web
errors through the Flask integration, job failures through procrastinate's ERROR log line
(Sentry's logging integration turns ERROR records into events, with the traceback).
Everything leaving the process goes through `scrub` first: no emails, cookies, auth
headers, passwords or tokens, wherever they appear in the event.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any

from flask import Flask

FILTERED = "[Filtered]"
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Keys whose values never leave the process (headers, form fields, cookies, extra data).
SECRET_KEYS = re.compile(
    r"pass(word)?|secret|token|auth|cookie|session|csrf|api[-_]?key|credential|email|"
    r"set-cookie|x-forwarded-for|x-real-ip",
    re.IGNORECASE,
)


def init_app(app: Flask) -> None:
    """Start Sentry only when SENTRY_DSN is set (the embedded default is: off)."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.sqlalchemy import SqlalchemyIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=app.config.get("SENTRY_ENVIRONMENT") or app.config["APP_ENV"],
        release=app.config.get("SENTRY_RELEASE") or os.environ.get("GIT_SHA") or None,
        traces_sample_rate=float(app.config["SENTRY_TRACES_SAMPLE_RATE"]),
        # send_default_pii left unset (deprecated): the SDK then collects no user data and
        # adds its default EventScrubber; before_send below scrubs what is left.
        max_request_body_size="small",
        include_local_variables=False,  # locals may hold emails, tokens, form data
        integrations=[
            FlaskIntegration(),
            SqlalchemyIntegration(),
            LoggingIntegration(event_level=logging.ERROR),
        ],
        before_send=before_send,
        before_send_transaction=before_send,
        before_breadcrumb=before_breadcrumb,
    )


def before_send(event: Any, hint: Any) -> Any:
    """Scrub an event (or transaction) of personal data before it is sent."""
    if isinstance(event.get("request"), dict):
        _scrub_request(event["request"])
    event.pop("user", None)
    for key in ("extra", "contexts", "tags"):
        if isinstance(event.get(key), dict):
            event[key] = scrub(event[key])
    if isinstance(event.get("logentry"), dict):
        event["logentry"] = scrub(event["logentry"], keys=False)
    for exception in (event.get("exception") or {}).get("values", []) or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = _scrub_text(exception["value"])
    if isinstance(event.get("message"), str):
        event["message"] = _scrub_text(event["message"])
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict) and isinstance(breadcrumbs.get("values"), list):
        breadcrumbs["values"] = [scrub(b, keys=False) for b in breadcrumbs["values"]]
    return event


def _scrub_request(request: dict[str, Any]) -> None:
    """No cookies, no raw bodies; secret-looking headers and form fields filtered."""
    request.pop("cookies", None)
    if not isinstance(request.get("data"), dict):
        request.pop("data", None)  # a raw body: no way to tell what is in it
    for key in ("headers", "data", "env"):
        if isinstance(request.get(key), dict):
            request[key] = scrub(request[key])
    for key in ("query_string", "url"):
        if isinstance(request.get(key), str):
            request[key] = _scrub_text(request[key])


def before_breadcrumb(crumb: Any, hint: Any) -> Any:
    """Breadcrumbs (log lines, SQL) may quote an address: scrub them as they are recorded."""
    return scrub(crumb, keys=False)


def scrub(value: Any, *, keys: bool = True) -> Any:
    """Recursively filter secret-looking keys (when `keys`) and email addresses in text."""
    if isinstance(value, Mapping):
        return {
            k: FILTERED if keys and SECRET_KEYS.search(str(k)) else scrub(v, keys=keys)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(v, keys=keys) for v in value]
    if isinstance(value, str):
        return _scrub_text(value)
    return value


def _scrub_text(text: str) -> str:
    return EMAIL.sub(FILTERED, text)
