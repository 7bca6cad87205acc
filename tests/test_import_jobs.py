"""Big imports run in the worker: preview and commit jobs deferred in the caller's
transaction, run by `flask worker --burst`, with progress and failures on the batch."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app import jobs
from app.extensions import db
from app.models import Fitment, ImportBatch
from app.services import imports
from importers.sources import READER

SHEET = "".join(
    [
        "Part Number,Brand,Make,Model,Years\r\n",
        *(f"P-{n},EBC Brakes,Honda,CB{n % 7}00F,2015-2017\r\n" for n in range(300)),
    ]
)


def _committed_app(fresh_database: Any, tmp_path: Path) -> Flask:
    from flask_migrate import upgrade

    from app import create_app

    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": fresh_database("mpp_import_jobs"),
            "INSTANCE_DIR": str(tmp_path),
        }
    )
    with application.app_context():
        upgrade()
    return application


def _run_worker(application: Flask) -> None:
    result = application.test_cli_runner().invoke(args=["worker", "--burst", "--queue", "imports"])
    assert result.exit_code == 0, result.output


def _deferred_preview(session: Any, storage: Any) -> ImportBatch:
    """SHEET uploaded and mapped, its preview job deferred and committed."""
    batch = imports.create_batch(
        session,
        storage,
        READER,
        stream=io.BytesIO(SHEET.encode()),
        filename="big.csv",
        source="Big Vendor",
        max_bytes=10**7,
    ).batch
    imports.save_mapping(session, batch, READER, batch.mapping)
    batch.job_id = jobs.defer(
        session, "imports.preview", args={"batch_id": batch.id}, queue_name="imports"
    )
    session.commit()
    return batch


def test_preview_and_commit_run_in_the_worker(fresh_database: Any, tmp_path: Path) -> None:
    application = _committed_app(fresh_database, tmp_path)
    with application.app_context():
        session = db.session()
        from app.adapters.storage import from_config

        storage = from_config(application.config)
        batch = _deferred_preview(session, storage)
        batch_id = batch.id

        _run_worker(application)
        session.expire_all()
        batch = session.get(ImportBatch, batch_id)
        assert batch is not None and batch.status == "previewed"
        assert batch.counts["new"] == 900
        assert "progress" not in batch.counts
        assert session.scalar(select(func.count()).select_from(Fitment)) == 0

        batch.status = "committing"
        batch.job_id = jobs.defer(
            session,
            "imports.commit",
            args={"batch_id": batch_id, "actor_id": None},
            queue_name="imports",
        )
        session.commit()
        _run_worker(application)
        session.expire_all()
        batch = session.get(ImportBatch, batch_id)
        assert batch is not None and batch.status == "committed"
        assert jobs.job_status(session, batch.job_id) == "succeeded"
        assert session.scalar(select(func.count()).select_from(Fitment)) == 900
        db.session.remove()
        db.engine.dispose()


def test_a_failing_job_rolls_back_and_says_why(fresh_database: Any, tmp_path: Path) -> None:
    application = _committed_app(fresh_database, tmp_path)
    with application.app_context():
        from app.adapters.storage import from_config

        session = db.session()
        feed = "SKU,Product Name,Brand,MPN,Retail Price,Buy Link\r\nS1,X,EBC,P1,10,https://shop.example/1\r\n"
        batch = imports.create_batch(
            session,
            from_config(application.config),
            READER,
            stream=io.BytesIO(feed.encode()),
            filename="feed.csv",
            source="No Such Shop",
            max_bytes=10**7,
        ).batch
        imports.save_mapping(session, batch, READER, batch.mapping)
        batch.status = "committing"
        jobs.defer(session, "imports.commit", args={"batch_id": batch.id}, queue_name="imports")
        session.commit()
        batch_id = batch.id

        _run_worker(application)
        session.expire_all()
        batch = session.get(ImportBatch, batch_id)
        assert batch is not None and batch.status == "failed"
        assert "No retailer called 'No Such Shop'" in batch.message
        db.session.remove()
        db.engine.dispose()


def test_progress_is_written_on_a_side_connection(fresh_database: Any, tmp_path: Path) -> None:
    application = _committed_app(fresh_database, tmp_path)
    with application.app_context():
        from app.adapters.storage import from_config

        session = db.session()
        batch = imports.create_batch(
            session,
            from_config(application.config),
            READER,
            stream=io.BytesIO(SHEET.encode()),
            filename="big.csv",
            source="Big Vendor",
            max_bytes=10**7,
        ).batch
        session.commit()
        with db.engine.connect() as connection:
            side = connection.execution_options(isolation_level="AUTOCOMMIT")
            imports.write_progress(side, batch.id, "commit", 150, 301)
        session.expire_all()
        assert session.get(ImportBatch, batch.id).counts["progress"] == {  # type: ignore[union-attr]
            "phase": "commit",
            "done": 150,
            "total": 301,
        }
        db.session.remove()
        db.engine.dispose()


def test_the_worker_shares_the_parse_it_kept(
    fresh_database: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """After the job's transaction: the kept parse goes to the file store too, for the
    other workers and replaced machines (app/services/imports/parseshare.py)."""
    from app.adapters.storage import from_config
    from app.services.imports import parsecache, parseshare

    monkeypatch.setattr(parsecache, "MIN_FILE_BYTES", 0)  # the sheet counts as big
    application = _committed_app(fresh_database, tmp_path)
    application.config["IMPORT_PARSE_CACHE_SHARED"] = True
    with application.app_context():
        session = db.session()
        storage = from_config(application.config)
        _deferred_preview(session, storage)
        _run_worker(application)
        kept = [p.stem for p in (tmp_path / "import-cache").glob("*.json")]
        assert len(kept) == 1
        assert storage.exists(f"{parseshare.PREFIX}{kept[0]}.json")
        assert storage.exists(f"{parseshare.PREFIX}{kept[0]}.copy.gz")
        db.session.remove()
        db.engine.dispose()
