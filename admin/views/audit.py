"""The audit log, read-only: who changed what, when, before → after."""

# ruff: noqa: RUF012 - Flask-Admin is configured through mutable class attributes

from __future__ import annotations

from typing import Any

from flask_admin.base import BaseView
from sqlalchemy.orm import joinedload

from admin.views.base import SecuredModelView
from app.models.audit import AuditLog


class AuditLogAdmin(SecuredModelView):
    """Newest first (created_at is indexed); rows are never edited or deleted here."""

    allowed_roles = ("admin", "curator")
    allow_create = False
    allow_edit = False
    allow_delete = False

    column_list = ("created_at", "actor", "action", "entity", "entity_id", "note")
    column_labels = {"created_at": "When", "actor": "Who", "entity_id": "Id", "actor.email": "Who"}
    column_sortable_list = ("created_at",)
    column_default_sort = ("created_at", True)
    column_filters = ("action", "entity", "entity_id", "actor.email", "created_at")
    column_details_list = (
        "created_at",
        "actor",
        "action",
        "entity",
        "entity_id",
        "note",
        "before",
        "after",
    )

    def get_query(self) -> Any:
        return super().get_query().options(joinedload(AuditLog.actor))


def views() -> list[BaseView]:
    """The audit menu entry."""
    return [AuditLogAdmin(AuditLog, name="Audit log", endpoint="audit")]
