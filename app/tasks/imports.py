"""Import jobs: preview and commit of big files in the worker, with live progress.

The import runs in the task's one transaction; progress goes to the batch row through a
second, autocommit connection so the admin's progress page sees it while the import's own
transaction is still open. On failure the transaction rolls back (nothing half-written)
and the batch is marked failed with the reason, in a transaction of its own.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from flask import current_app

from app import jobs
from app.adapters.storage import from_config
from app.extensions import db
from app.models.imports import ImportBatch
from app.tasks import curation

log = logging.getLogger(__name__)

QUEUE = "imports"
PREVIEW_TASK = "imports.preview"
COMMIT_TASK = "imports.commit"
PROGRESS_EVERY_S = 1.0
UNEXPECTED = (
    "The import stopped on an unexpected error and nothing was written. It has been logged; "
    "try again, or contact an admin if it keeps happening."
)


def _throttled(write: Callable[[int, int], None]) -> Callable[[int, int], None]:
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S or done >= total:
            last = now
            write(done, total)

    return progress


def run(batch_id: int, action: str, actor_id: int | None = None) -> str:
    """Preview or commit a batch (inside an app context); returns the final status."""
    from app.services import imports
    from importers.sources import READER

    session = db.session()
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        log.warning("import job for unknown batch %s", batch_id)
        return "missing"
    storage = from_config(current_app.config)
    cache = imports.parse_cache(current_app.config, storage)
    this_year = dt.datetime.now(dt.UTC).year
    with db.engine.connect() as connection:
        side = connection.execution_options(isolation_level="AUTOCOMMIT")
        progress = _throttled(
            lambda done, total: imports.write_progress(side, batch_id, action, done, total)
        )
        try:
            if action == "commit":
                imports.commit(
                    session,
                    storage,
                    READER,
                    batch,
                    this_year=this_year,
                    actor_id=actor_id,
                    progress=progress,
                    cache=cache,
                )
                curation.refresh_soon(session)
            else:
                imports.preview(
                    session,
                    storage,
                    READER,
                    batch,
                    this_year=this_year,
                    progress=progress,
                    cache=cache,
                )
            session.commit()
        except imports.ImportProblem as exc:
            session.rollback()
            imports.mark_failed(session, batch_id, str(exc))
            session.commit()
        except Exception:
            log.exception("import job %s of batch %s failed", action, batch_id)
            session.rollback()
            imports.mark_failed(session, batch_id, UNEXPECTED)
            session.commit()
            raise
    status = str(session.get(ImportBatch, batch_id).status)  # type: ignore[union-attr]
    if status in {"previewed", "committed"}:
        # After the commit, off the import's clock: other machines (and this one after a
        # restart) find the parse in the file store. Best effort: the import is done.
        try:
            imports.share_parse(cache, READER, batch, this_year=this_year)
        except Exception:
            log.exception("sharing the parse of batch %s failed", batch_id)
    return status


@jobs.queue.task(name=PREVIEW_TASK, queue=QUEUE)
def preview_batch(batch_id: int) -> str:
    """Preview a mapped batch in the worker."""
    with jobs.FlaskContext.app_context():
        return run(batch_id, "preview")


@jobs.queue.task(name=COMMIT_TASK, queue=QUEUE)
def commit_batch(batch_id: int, actor_id: int | None = None) -> str:
    """Commit a previewed batch in the worker."""
    with jobs.FlaskContext.app_context():
        return run(batch_id, "commit", actor_id)
