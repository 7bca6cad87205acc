"""The import wizard: upload → map → preview → commit → result, undo, error CSV, export.

Views stay thin: parse the form, call app.services.imports (files are read by the
importers package, passed in as READER), commit once, render. Small files run inside the
request; bigger ones are deferred to the worker and the batch page refreshes itself (a
meta refresh: the CSP allows no inline script) until the result is there.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_admin import expose
from flask_security import current_user
from markupsafe import Markup
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from admin.charts import phase_chart
from admin.views.base import READ_ONLY_MESSAGE, SecuredBaseView, is_read_only
from admin.views.import_forms import (
    DEFAULTABLE,
    ConfirmForm,
    UploadForm,
    mapping_form,
    mapping_from,
)
from app.adapters.storage import from_config, iter_chunks
from app.extensions import db
from app.models.fitments import FITMENT_STATUSES
from app.models.imports import ImportBatch
from app.services import imports
from importers.mapping import FIELDS, FORMAT_LABELS
from importers.sources import READER

WRITERS = ("admin", "importer")
READERS = ("admin", "importer", "curator")


def _download_name(batch: ImportBatch, suffix: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", batch.filename.rsplit(".", 1)[0])[:60] or "batch"
    return f"batch-{batch.id}-{stem}-{suffix}.csv"


class ImportWizardView(SecuredBaseView):
    """Upload, map, preview, commit, undo; curators may look, importers and admins act."""

    allowed_roles = READERS

    def create_blueprint(self, admin: Any) -> Any:
        blueprint = super().create_blueprint(admin)
        # The CSRF check reads the body before any view runs, so an upload over
        # MAX_CONTENT_LENGTH fails there with a bare 413: answer it with the upload page.
        blueprint.register_error_handler(RequestEntityTooLarge, self._too_large)
        return blueprint

    def _too_large(self, error: Exception) -> ResponseReturnValue:
        limit = int(current_app.config["MAX_CONTENT_LENGTH"]) // (1024 * 1024)
        message = (
            f"The file is larger than the {limit} MB upload limit: split it, "
            "or import it with `flask import run`."
        )
        return self.render(
            "admin/imports/upload.html", form=UploadForm(formdata=None), error=message, recent=[]
        ), 413

    def is_visible(self) -> bool:
        return bool(current_user.is_authenticated and current_user.has_role_name(*WRITERS))

    # ------------------------------------------------------------------ helpers

    def _may_write(self) -> bool:
        return bool(current_user.has_role_name(*WRITERS))

    def _refuse_write(self, batch_id: int | None = None) -> ResponseReturnValue | None:
        if not self._may_write():
            abort(403)
        if is_read_only():
            flash(READ_ONLY_MESSAGE, "warning")
            if batch_id is None:
                return redirect(url_for(".index"))
            return redirect(url_for(".batch", batch_id=batch_id))
        return None

    def _get(self, batch_id: int) -> ImportBatch:
        batch = db.session.get(ImportBatch, batch_id)
        if batch is None:
            abort(404, description=f"There is no import batch #{batch_id}.")
        return batch

    def _inline(self, batch: ImportBatch) -> bool:
        return batch.size_bytes <= int(current_app.config.get("IMPORT_INLINE_MAX_BYTES", 0))

    @staticmethod
    def _storage() -> Any:
        return from_config(current_app.config)

    # ------------------------------------------------------------------ 1. upload

    @expose("/", methods=("GET", "POST"))
    def index(self) -> ResponseReturnValue:
        form = None
        error = ""
        if self._may_write():
            # Flask-Admin's BaseForm does not read the request by itself: hand it over.
            formdata: Any = (
                CombinedMultiDict([request.files, request.form])
                if request.method == "POST"
                else None
            )
            form = UploadForm(formdata)
            if request.method == "POST" and form.validate():
                refused = self._refuse_write()
                if refused is not None:
                    return refused
                created, error = self._upload(form)
                if created is not None:
                    return redirect(url_for(".mapping", batch_id=created.batch.id))
        recent = (
            db.session.query(ImportBatch).order_by(ImportBatch.created_at.desc()).limit(10).all()
        )
        status = 400 if error else 200
        return self.render(
            "admin/imports/upload.html", form=form, error=error, recent=recent
        ), status

    def _upload(self, form: UploadForm) -> tuple[imports.Created | None, str]:
        upload = form.file.data
        session = db.session()
        try:
            created = imports.create_batch(
                session,
                self._storage(),
                READER,
                stream=upload.stream,
                filename=upload.filename or "upload.csv",
                source=form.source.data,
                format_name=form.format.data,
                created_by_id=current_user.id,
                max_bytes=int(current_app.config["MAX_CONTENT_LENGTH"]),
            )
        except imports.ImportProblem as exc:
            session.rollback()
            return None, str(exc)
        session.commit()
        if created.notice:
            flash(created.notice, "warning")
        return created, ""

    # ------------------------------------------------------------------ 2. mapping

    @expose("/<int:batch_id>/mapping", methods=("GET", "POST"))
    def mapping(self, batch_id: int) -> ResponseReturnValue:
        batch = self._get(batch_id)
        if batch.status not in {"uploaded", "mapped", "previewed", "failed"}:
            return redirect(url_for(".batch", batch_id=batch.id))
        form = mapping_form(batch, request.form if request.method == "POST" else None)
        error = ""
        if request.method == "POST":
            refused = self._refuse_write(batch.id)
            if refused is not None:
                return refused
            if form.validate():
                error = self._map_and_preview(batch, mapping_from(form, batch))
                if not error:
                    return redirect(url_for(".batch", batch_id=batch.id))
            else:
                error = "Check the highlighted fields."
        return self.render(
            "admin/imports/mapping.html",
            batch=batch,
            form=form,
            error=error,
            specs=FIELDS[batch.format],
            defaultable=DEFAULTABLE,
            format_label=FORMAT_LABELS.get(batch.format, batch.format),
            may_write=self._may_write(),
        ), (400 if error else 200)

    def _map_and_preview(self, batch: ImportBatch, mapping: dict[str, Any]) -> str:
        """Save the mapping, then preview now (small file) or in the worker; "" or an error."""
        from app import jobs  # procrastinate: loaded by the views that use the queue

        session = db.session()
        try:
            imports.save_mapping(session, batch, READER, mapping, user_id=current_user.id)
            if self._inline(batch):
                imports.preview(
                    session,
                    self._storage(),
                    READER,
                    batch,
                    this_year=_this_year(),
                    cache=imports.parse_cache(current_app.config),
                )
            else:
                batch.counts = {"progress": {"phase": "queued", "done": 0, "total": 0}}
                batch.job_id = jobs.defer(
                    session, "imports.preview", args={"batch_id": batch.id}, queue_name="imports"
                )
        except imports.ImportProblem as exc:
            session.rollback()
            with contextlib.suppress(imports.ImportProblem):
                imports.save_mapping(session, batch, READER, mapping, user_id=current_user.id)
                batch.message = str(exc)[:2000]
                session.commit()
            return str(exc)
        session.commit()
        return ""

    # ------------------------------------------------------------------ 3-5. batch page

    @expose("/<int:batch_id>/")
    def batch(self, batch_id: int) -> ResponseReturnValue:
        from app import jobs  # procrastinate: loaded by the views that use the queue

        batch = self._get(batch_id)
        if batch.status == "uploaded":
            return redirect(url_for(".mapping", batch_id=batch.id))
        progress = (batch.counts or {}).get("progress")
        job = jobs.job_status(db.session(), batch.job_id) if batch.job_id else None
        running = batch.status == "committing" or (batch.status == "mapped" and progress)
        template = {
            "previewed": "admin/imports/preview.html",
            "committed": "admin/imports/result.html",
            "undone": "admin/imports/undone.html",
        }.get(batch.status, "admin/imports/status.html")
        return self.render(
            "admin/imports/progress.html" if running else template,
            batch=batch,
            progress=progress or {},
            job=job,
            report=batch.report or {},
            counts=batch.counts or {},
            form=ConfirmForm(),
            may_write=self._may_write() and not is_read_only(),
            timings_chart=_timings_chart(batch),
        )

    @expose("/<int:batch_id>/commit", methods=("POST",))
    def commit(self, batch_id: int) -> ResponseReturnValue:
        from app import jobs  # procrastinate: loaded by the views that use the queue

        batch = self._get(batch_id)
        refused = self._refuse_write(batch.id)
        if refused is not None:
            return refused
        if batch.status != "previewed":
            flash(f"Batch #{batch.id} is {batch.status}: only a previewed batch can be committed.")
            return redirect(url_for(".batch", batch_id=batch.id))
        session = db.session()
        if self._inline(batch):
            try:
                imports.commit(
                    session,
                    self._storage(),
                    READER,
                    batch,
                    this_year=_this_year(),
                    actor_id=current_user.id,
                    cache=imports.parse_cache(current_app.config),
                )
            except imports.ImportProblem as exc:
                session.rollback()
                flash(f"Nothing was imported: {exc}", "error")
                return redirect(url_for(".batch", batch_id=batch_id))
            _refresh_soon(session)
            session.commit()
            flash(batch.message, "success")
        else:
            batch.status = "committing"
            batch.counts = {**(batch.counts or {}), "progress": {"phase": "queued"}}
            batch.job_id = jobs.defer(
                session,
                "imports.commit",
                args={"batch_id": batch.id, "actor_id": current_user.id},
                queue_name="imports",
            )
            session.commit()
        return redirect(url_for(".batch", batch_id=batch.id))

    @expose("/<int:batch_id>/undo", methods=("POST",))
    def undo(self, batch_id: int) -> ResponseReturnValue:
        batch = self._get(batch_id)
        refused = self._refuse_write(batch.id)
        if refused is not None:
            return refused
        session = db.session()
        try:
            outcome = imports.undo(session, batch, actor_id=current_user.id)
        except imports.ImportProblem as exc:
            session.rollback()
            flash(str(exc), "error")
            return redirect(url_for(".batch", batch_id=batch_id))
        _refresh_soon(session)
        session.commit()
        flash(outcome["summary"], "success")
        return redirect(url_for(".batch", batch_id=batch.id))

    @expose("/<int:batch_id>/errors.csv")
    def errors(self, batch_id: int) -> ResponseReturnValue:
        batch = self._get(batch_id)
        if not batch.error_report_key:
            abort(404, description=f"Batch #{batch.id} has no issues to download.")
        storage = self._storage()
        name = _download_name(batch, "issues")
        url = storage.download_url(batch.error_report_key, name)
        if url:
            return redirect(url)
        return Response(
            iter_chunks(storage.open(batch.error_report_key)),
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    # ------------------------------------------------------------------ export

    @expose("/export")
    def export(self) -> ResponseReturnValue:
        flt = imports.ExportFilter(
            brand=request.args.get("brand", "", type=str).strip()[:120],
            make=request.args.get("make", "", type=str).strip()[:120],
            status=request.args.get("status", "", type=str).strip()[:20],
        )
        if not request.args.get("download"):
            return self.render(
                "admin/imports/export.html", flt=flt, statuses=FITMENT_STATUSES, error=""
            )
        session = db.session()
        try:
            rows = imports.export_rows(session, flt)
            header = next(rows)
        except imports.ImportProblem as exc:
            return self.render(
                "admin/imports/export.html", flt=flt, statuses=FITMENT_STATUSES, error=str(exc)
            ), 400

        def generate() -> Any:
            import csv
            import io

            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(header)
            for count, row in enumerate(rows, start=1):
                writer.writerow(row)
                if count % 500 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()

        slug = re.sub(r"[^a-z0-9]+", "-", flt.describe().lower()).strip("-")[:60]
        return Response(
            stream_with_context(generate()),
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="fitments-{slug}.csv"',
                "Cache-Control": "no-store",
            },
        )


def _this_year() -> int:
    import datetime as dt

    return dt.datetime.now(dt.UTC).year


def _refresh_soon(session: Any) -> None:
    """Conflicts and queue order of the batch refreshed by the worker right after commit."""
    from app.tasks.curation import refresh_soon  # procrastinate: loaded when first needed

    refresh_soon(session)


def _timings_chart(batch: ImportBatch) -> Markup | None:
    """Where the preview's or the commit's time went (seconds per phase), as a chart."""
    stage = {"previewed": "preview", "committed": "result"}.get(batch.status)
    details = (batch.report or {}).get(stage or "") or {}
    timings = details.get("timings") or {}
    if not isinstance(timings, dict) or not timings:
        return None
    total = sum(float(t) for t in timings.values())
    return phase_chart(
        f"Where the {stage}'s {total:.1f} s went",
        [(str(name), float(seconds)) for name, seconds in timings.items()],
    )
