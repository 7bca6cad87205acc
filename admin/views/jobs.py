"""Background jobs and price providers (admin only): queued, running, failed; retry."""

# ruff: noqa: RUF012 - Flask-Admin is configured through mutable class attributes

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request
from flask_admin import expose
from flask_admin.base import BaseView

from admin.views.base import READ_ONLY_MESSAGE, SecuredBaseView, SecuredModelView, is_read_only
from app.extensions import db
from app.models.retailers import ProviderState
from app.services import jobs as job_service

CATEGORY = "Operations"


class JobsAdmin(SecuredBaseView):
    """procrastinate's queue: counts per status and the latest jobs, with a retry button."""

    @expose("/")
    def index(self) -> Any:
        status = request.args.get("status") or None
        if status not in (None, *job_service.JOB_STATUSES):
            status = None
        session = db.session()
        return self.render(
            "admin/jobs.html",
            counts=job_service.status_counts(session),
            jobs=job_service.list_jobs(
                session,
                status=status,
                stalled_after=int(current_app.config.get("JOBS_STALLED_AFTER_SECONDS", 60)),
            ),
            status=status,
            statuses=job_service.JOB_STATUSES,
            read_only=is_read_only(),
        )

    @expose("/retry/<int:job_id>", methods=["POST"])
    def retry(self, job_id: int) -> Any:
        if is_read_only():
            flash(READ_ONLY_MESSAGE, "warning")
        else:
            try:
                job_service.retry(db.session(), job_id)
            except job_service.JobError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                db.session.commit()
                flash(f"Job {job_id} is queued again.", "success")
        return redirect(self.get_url(".index", status=request.args.get("status") or None))


class ProviderStateAdmin(SecuredModelView):
    """Retailer price providers: circuit breaker state and the last refresh."""

    simple_list_pager = False  # a handful of rows
    allow_create = False
    allow_edit = False
    allow_delete = False
    column_list = (
        "provider",
        "state",
        "consecutive_failures",
        "opened_at",
        "last_error",
        "last_success_at",
        "last_run_at",
        "last_counts",
    )
    column_labels = {"consecutive_failures": "Failures in a row", "last_counts": "Last run"}
    column_default_sort = "provider"


def views() -> list[BaseView]:
    """The operations menu: jobs and providers."""
    return [
        JobsAdmin(name="Jobs", endpoint="jobs", category=CATEGORY),
        ProviderStateAdmin(
            ProviderState, name="Price providers", endpoint="providers", category=CATEGORY
        ),
    ]
