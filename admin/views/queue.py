"""The verification queue: filters, evidence beside each fitment, bulk verify / reject /
needs review (a rejection needs a note), single-key shortcuts (admin/static/queue.js)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_admin import expose
from flask_admin.base import BaseView
from flask_security import current_user
from sqlalchemy import select

from admin.views.base import READ_ONLY_MESSAGE, SecuredBaseView, is_read_only
from app.extensions import db
from app.models import BikeModel, Brand, Category, ImportBatch, Make, Part
from app.services import aliases
from app.services.fitments import ACTIONS, FitmentError, change_status
from app.services.queue import Cursor, QueueFilters, queue_page

STATIC = str(Path(__file__).resolve().parent.parent / "static")
CURATORS = ("admin", "curator")
FILTER_ARGS = ("status", "make", "model", "year", "brand", "category", "batch", "sources", "part")
DONE = {"verify": "Verified", "reject": "Rejected", "needs_review": "Sent to review"}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def safe_next(value: str | None, fallback: str) -> str:
    """An internal path to return to, never another host."""
    if not value:
        return fallback
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return fallback
    return value


def parse_expected(values: list[str]) -> dict[int, int]:
    """`id:version` pairs from the form's checkboxes."""
    expected: dict[int, int] = {}
    for value in values:
        ident, _, version = value.partition(":")
        if ident.isdigit() and version.isdigit():
            expected[int(ident)] = int(version)
    return expected


class QueueView(SecuredBaseView):
    """Curators (and admins) work the queue; importers cannot verify."""

    allowed_roles = CURATORS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(static_folder=STATIC, **kwargs)

    def _filters(self, args: Any) -> tuple[QueueFilters, dict[str, str], list[str]]:
        """Filters from the query string; names (make, model, brand) resolve like imports do."""
        session = db.session()
        raw = {key: (args.get(key) or "").strip() for key in FILTER_ARGS}
        problems: list[str] = []
        make_id = model_id = brand_id = None
        if raw["make"]:
            make = (
                session.get(Make, int(raw["make"]))
                if raw["make"].isdigit()
                else aliases.resolve_make(session, raw["make"])
            )
            if make is None:
                problems.append(f"No make called “{raw['make']}”.")
            else:
                make_id, raw["make"] = make.id, make.name
        if raw["model"]:
            model = None
            if raw["model"].isdigit():
                model = session.get(BikeModel, int(raw["model"]))
            elif make_id is not None:
                model = aliases.resolve_model(session, make_id, raw["model"])
            if model is None:
                where = " for that make." if make_id else "; pick the make too."
                problems.append(f"No model called “{raw['model']}”{where}")
            else:
                model_id, raw["model"] = model.id, model.name
                make_id = model.make_id
                raw["make"] = raw["make"] or model.make.name
        if raw["brand"]:
            brand = (
                session.get(Brand, int(raw["brand"]))
                if raw["brand"].isdigit()
                else aliases.resolve_brand(session, raw["brand"])
            )
            if brand is None:
                problems.append(f"No brand called “{raw['brand']}”.")
            else:
                brand_id, raw["brand"] = brand.id, brand.name
        filters = QueueFilters(
            status=raw["status"] if raw["status"] in {"unverified", "needs_review"} else "",
            make_id=make_id,
            model_id=model_id,
            year=_int(raw["year"]),
            brand_id=brand_id,
            category_id=_int(raw["category"]),
            batch_id=_int(raw["batch"]),
            part_id=_int(raw["part"]),
            sources=raw["sources"] if raw["sources"] in {"0", "1", "2", "3+"} else "",
        )
        return filters, raw, problems

    def _choices(self) -> dict[str, Any]:
        session = db.session()
        categories = sorted(session.scalars(select(Category)), key=lambda c: c.path)
        return {
            "makes": session.scalars(select(Make.name).order_by(Make.name).limit(2000)).all(),
            "brands": session.scalars(select(Brand.name).order_by(Brand.name).limit(2000)).all(),
            "categories": [(c.id, c.path) for c in categories],
            "batches": session.execute(
                select(ImportBatch.id, ImportBatch.source, ImportBatch.filename)
                .order_by(ImportBatch.id.desc())
                .limit(40)
            ).all(),
        }

    @expose("/")
    def index(self) -> str:
        filters, raw, problems = self._filters(request.args)
        for problem in problems:
            flash(problem, "warning")
        after = Cursor.decode(request.args.get("after"))
        page = queue_page(db.session(), filters, after=after) if not problems else None
        current: dict[str, Any] = {k: v for k, v in raw.items() if v}
        next_url = None
        if page is not None and page.next_cursor is not None:
            next_url = url_for(".index", **current, after=page.next_cursor.encode())
        part = db.session.get(Part, filters.part_id) if filters.part_id else None
        return self.render(
            "admin/curation/queue.html",
            page=page,
            raw=raw,
            filters=filters,
            part=part,
            is_first_page=after is None,
            first_url=url_for(".index", **current),
            next_url=next_url,
            here=request.full_path.rstrip("?"),
            **self._choices(),
        )

    @expose("/bulk", methods=("POST",))
    def bulk(self) -> ResponseReturnValue:
        back = safe_next(request.form.get("next"), url_for(".index"))
        if is_read_only():
            flash(READ_ONLY_MESSAGE, "warning")
            return redirect(back)
        action = request.form.get("action", "")
        expected = parse_expected(request.form.getlist("fitment"))
        note = request.form.get("note", "")
        if action not in ACTIONS:
            flash("Choose verify, reject or needs review.", "error")
            return redirect(back)
        try:
            changed = change_status(
                db.session(), expected, action, actor_id=current_user.id, note=note
            )
            db.session.commit()
        except FitmentError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(back)
        noun = "fitment" if len(changed) == 1 else "fitments"
        flash(f"{DONE[action]} {len(changed)} {noun}.", "success")
        return redirect(back)


def views() -> list[BaseView]:
    """The queue menu entry."""
    return [QueueView(name="Verification queue", endpoint="queue", url="/admin/queue")]
