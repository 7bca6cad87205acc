"""The job queue: jobs deferred in the caller's transaction, run by a real worker."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import text

from app import jobs
from app.extensions import db

RESULTS: list[int] = []


@jobs.queue.task(name="tests.record_number", queue="tests")
def record_number(number: int) -> None:
    with jobs.FlaskContext.app_context():
        db.session.execute(text("SELECT 1"))  # the task can use the app's session
        RESULTS.append(number)


def _committed_app(fresh_database: Any) -> Flask:
    from flask_migrate import upgrade

    from app import create_app

    application = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": fresh_database("mpp_jobs")}
    )
    with application.app_context():
        upgrade()
    return application


def test_a_rolled_back_defer_leaves_no_job_and_a_committed_one_runs(fresh_database: Any) -> None:
    application = _committed_app(fresh_database)
    with application.app_context():
        session = db.session()
        lost = jobs.defer(session, "tests.record_number", args={"number": 1}, queue_name="tests")
        session.rollback()
        assert jobs.job_status(session, lost) is None
        kept = jobs.defer(session, "tests.record_number", args={"number": 2}, queue_name="tests")
        session.commit()
        assert jobs.job_status(session, kept) == "todo"

        RESULTS.clear()
        result = application.test_cli_runner().invoke(
            args=["worker", "--burst", "--queue", "tests"]
        )
        assert result.exit_code == 0, result.output
        assert RESULTS == [2]
        assert jobs.job_status(session, kept) == "succeeded"
        db.session.remove()
        db.engine.dispose()
