"""The email outbox (admin only): what was sent, what waits, what failed and why; resend."""

# ruff: noqa: RUF012 - Flask-Admin is configured through mutable class attributes

from __future__ import annotations

from typing import Any

from flask import flash, redirect
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.base import BaseView
from flask_security import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from admin.views.base import READ_ONLY_MESSAGE, SecuredModelView, is_read_only
from app.extensions import db
from app.models.email import OUTBOX_STATUSES, EmailOutbox
from app.services import outbox

CATEGORY = "Operations"


def _resend_button(view: Any, context: Any, model: EmailOutbox, name: str) -> Markup:
    """Status plus a one-row "Resend" form (POST, CSRF token), hidden in read-only mode."""
    if is_read_only() or model.status == "sending":
        return escape(model.status)
    return Markup(
        '{} <form method="post" action="{}" class="d-inline">'
        '<input type="hidden" name="csrf_token" value="{}">'
        '<button type="submit" class="btn btn-sm btn-outline-primary ml-1">Resend</button>'
        "</form>"
    ).format(model.status, view.get_url(".resend_view", row_id=model.id), generate_csrf())


class OutboxAdmin(SecuredModelView):
    """Every email the app queued, newest first; bodies in the details view."""

    allow_create = False
    allow_edit = False
    allow_delete = False
    column_list = (
        "created_at",
        "kind",
        "to_address",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
    )
    column_labels = {
        "to_address": "To",
        "next_attempt_at": "Next attempt",
        "last_error": "Last error",
        "sent_at": "Sent",
        "created_at": "Queued",
    }
    column_details_list = (
        "id",
        "idempotency_key",
        "kind",
        "to_address",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "provider_message_id",
        "headers",
        "text",
        "created_at",
        "sent_at",
    )
    column_default_sort = ("id", True)
    column_searchable_list = ("to_address", "subject")
    column_filters = ("status", "kind", "created_at")
    column_choices = {"status": [(s, s) for s in OUTBOX_STATUSES]}
    column_formatters = {"status": _resend_button}

    @expose("/resend/<int:row_id>", methods=["POST"])
    def resend_view(self, row_id: int) -> Any:
        """Send one email again (see outbox.resend: same key if never sent, a copy if sent)."""
        if is_read_only():
            flash(READ_ONLY_MESSAGE, "warning")
            return redirect(self.get_url(".index_view"))
        row = db.session.get(EmailOutbox, row_id)
        if row is None:
            flash("No such email.", "error")
            return redirect(self.get_url(".index_view"))
        self._resend([row])
        return redirect(self.get_url(".index_view"))

    @action("resend", "Resend", "Send the selected emails again?")
    def action_resend(self, ids: list[str]) -> None:
        rows = db.session.query(EmailOutbox).filter(EmailOutbox.id.in_([int(i) for i in ids]))
        self._resend(list(rows))

    def _resend(self, rows: list[EmailOutbox]) -> None:
        from app.tasks.outbox import defer_send

        session = db.session()
        for row in rows:
            outbox.resend(session, row, actor_id=current_user.id)
        defer_send(session)
        session.commit()
        flash(f"{len(rows)} email(s) queued to send again.", "success")


def views() -> list[BaseView]:
    """The outbox menu entry."""
    return [OutboxAdmin(EmailOutbox, name="Email outbox", endpoint="outbox", category=CATEGORY)]
