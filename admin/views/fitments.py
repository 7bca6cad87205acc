"""Fitment list and edit (status, position, qty, note); the verification queue comes later."""

# ruff: noqa: RUF012 - Flask-Admin is configured through mutable class attributes

from __future__ import annotations

from typing import Any

from flask_admin.base import BaseView
from flask_security import current_user
from sqlalchemy.orm import joinedload

from admin.views.base import SecuredModelView
from app.models.base import utcnow
from app.models.fitments import Fitment
from app.models.parts import Part
from app.models.vehicles import BikeModel, Vehicle
from app.services.names import clean_display


class FitmentAdmin(SecuredModelView):
    """Every fitment, newest first; 5M rows, so no COUNT(*) (simple pager) and id order."""

    allowed_roles = ("admin", "curator")
    allow_create = False  # fitments come from imports (with evidence), not from a blank form
    allow_delete = False  # rejecting keeps the history; deleting would lose it

    column_list = ("part", "vehicle", "position", "qty", "status", "verified_by", "verified_at")
    column_labels = {
        "part": "Part",
        "vehicle": "Vehicle",
        "qty": "Qty",
        "verified_by": "Verified by",
        "verified_at": "Verified at",
        "part.brand.name": "Brand",
        "part.mpn_key": "MPN key",
        "vehicle.model.make.name": "Make",
        "vehicle.model.name": "Model",
        "vehicle.year": "Year",
    }
    column_sortable_list = ("status",)  # (status, id) is indexed; other orders would sort 5M rows
    column_default_sort = ("id", True)
    column_filters = (
        "status",
        "part.brand.name",
        "vehicle.model.make.name",
        "vehicle.model.name",
        "vehicle.year",
        "part.mpn_key",
        "position",
    )
    column_details_list = (
        "part",
        "vehicle",
        "position",
        "qty",
        "note",
        "status",
        "verified_by",
        "verified_at",
        "version",
        "created_at",
        "updated_at",
    )
    form_columns = ("status", "position", "qty", "note")

    def get_query(self) -> Any:
        return (
            super()
            .get_query()
            .options(
                joinedload(Fitment.part).joinedload(Part.brand),
                joinedload(Fitment.vehicle).joinedload(Vehicle.model).joinedload(BikeModel.make),
                joinedload(Fitment.verified_by),
            )
        )

    def on_model_change(self, form: Any, model: Fitment, is_created: bool) -> None:
        # Keeps the `verified_has_time` constraint true; the curation service (verify with
        # evidence and audit) replaces this when the verification queue lands.
        model.note = clean_display(model.note or "")
        if model.status == "verified":
            if model.verified_at is None:
                model.verified_at = utcnow()
                model.verified_by_id = current_user.id
        else:
            model.verified_at = None
            model.verified_by_id = None


def views() -> list[BaseView]:
    """The fitments menu entry."""
    return [FitmentAdmin(Fitment, name="Fitments", endpoint="fitments")]
