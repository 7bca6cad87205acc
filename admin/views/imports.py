"""Imports: the batch history (each batch opens in the wizard) and the menu entries."""

# ruff: noqa: RUF012 - Flask-Admin is configured through mutable class attributes

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_admin.base import BaseView
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from admin.views.base import SecuredModelView
from admin.views.import_wizard import READERS, ImportWizardView
from app.models.imports import ImportBatch


def _format_counts(view: Any, context: Any, model: ImportBatch, name: str) -> str:
    """{"new": 10, "invalid": 2} → "new 10 · invalid 2" (numbers only, no progress)."""
    counts = getattr(model, name) or {}
    return " · ".join(
        f"{key} {value}" for key, value in counts.items() if isinstance(value, int | float)
    )


def _batch_link(view: Any, context: Any, model: ImportBatch, name: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(
        url_for("import_wizard.batch", batch_id=model.id), getattr(model, name)
    )


class ImportBatchAdmin(SecuredModelView):
    """The batch history; each batch opens in the wizard (preview, result, undo)."""

    allowed_roles = READERS
    allow_create = False
    allow_edit = False
    allow_delete = False
    list_template = "admin/imports/list.html"

    column_list = (
        "id",
        "created_at",
        "source",
        "format",
        "filename",
        "status",
        "counts",
        "created_by",
        "committed_at",
    )
    column_labels = {"id": "Batch", "created_at": "Uploaded", "created_by": "By"}
    column_formatters = {"counts": _format_counts, "filename": _batch_link, "id": _batch_link}
    column_sortable_list = ("id", "created_at", "source", "status")
    column_default_sort = ("created_at", True)
    column_searchable_list = ("source", "filename")
    column_filters = ("status", "format", "source", "created_at")
    column_details_list = (
        "id",
        "source",
        "format",
        "filename",
        "size_bytes",
        "sha256",
        "status",
        "counts",
        "mapping",
        "message",
        "created_by",
        "created_at",
        "committed_at",
        "undone_at",
    )

    def get_query(self) -> Any:
        return super().get_query().options(joinedload(ImportBatch.created_by))


def views() -> list[BaseView]:
    """The imports menu entries: the history and the wizard."""
    return [
        ImportBatchAdmin(ImportBatch, name="Imports", endpoint="imports"),
        ImportWizardView(name="New import", endpoint="import_wizard", url="/admin/import"),
    ]
