"""The import wizard's forms: upload, column mapping (built per batch), and confirm buttons."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from admin.views.base import AdminForm
from app.models.imports import ImportBatch
from app.services import imports
from importers.mapping import FIELDS, FORMAT_LABELS

DEFAULTABLE = ("brand", "market", "currency")


class UploadForm(AdminForm):
    """Step 1: the file, where it comes from, and its format (or auto)."""

    file = FileField("File (CSV, semicolon, tab or pipe separated)", validators=[FileRequired()])
    source = StringField(
        "Source (vendor or retailer name)", validators=[DataRequired(), Length(max=120)]
    )
    format = SelectField(
        "Format",
        choices=[("auto", "Detect from the columns"), *FORMAT_LABELS.items()],
        default="auto",
    )


class ConfirmForm(AdminForm):
    """A button's form: only the CSRF token."""


def mapping_form(batch: ImportBatch, formdata: Any = None) -> Any:
    """Step 2: one select per field of the format, pre-filled from the batch's mapping."""
    headers = imports.headers_of(batch)
    columns = (batch.mapping or {}).get("columns", {})
    defaults = (batch.mapping or {}).get("defaults", {})
    choices = [("", "— not in this file —")] + [(h, h) for h in headers if h]

    class MappingForm(AdminForm):
        pass

    for spec in FIELDS[batch.format]:
        label = spec.label + (" (required)" if spec.required else "")
        field = SelectField(label, choices=choices, default=columns.get(spec.name, ""))
        setattr(MappingForm, f"col_{spec.name}", field)
        if spec.name in DEFAULTABLE:
            setattr(
                MappingForm,
                f"def_{spec.name}",
                StringField(
                    f"… or one {spec.label.lower()} for every row",
                    default=defaults.get(spec.name, ""),
                    validators=[Length(max=120)],
                ),
            )
    return MappingForm(formdata)


def mapping_from(form: Any, batch: ImportBatch) -> dict[str, Any]:
    columns, defaults = {}, {}
    for spec in FIELDS[batch.format]:
        value = getattr(form, f"col_{spec.name}").data
        if value:
            columns[spec.name] = value
        default = getattr(form, f"def_{spec.name}", None)
        if default is not None and (default.data or "").strip():
            defaults[spec.name] = default.data.strip()
    return {"columns": columns, "defaults": defaults}
