"""Import batches, read-only: what was uploaded, by whom, and what it did."""

# ruff: noqa: RUF012 - Flask-Admin is configured through mutable class attributes

from __future__ import annotations

from typing import Any

from flask_admin.base import BaseView
from sqlalchemy.orm import joinedload

from admin.views.base import SecuredModelView
from app.models.imports import ImportBatch


def _format_counts(view: Any, context: Any, model: ImportBatch, name: str) -> str:
    """{"new": 10, "invalid": 2} → "new 10 · invalid 2"."""
    counts = getattr(model, name) or {}
    return " · ".join(f"{key} {value}" for key, value in counts.items())


class ImportBatchAdmin(SecuredModelView):
    """The batch history; the import wizard (upload, map, preview, commit, undo) comes later."""

    allowed_roles = ("admin", "importer", "curator")
    allow_create = False
    allow_edit = False
    allow_delete = False

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
    column_formatters = {"counts": _format_counts}
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
    """The imports menu entry."""
    return [ImportBatchAdmin(ImportBatch, name="Imports", endpoint="imports")]
