"""Duplicate review: candidates by score, the two records side by side with what hangs off
each, merge (choose the survivor), dismiss ("not the same"), recent merges and undo."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_admin import expose
from flask_admin.base import BaseView
from flask_security import current_user
from sqlalchemy import func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from admin.views.base import READ_ONLY_MESSAGE, SecuredBaseView, is_read_only
from app.extensions import db
from app.models import BikeModel, Brand, DuplicateCandidate, Make, Merge, Part
from app.services import dedup, merges

ENTITY_MODELS: dict[str, Any] = {"make": Make, "model": BikeModel, "brand": Brand, "part": Part}
FIELDS = {
    "make": [("name", "Name"), ("slug", "Slug"), ("name_key", "Matching key")],
    "model": [
        ("make", "Make"),
        ("name", "Name"),
        ("model_code", "Model code"),
        ("slug", "Slug"),
        ("name_key", "Matching key"),
    ],
    "brand": [("name", "Name"), ("website", "Website"), ("slug", "Slug"), ("name_key", "Key")],
    "part": [
        ("brand", "Brand"),
        ("mpn", "MPN"),
        ("mpn_key", "MPN key"),
        ("title", "Title"),
        ("category", "Category"),
        ("gtin", "GTIN"),
    ],
}
COUNT_LABELS = [
    ("fitments", "Fitments"),
    ("verified", "Verified fitments"),
    ("evidence", "Evidence rows"),
    ("offers", "Offers"),
    ("parts", "Parts"),
    ("models", "Models"),
    ("vehicles", "Vehicles (years)"),
    ("aliases", "Aliases"),
]
PAGE = 50


@dataclass(frozen=True)
class Side:
    """One record of a pair, for the review screen."""

    key: str  # "left" / "right"
    id: int
    label: str
    values: dict[str, str]
    counts: merges.RecordCounts
    edit_url: str


def _value(record: Any, field: str) -> str:
    value = getattr(record, field, None)
    return "" if value is None else str(value)


class DedupView(SecuredBaseView):
    """Curators decide duplicate candidates; every decision is audited and reversible."""

    allowed_roles = ("admin", "curator")

    def _refuse_read_only(self, back: str) -> ResponseReturnValue | None:
        if is_read_only():
            flash(READ_ONLY_MESSAGE, "warning")
            return redirect(back)
        return None

    @expose("/")
    def index(self) -> str:
        session = db.session()
        entity = request.args.get("entity", "")
        entity = entity if entity in ENTITY_MODELS else ""
        query = select(DuplicateCandidate).where(DuplicateCandidate.status == "open")
        if entity:
            query = query.where(DuplicateCandidate.entity == entity)
        after = request.args.get("after", "")
        score, _, ident = after.partition(":")
        try:
            query = query.where(
                tuple_(DuplicateCandidate.score, DuplicateCandidate.id) < (float(score), int(ident))
            )
        except ValueError:
            after = ""
        rows = session.scalars(
            query.order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id.desc()).limit(
                PAGE + 1
            )
        ).all()
        more = len(rows) > PAGE
        rows = rows[:PAGE]
        names: dict[tuple[str, int], str] = {}
        for kind in {r.entity for r in rows}:
            ids = [i for r in rows if r.entity == kind for i in (r.left_id, r.right_id)]
            names.update({(kind, i): n for i, n in dedup.labels(session, kind, ids).items()})
        tabs = dict(
            session.execute(
                select(DuplicateCandidate.entity, func.count())
                .where(DuplicateCandidate.status == "open")
                .group_by(DuplicateCandidate.entity)
            ).all()
        )
        next_url = (
            url_for(".index", entity=entity or None, after=f"{rows[-1].score}:{rows[-1].id}")
            if more
            else None
        )
        return self.render(
            "admin/curation/dedup_list.html",
            rows=rows,
            names=names,
            entity=entity,
            tabs=tabs,
            next_url=next_url,
        )

    def _side(self, key: str, entity: str, ident: int) -> Side | None:
        model = ENTITY_MODELS[entity]
        record = db.session.get(model, ident)
        if record is None:
            return None
        endpoint = {"make": "makes", "model": "models", "brand": "brands", "part": "parts"}[entity]
        return Side(
            key=key,
            id=ident,
            label=dedup.labels(db.session(), entity, [ident]).get(ident, f"#{ident}"),
            values={field: _value(record, field) for field, _ in FIELDS[entity]},
            counts=merges.record_counts(db.session(), entity, ident),
            edit_url=url_for(f"{endpoint}.edit_view", id=ident),
        )

    @expose("/<int:candidate_id>")
    def review(self, candidate_id: int) -> ResponseReturnValue:
        candidate = db.session.get(DuplicateCandidate, candidate_id)
        if candidate is None:
            abort(404)
        left = self._side("left", candidate.entity, candidate.left_id)
        right = self._side("right", candidate.entity, candidate.right_id)
        survivor = "left"
        if left and right and right.counts.fitments > left.counts.fitments:
            survivor = "right"
        return self.render(
            "admin/curation/dedup_review.html",
            candidate=candidate,
            left=left,
            right=right,
            fields=FIELDS[candidate.entity],
            count_labels=COUNT_LABELS,
            survivor=survivor,
        )

    @expose("/<int:candidate_id>/merge", methods=("POST",))
    def merge(self, candidate_id: int) -> ResponseReturnValue:
        back = url_for(".review", candidate_id=candidate_id)
        refused = self._refuse_read_only(back)
        if refused is not None:
            return refused
        candidate = db.session.get(DuplicateCandidate, candidate_id)
        if candidate is None or candidate.status != "open":
            flash("This pair was already decided.", "warning")
            return redirect(url_for(".index"))
        keep = request.form.get("survivor")
        if keep not in {"left", "right"}:
            flash("Choose which record survives.", "error")
            return redirect(back)
        survivor, merged = (
            (candidate.left_id, candidate.right_id)
            if keep == "left"
            else (candidate.right_id, candidate.left_id)
        )
        try:
            row = merges.merge(
                db.session(),
                candidate.entity,
                survivor_id=survivor,
                merged_id=merged,
                actor_id=current_user.id,
                candidate_id=candidate.id,
                note=request.form.get("note", ""),
            )
            db.session.commit()
        except merges.MergeError as exc:
            db.session.rollback()
            flash(f"Not merged: {exc}", "error")
            return redirect(back)
        flash(f"Merged {row.merged_label} into {row.survivor_label}.", "success")
        return redirect(url_for(".merge_detail", merge_id=row.id))

    @expose("/<int:candidate_id>/dismiss", methods=("POST",))
    def dismiss(self, candidate_id: int) -> ResponseReturnValue:
        back = url_for(".review", candidate_id=candidate_id)
        refused = self._refuse_read_only(back)
        if refused is not None:
            return refused
        try:
            candidate = dedup.dismiss(
                db.session(),
                candidate_id,
                actor_id=current_user.id,
                note=request.form.get("note", ""),
            )
            db.session.commit()
        except ValueError as exc:
            db.session.rollback()
            flash(str(exc), "warning")
            return redirect(url_for(".index"))
        flash("Recorded as not the same: this pair will not be proposed again.", "success")
        return redirect(url_for(".index", entity=candidate.entity))

    @expose("/merges")
    def merge_list(self) -> str:
        rows = db.session.scalars(
            select(Merge)
            .options(joinedload(Merge.merged_by), joinedload(Merge.undone_by))
            .order_by(Merge.id.desc())
            .limit(PAGE)
        ).all()
        return self.render("admin/curation/merges.html", rows=rows)

    @expose("/merges/<int:merge_id>")
    def merge_detail(self, merge_id: int) -> ResponseReturnValue:
        row = db.session.get(Merge, merge_id)
        if row is None:
            abort(404)
        return self.render("admin/curation/merge_detail.html", row=row)

    @expose("/merges/<int:merge_id>/undo", methods=("POST",))
    def undo(self, merge_id: int) -> ResponseReturnValue:
        back = url_for(".merge_detail", merge_id=merge_id)
        refused = self._refuse_read_only(back)
        if refused is not None:
            return refused
        try:
            row = merges.unmerge(
                db.session(), merge_id, actor_id=current_user.id, note=request.form.get("note", "")
            )
            db.session.commit()
        except merges.MergeError as exc:
            db.session.rollback()
            flash(f"Not undone: {exc}", "error")
            return redirect(back)
        skipped = sum(row.summary.get("undo_skipped", {}).values())
        extra = f" ({skipped} later change(s) kept as they are)" if skipped else ""
        flash(f"Merge undone: {row.merged_label} is back{extra}.", "success")
        return redirect(back)

    @expose("/scan", methods=("POST",))
    def scan(self) -> ResponseReturnValue:
        from app import jobs  # procrastinate: loaded by the views that use the queue

        back = url_for(".index")
        refused = self._refuse_read_only(back)
        if refused is not None:
            return refused
        entity = request.form.get("entity") or None
        if entity not in (None, *ENTITY_MODELS):
            entity = None
        session = db.session()
        try:
            with session.begin_nested():
                jobs.defer(
                    session,
                    "curation.dedup_scan",
                    args={"entity": entity},
                    queue_name="curation",
                    queueing_lock="curation-dedup-scan",
                )
            session.commit()
        except IntegrityError:
            session.rollback()
            flash("A scan is already waiting to run.", "info")
            return redirect(back)
        flash("Scan queued: new candidates appear here when the worker has run it.", "success")
        return redirect(back)


def views() -> list[BaseView]:
    """The duplicates menu entry."""
    return [DedupView(name="Duplicates", endpoint="dedup", url="/admin/dedup")]
