"""Read-only mode: the READ_ONLY switch plus automatic "database unreachable" detection.

`is_read_only()` is the one question the rest of the app asks. It is true while

- the `READ_ONLY` setting is on (the "DB down" runbook switch), or
- an admin flipped the in-process switch (`switch_read_only`), or
- a request found the database unreachable less than `DB_RETRY_SECONDS` ago.

In that state the public site serves saved pages (app.pagecache) and writes under /admin
are refused with a 503 before they reach a view. A view that refuses writes itself, with its
own message (the back office's secured views flash and redirect), declares
`handles_read_only = True` and is left to do so while the switch is on; while the database
is unreachable every write is refused here, since no view could do better. The state is per
process and per app: each web machine finds out for itself, and recovers by itself once a
query succeeds again.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, current_app, has_app_context, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger(__name__)

EXTENSION_KEY = "motopartpicker.readonly"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BACK_OFFICE_PATHS = ("/admin", "/account")
BACK_OFFICE_DOWN = (
    "The back office is read-only right now: the database cannot be reached, so nothing can "
    "be shown or changed here. The public site keeps serving saved pages. This page will work "
    "again as soon as the database is back."
)
ADMIN_WRITE_REFUSED = (
    "The back office is read-only right now, so nothing can be created, changed or deleted. "
    "{reason} Your change was not saved; please try again later."
)


@dataclass
class ReadOnlyState:
    """Per-app switch and the time the database was last found unreachable."""

    retry_seconds: float
    switched_on: bool = False
    database_down_since: float | None = None
    last_failure_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def database_down(self, now: float | None = None) -> bool:
        """True while the last failure is recent enough that we should not try again yet."""
        if self.last_failure_at is None:
            return False
        now = time.monotonic() if now is None else now
        return now - self.last_failure_at < self.retry_seconds

    def mark_down(self) -> None:
        with self.lock:
            now = time.monotonic()
            if self.database_down_since is None:
                self.database_down_since = now
                log.warning("database unreachable: serving saved pages, refusing admin writes")
            self.last_failure_at = now

    def mark_up(self) -> None:
        if self.database_down_since is None:
            return
        with self.lock:
            if self.database_down_since is not None:
                log.warning("database reachable again: leaving degraded mode")
            self.database_down_since = None
            self.last_failure_at = None


def _state(app: Flask | None = None) -> ReadOnlyState:
    app = app or current_app
    return app.extensions[EXTENSION_KEY]


def is_read_only() -> bool:
    """True while writes must be refused: the switch is on or the database is unreachable."""
    if not has_app_context() or EXTENSION_KEY not in current_app.extensions:
        return False
    state = _state()
    return bool(current_app.config.get("READ_ONLY")) or state.switched_on or state.database_down()


def read_only_reason() -> str:
    """A sentence for banners and refusals: why the app is read-only now ("" when it is not)."""
    if not has_app_context() or EXTENSION_KEY not in current_app.extensions:
        return ""
    if _state().database_down():
        return "The database cannot be reached at the moment."
    if current_app.config.get("READ_ONLY") or _state().switched_on:
        return "An administrator switched on read-only mode."
    return ""


def is_database_down() -> bool:
    """True while the database was found unreachable within the last DB_RETRY_SECONDS."""
    if not has_app_context() or EXTENSION_KEY not in current_app.extensions:
        return False
    return _state().database_down()


def switch_read_only(on: bool) -> None:
    """The admin toggle: flip read-only mode for this process (the env switch stays as set)."""
    _state().switched_on = on


def mark_database_unreachable() -> None:
    """Record that a query could not reach the database (opens the retry window)."""
    _state().mark_down()


def mark_database_reachable() -> None:
    """Record that a query succeeded (closes degraded mode if it was open)."""
    _state().mark_up()


def is_unreachable_error(error: BaseException) -> bool:
    """Errors that mean "no database" (refused, reset, timed out), not a bad query."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def _view_handles_read_only(app: Flask) -> bool:
    """True when the view this request is routed to refuses writes itself (see above)."""
    view = app.view_functions.get(request.endpoint or "")
    owner = getattr(view, "__self__", view)
    return bool(getattr(owner, "handles_read_only", False))


def _outage_page(title: str, message: str) -> ResponseReturnValue:
    """A 503 page rendered without context processors: Flask-Login's would query the user."""
    template = current_app.jinja_env.get_template("errors/generic.html")
    body = template.render(code=503, title=title, message=message)
    return body, 503, {"Retry-After": "30", "Cache-Control": "no-store"}


def init_app(app: Flask) -> None:
    """Keep the state on the app and refuse admin writes while read-only."""
    app.extensions[EXTENSION_KEY] = ReadOnlyState(
        retry_seconds=float(app.config.get("DB_RETRY_SECONDS", 5))
    )

    def _back_office_down() -> ResponseReturnValue:
        return _outage_page("Read-only mode", BACK_OFFICE_DOWN)

    def _refuse_admin_writes() -> ResponseReturnValue | None:
        if request.path.startswith(BACK_OFFICE_PATHS) and is_database_down():
            return _back_office_down()  # every page needs the database (even the login)
        if request.method in SAFE_METHODS or not request.path.startswith("/admin"):
            return None
        if not is_read_only():
            return None
        if not is_database_down() and _view_handles_read_only(app):
            return None
        message = ADMIN_WRITE_REFUSED.format(reason=read_only_reason())
        body = render_template(
            "errors/generic.html", code=503, title="Read-only mode", message=message
        )
        return body, 503, {"Retry-After": "60", "Cache-Control": "no-store"}

    # First in line: a refused write should say "read-only", not fail a CSRF or login check.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_admin_writes)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unreachable(error: DBAPIError) -> ResponseReturnValue:
        """Outside the public blueprint (which serves saved pages): note the outage, say so."""
        from app.extensions import db

        db.session.rollback()
        if not is_unreachable_error(error):
            raise error
        mark_database_unreachable()
        log.warning("database unreachable while serving %s", request.path)
        if request.path.startswith(BACK_OFFICE_PATHS):
            return _back_office_down()
        return _outage_page(
            "Temporarily unavailable", "The database cannot be reached. Please try again soon."
        )
