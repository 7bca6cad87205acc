"""Catalog views: makes, models, vehicles, brands, categories and parts, for curators."""

# ruff: noqa: RUF012 - Flask-Admin is configured through mutable class attributes

from __future__ import annotations

from typing import Any

from flask_admin.base import BaseView
from sqlalchemy.orm import joinedload

from admin.views.base import SecuredModelView
from app.models.brands import Brand
from app.models.categories import Category
from app.models.parts import Part
from app.models.vehicles import BikeModel, Make, Vehicle
from app.services.names import clean_display, mpn_key, name_key, slugify

CURATORS = ("admin", "curator")
CATEGORY = "Catalog"


def _set_name_keys(model: Any) -> None:
    """Tidy `name` and derive `slug` and `name_key` from it: never typed by hand."""
    model.name = clean_display(model.name or "")
    model.slug = slugify(model.name)
    model.name_key = name_key(model.name)


class CatalogAdmin(SecuredModelView):
    """Curators and admins edit the catalog."""

    allowed_roles = CURATORS
    allow_delete = False  # merging duplicates (not deleting) is how catalog rows go away


class MakeAdmin(CatalogAdmin):
    """Motorcycle makes (Honda, Harley-Davidson)."""

    column_list = ("name", "slug", "created_at")
    column_labels = {"created_at": "Added"}
    column_searchable_list = ("name",)
    column_sortable_list = ("name", "created_at")
    column_default_sort = "name"
    form_columns = ("name",)
    form_args = {"name": {"description": "As riders write it; slug and matching key follow."}}

    def on_model_change(self, form: Any, model: Make, is_created: bool) -> None:
        _set_name_keys(model)


class BikeModelAdmin(CatalogAdmin):
    """Model lines of a make (CBR600RR)."""

    column_list = ("make.name", "name", "model_code", "slug")
    column_labels = {"make.name": "Make", "model_code": "Model code"}
    column_searchable_list = ("name", "model_code")
    column_sortable_list = ("make.name", "name", "model_code")
    column_filters = ("make.name",)
    column_default_sort = [("make.name", False), ("name", False)]
    form_columns = ("make", "name", "model_code")
    form_ajax_refs = {"make": {"fields": ("name",), "page_size": 20, "placeholder": "Type a make"}}

    def get_query(self) -> Any:
        return super().get_query().options(joinedload(BikeModel.make))

    def on_model_change(self, form: Any, model: BikeModel, is_created: bool) -> None:
        _set_name_keys(model)
        model.model_code = clean_display(model.model_code or "") or None


class VehicleAdmin(CatalogAdmin):
    """One model in one year, with its variant and market."""

    column_list = ("model.make.name", "model.name", "year", "variant", "market")
    column_labels = {
        "model.make.name": "Make",
        "model.name": "Model",
        "model": "Model",
    }
    column_sortable_list = ("model.make.name", "model.name", "year", "variant", "market")
    column_filters = ("model.make.name", "model.name", "year", "variant", "market")
    column_searchable_list = ("model.name",)
    column_default_sort = [("model.name", False), ("year", False)]
    form_columns = ("model", "year", "variant", "market")
    form_ajax_refs = {
        "model": {"fields": ("name",), "page_size": 20, "placeholder": "Type a model name"}
    }

    def get_query(self) -> Any:
        return super().get_query().options(joinedload(Vehicle.model).joinedload(BikeModel.make))

    def on_model_change(self, form: Any, model: Vehicle, is_created: bool) -> None:
        model.variant = clean_display(model.variant or "")
        model.market = clean_display(model.market or "").upper()


class BrandAdmin(CatalogAdmin):
    """Part manufacturers (EBC Brakes, K&N)."""

    column_list = ("name", "slug", "website")
    column_searchable_list = ("name",)
    column_sortable_list = ("name",)
    column_default_sort = "name"
    form_columns = ("name", "website")

    def on_model_change(self, form: Any, model: Brand, is_created: bool) -> None:
        _set_name_keys(model)
        model.website = clean_display(model.website or "") or None


class CategoryAdmin(CatalogAdmin):
    """The category tree (Brakes, then Pads under it)."""

    simple_list_pager = False  # a few dozen rows: the full pager costs nothing
    column_list = ("path", "position", "slug")
    column_labels = {"path": "Category", "parent.name": "Parent"}
    column_sortable_list = ("position", "slug")
    column_default_sort = "slug"
    column_searchable_list = ("name",)
    column_filters = ("parent.name",)
    form_columns = ("parent", "name", "position")
    form_args = {"parent": {"blank_text": "(top level)"}}

    def get_query(self) -> Any:
        return super().get_query().options(joinedload(Category.parent).joinedload(Category.parent))

    def on_model_change(self, form: Any, model: Category, is_created: bool) -> None:
        model.name = clean_display(model.name or "")
        # Sibling names repeat across the tree ("Pads"), so the slug follows the whole path.
        model.slug = slugify(model.path)


class PartAdmin(CatalogAdmin):
    """Parts: brand + manufacturer part number, unique on the normalized MPN key."""

    column_list = ("brand.name", "mpn", "title", "category", "updated_at")
    column_labels = {
        "brand.name": "Brand",
        "mpn": "MPN",
        "mpn_key": "MPN key",
        "category": "Category",
        "category.name": "Category",
        "gtin": "GTIN",
        "updated_at": "Updated",
    }
    column_sortable_list = ("brand.name", "mpn", "title", "updated_at")
    column_default_sort = ("id", True)
    column_searchable_list = ("mpn", "title")
    column_filters = ("brand.name", "category.name", "mpn_key")
    column_details_list = (
        "brand.name",
        "mpn",
        "mpn_key",
        "title",
        "category",
        "description",
        "gtin",
        "image_url",
        "created_at",
        "updated_at",
    )
    form_columns = ("brand", "mpn", "title", "category", "description", "gtin", "image_url")
    form_ajax_refs = {
        "brand": {"fields": ("name",), "page_size": 20, "placeholder": "Type a brand"}
    }
    form_args = {
        "mpn": {"description": "As the manufacturer prints it; CM-4401 and cm 4401 are one part."},
        "category": {"blank_text": "(no category)"},
    }

    def get_query(self) -> Any:
        return (
            super()
            .get_query()
            .options(
                joinedload(Part.brand),
                joinedload(Part.category).joinedload(Category.parent),
            )
        )

    def on_model_change(self, form: Any, model: Part, is_created: bool) -> None:
        model.mpn = clean_display(model.mpn or "")
        model.mpn_key = mpn_key(model.mpn)
        model.title = clean_display(model.title or "")
        model.gtin = clean_display(model.gtin or "") or None
        model.image_url = clean_display(model.image_url or "") or None


def views() -> list[BaseView]:
    """The catalog menu, in the order a curator reads it."""
    return [
        MakeAdmin(Make, name="Makes", endpoint="makes", category=CATEGORY),
        BikeModelAdmin(BikeModel, name="Models", endpoint="models", category=CATEGORY),
        VehicleAdmin(Vehicle, name="Vehicles", endpoint="vehicles", category=CATEGORY),
        BrandAdmin(Brand, name="Brands", endpoint="brands", category=CATEGORY),
        CategoryAdmin(Category, name="Categories", endpoint="categories", category=CATEGORY),
        PartAdmin(Part, name="Parts", endpoint="parts", category=CATEGORY),
    ]
