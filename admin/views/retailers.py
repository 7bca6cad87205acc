"""Retailers and their offers (admin only): who we link to, and at what price."""

# ruff: noqa: RUF012 - Flask-Admin is configured through mutable class attributes

from __future__ import annotations

from typing import Any

from flask_admin.base import BaseView
from sqlalchemy.orm import joinedload

from admin.views.base import SecuredModelView
from app.models.parts import Part
from app.models.retailers import Offer, Retailer
from app.services.names import clean_display, slugify

CATEGORY = "Retail"


class RetailerAdmin(SecuredModelView):
    """Shops; clicks may only redirect to a retailer's `allowed_hosts`."""

    simple_list_pager = False  # a handful of rows
    column_list = ("name", "homepage", "allowed_hosts", "is_active", "created_at")
    column_labels = {"allowed_hosts": "Allowed hosts", "is_active": "Active"}
    column_searchable_list = ("name",)
    column_default_sort = "name"
    form_columns = ("name", "homepage", "allowed_hosts", "is_active")
    form_args = {
        "allowed_hosts": {"description": "Hosts that /go/ may redirect to, e.g. www.revzilla.com"},
    }

    def on_model_change(self, form: Any, model: Retailer, is_created: bool) -> None:
        model.name = clean_display(model.name or "")
        model.slug = slugify(model.name)
        model.allowed_hosts = sorted(
            {h.strip().lower() for h in model.allowed_hosts or [] if h.strip()}
        )


class OfferAdmin(SecuredModelView):
    """A retailer's listing of a part, with the price as last fetched."""

    column_list = ("retailer", "part", "sku", "price", "currency", "in_stock", "fetched_at")
    column_labels = {
        "sku": "SKU",
        "in_stock": "In stock",
        "fetched_at": "Fetched",
        "retailer.name": "Retailer",
        "part.mpn_key": "MPN key",
    }
    column_sortable_list = ("sku", "price", "fetched_at")
    column_default_sort = ("id", True)
    column_searchable_list = ("sku",)
    column_filters = ("retailer.name", "part.mpn_key", "in_stock", "currency")
    form_columns = ("part", "retailer", "sku", "url", "price", "currency", "in_stock", "fetched_at")
    form_ajax_refs = {
        "part": {"fields": ("mpn", "title"), "page_size": 20, "placeholder": "Type an MPN or title"}
    }

    def get_query(self) -> Any:
        return (
            super()
            .get_query()
            .options(joinedload(Offer.retailer), joinedload(Offer.part).joinedload(Part.brand))
        )

    def on_model_change(self, form: Any, model: Offer, is_created: bool) -> None:
        model.sku = clean_display(model.sku or "")
        model.currency = clean_display(model.currency or "").upper()


def views() -> list[BaseView]:
    """The retail menu."""
    return [
        RetailerAdmin(Retailer, name="Retailers", endpoint="retailers", category=CATEGORY),
        OfferAdmin(Offer, name="Offers", endpoint="offers", category=CATEGORY),
    ]
