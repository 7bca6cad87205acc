"""The one secured base for every admin view: role checks, CSRF'd forms, read-only mode."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import (
    abort,
    after_this_request,
    flash,
    has_app_context,
    redirect,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_admin import AdminIndexView, BaseView
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.typefmt import DEFAULT_FORMATTERS
from flask_admin.form import BaseForm
from flask_admin.model.typefmt import DETAIL_FORMATTERS
from flask_security import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from admin.views.history import AuditedViewMixin
from app import readonly
from app.extensions import db
from app.headers import CSP
from app.models.users import ROLE_NAMES

# Endpoints (Flask-Admin method names) that write; read-only mode refuses every one of them.
WRITE_ENDPOINTS = frozenset(
    {"create_view", "edit_view", "delete_view", "action_view", "ajax_update"}
)
READ_ONLY_MESSAGE = (
    "The back office is in read-only mode: creating, editing and deleting are switched off "
    "until an admin lifts it."
)

# Flask-Admin's templates use inline handlers (delete confirmation, bulk actions,
# onclick="modelActions.execute(...)"), which the site-wide `script-src 'self'` blocks.
# The back office, behind login and with Jinja autoescaping, allows them; the public site
# keeps the strict policy.
ADMIN_CSP = re.sub(r"script-src ([^;]*)", r"script-src \1 'unsafe-inline'", CSP, count=1)


def is_read_only() -> bool:
    """True while the app refuses writes: the READ_ONLY switch, the in-process switch, or the
    database found unreachable — one mechanism, app/readonly.py, for admin and public site."""
    return has_app_context() and readonly.is_read_only()


class AdminForm(BaseForm, FlaskForm):
    """Flask-Admin's form base carrying Flask-WTF's `csrf_token`.

    The global CSRFProtect checks every POST with Flask-WTF's token; Flask-Admin's own
    SecureForm uses a different (WTForms session) token that it would refuse. Built on
    FlaskForm, every admin form (create, edit, list delete, bulk action) renders the token
    that CSRFProtect accepts.
    """


def _format_datetime(view: Any, value: dt.datetime, name: str) -> str:
    """Minutes in UTC ("2026-11-25 09:30 UTC"), not microseconds and offsets."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _login_next_path() -> str:
    """The current path and query, for `?next=`: always an internal path, never a URL."""
    return request.full_path.rstrip("?")


def _use_admin_csp(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = ADMIN_CSP
    return response


class SecuredViewMixin:
    """Access rules shared by every admin view.

    `allowed_roles`: a user needs one of them (and an active account). Anonymous visitors
    go to the login page and come back; a logged-in user without the role gets 403.
    """

    allowed_roles: tuple[str, ...] = ("admin",)

    def is_accessible(self) -> bool:
        user = current_user
        return bool(
            user.is_authenticated and user.active and user.has_role_name(*self.allowed_roles)
        )

    def inaccessible_callback(self, name: str, **kwargs: Any) -> ResponseReturnValue:
        if not current_user.is_authenticated:
            return redirect(url_for("security.login", next=_login_next_path()))
        abort(403)

    # app.readonly's blanket 503 for /admin writes leaves read-only handling to this view
    # (flash + redirect below) while the switch is on; it still refuses if the DB is down.
    handles_read_only = True

    def render(self, template: str, **kwargs: Any) -> str:
        kwargs.setdefault("admin_read_only", is_read_only())  # the banner in admin/master.html
        return super().render(template, **kwargs)  # type: ignore[misc]

    def _handle_view(self, name: str, **kwargs: Any) -> ResponseReturnValue | None:
        refused = super()._handle_view(name, **kwargs)  # type: ignore[misc]
        if refused is not None:
            return refused
        after_this_request(_use_admin_csp)
        if name in WRITE_ENDPOINTS and is_read_only():
            flash(READ_ONLY_MESSAGE, "warning")
            return redirect(self.get_url(".index_view"))  # type: ignore[attr-defined]
        return None


class SecuredBaseView(SecuredViewMixin, BaseView):
    """Base for custom admin screens (queue, dedup review, import wizard)."""


class SecuredIndexView(SecuredViewMixin, AdminIndexView):
    """Base for the admin home page: every back-office role may see it."""

    allowed_roles = ROLE_NAMES


class SecuredModelView(AuditedViewMixin, SecuredViewMixin, ModelView):
    """Base for list/search/filter/edit views of one table.

    Every create/edit/delete through its forms writes an audit row, and edit/details pages
    show the record's history (AuditedViewMixin).

    Say what a view allows with `allow_create` / `allow_edit` / `allow_delete` (not
    Flask-Admin's `can_*`, which this base derives from them so read-only mode can take
    writing away everywhere at once).
    """

    form_base_class = AdminForm
    page_size = 50
    can_set_page_size = False
    can_view_details = True
    # Big tables use the simple pager (no COUNT(*) per page); small ones may switch it off.
    simple_list_pager = True
    # Readable, bookmarkable filter URLs (?flt0_status_equals=unverified), not positional ids.
    named_filter_urls = True

    # RUF012: Flask-Admin is configured through (mutable) class attributes.
    column_type_formatters = {**DEFAULT_FORMATTERS, dt.datetime: _format_datetime}  # noqa: RUF012
    column_type_formatters_detail = {**DETAIL_FORMATTERS, dt.datetime: _format_datetime}  # noqa: RUF012

    allow_create = True
    allow_edit = True
    allow_delete = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for flag in ("can_create", "can_edit", "can_delete"):
            if flag in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__}: set allow_{flag[4:]} rather than {flag}, so read-only "
                    "mode can switch writing off"
                )

    def __init__(self, model: type[Any], **kwargs: Any) -> None:
        # Always the app's Flask-SQLAlchemy `db` (passing a bare session is deprecated).
        super().__init__(model, db, **kwargs)

    @property
    def can_create(self) -> bool:
        return self.allow_create and not is_read_only()

    @can_create.setter
    def can_create(self, value: bool) -> None:
        self.allow_create = value

    @property
    def can_edit(self) -> bool:
        return self.allow_edit and not is_read_only()

    @can_edit.setter
    def can_edit(self, value: bool) -> None:
        self.allow_edit = value

    @property
    def can_delete(self) -> bool:
        return self.allow_delete and not is_read_only()

    @can_delete.setter
    def can_delete(self, value: bool) -> None:
        self.allow_delete = value

    def is_action_allowed(self, name: str) -> bool:
        return not is_read_only() and super().is_action_allowed(name)

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, IntegrityError):
            # Say which rule the row broke, in words, instead of the driver's SQL dump.
            diag = getattr(exc.orig, "diag", None)
            constraint = getattr(diag, "constraint_name", None) or "a database rule"
            flash(
                f"Not saved: this conflicts with an existing record or breaks {constraint}.",
                "error",
            )
            return True
        return super().handle_view_exception(exc)
