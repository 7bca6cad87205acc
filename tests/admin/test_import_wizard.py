"""The import wizard in /admin: upload → map → preview → commit → undo, with roles, CSRF,
read-only mode, bad files and the error CSV."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditLog, Fitment, FitmentEvidence, ImportBatch, Part
from tests.admin.conftest import csrf_token
from tests.conftest import login

SHEET = (
    "Part Number,Brand,Make,Model,Years,Position,Qty,Notes,Title\r\n"
    "FA-390HH,EBC Brakes,Honda,CBR600RR,2015-18,front,2,,Sintered pads\r\n"
    "fa 390hh,EBC Brakes,HONDA,CBR 600 RR,'19-'20,Front,,Non-ABS,\r\n"
    "X1,EBC Brakes,Yamaha,MT-09,2030,sideways,zero,,\r\n"
)


@pytest.fixture(autouse=True)
def _local_files(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "INSTANCE_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "STORAGE_BACKEND", "local")


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def upload(
    client: FlaskClient,
    content: bytes | str = SHEET,
    *,
    filename: str = "ebc.csv",
    source: str = "EBC catalogue",
    format_name: str = "auto",
) -> Any:
    page = client.get("/admin/import/")
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        "/admin/import/",
        data={
            "csrf_token": csrf_token(page.data),
            "file": (io.BytesIO(data), filename),
            "source": source,
            "format": format_name,
        },
        content_type="multipart/form-data",
    )


def map_and_preview(client: FlaskClient, batch: ImportBatch, **overrides: str) -> Any:
    """Accept the pre-filled mapping (plus overrides), as a person pressing the button."""
    page = client.get(f"/admin/import/{batch.id}/mapping")
    assert page.status_code == 200, page.data[:300]
    fields = {f"col_{name}": header for name, header in batch.mapping["columns"].items()}
    form = {"csrf_token": csrf_token(page.data), **fields, **overrides}
    return client.post(f"/admin/import/{batch.id}/mapping", data=form)


def latest_batch(session: Session) -> ImportBatch:
    batch = session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(1))
    assert batch is not None
    return batch


def post_button(client: FlaskClient, batch_id: int, action: str) -> Any:
    page = client.get(f"/admin/import/{batch_id}/")
    return client.post(
        f"/admin/import/{batch_id}/{action}", data={"csrf_token": csrf_token(page.data)}
    )


def test_importer_walks_upload_map_preview_commit_undo(logged_in: Any, db_session: Session) -> None:
    client = logged_in("importer@example.com", "importer")

    uploaded = upload(client)
    assert uploaded.status_code == 302
    batch = latest_batch(db_session)
    assert uploaded.headers["Location"].endswith(f"/admin/import/{batch.id}/mapping")

    mapping = client.get(f"/admin/import/{batch.id}/mapping")
    page = _text(mapping)
    assert "Part Number" in page and "FA-390HH" in page  # columns with sample values
    assert "Pre-filled from the column names" in page

    previewed = map_and_preview(client, batch)
    assert previewed.status_code == 302
    preview = _text(client.get(f"/admin/import/{batch.id}/"))
    assert "Nothing has been written to the catalog yet" in preview
    assert 'data-count="new">6<' in preview.replace(" ", "")
    assert (
        "Invalid rows" in preview and "sideways" in preview and "2030 is after next year" in preview
    )
    assert "1 new makes:" in preview and "Honda" in preview
    assert db_session.scalar(select(Part.id).limit(1)) is None  # preview writes no catalog row
    assert "Where the preview" in preview and "read and stage" in preview

    errors = client.get(f"/admin/import/{batch.id}/errors.csv")
    assert errors.status_code == 200
    assert errors.headers["Content-Disposition"].startswith("attachment;")
    assert "line,column,value,reason,severity" in errors.get_data(as_text=True)

    committed = post_button(client, batch.id, "commit")
    assert committed.status_code == 302
    db_session.expire_all()
    assert latest_batch(db_session).status == "committed"
    assert len(db_session.scalars(select(Fitment)).all()) == 6
    result = _text(client.get(f"/admin/import/{batch.id}/"))
    assert "Undo this import" in result and "Imported: 6 new fitments" in result
    assert "Where the time went" in result  # seconds per phase, as a chart
    assert "<svg" in result and "write fitments" in result and "classify claims" in result
    audit = db_session.scalars(select(AuditLog).where(AuditLog.action == "import.commit")).all()
    assert [a.entity_id for a in audit] == [batch.id]

    undone = post_button(client, batch.id, "undo")
    assert undone.status_code == 302
    db_session.expire_all()
    assert db_session.scalar(select(Fitment.id).limit(1)) is None
    assert db_session.scalar(select(Part.id).limit(1)) is None
    assert "6 fitments removed" in _text(client.get(f"/admin/import/{batch.id}/"))


def test_identical_file_is_recognised_and_reimport_says_zero_changes(
    logged_in: Any, db_session: Session
) -> None:
    client = logged_in("importer@example.com", "importer")
    upload(client)
    first = latest_batch(db_session)
    map_and_preview(client, first)
    post_button(client, first.id, "commit")

    again = upload(client, filename="ebc-again.csv")
    second = latest_batch(db_session)
    assert second.id != first.id
    mapping = client.get(again.headers["Location"]).get_data(as_text=True)
    assert f"already imported as batch #{first.id}" in mapping
    assert "EBC catalogue</strong> used last time" in mapping  # the remembered mapping
    map_and_preview(client, second)
    assert "0 changes" in _text(client.get(f"/admin/import/{second.id}/"))
    fitments_before = len(db_session.scalars(select(FitmentEvidence)).all())
    post_button(client, second.id, "commit")
    assert len(db_session.scalars(select(FitmentEvidence)).all()) == fitments_before


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (
            b"Part Number,Brand,Make,Model,Years\r\n",
            "header.csv",
            "header row (line 1) but no data rows",
        ),
        (b"PK\x03\x04" + b"\x00" * 200, "sneaky.csv", "ZIP archive"),
        (b"mpn,brand\x00\x01\x02,make\n1,2,3\n", "binary.csv", "binary data"),
        (
            b"MPN,Brand,MPN,Make,Model,Years\n1,2,3,4,5,2015\n",
            "dupes.csv",
            "Duplicate column names",
        ),
        (b"colour,size\nred,XL\n", "odd.csv", "Could not tell the format"),
    ],
)
def test_bad_files_get_a_clear_message_and_no_batch(
    logged_in: Any, db_session: Session, content: bytes, filename: str, message: str
) -> None:
    client = logged_in("importer@example.com", "importer")

    response = upload(client, content, filename=filename)

    assert response.status_code == 400
    assert message in _text(response)
    assert db_session.scalar(select(ImportBatch.id).limit(1)) is None


def test_file_over_the_upload_limit_is_refused_politely(
    app: Flask, logged_in: Any, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = logged_in("importer@example.com", "importer")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)

    response = upload(client, SHEET + "x" * 10_000)

    assert response.status_code == 413
    assert "larger than the 0 MB upload limit" in _text(response)
    assert db_session.scalar(select(ImportBatch.id).limit(1)) is None


def test_hostile_file_name_and_cells_stay_inert(logged_in: Any, db_session: Session) -> None:
    client = logged_in("importer@example.com", "importer")
    hostile = (
        "Part Number,Brand,Make,Model,Years,Title\r\n"
        'X-1,EBC Brakes,Honda,CBR600RR,2015,"<script>alert(1)</script>"\r\n'
        '\'); DROP TABLE parts;--,EBC Brakes,Honda,CBR600RR,2016,=HYPERLINK("http://evil")\r\n'
    )
    upload(client, hostile, filename="../../etc/<img src=x onerror=alert(1)>.csv")
    batch = latest_batch(db_session)
    assert batch.filename == "<img src=x onerror=alert(1)>.csv"  # a display name, not a path
    assert batch.storage_key and batch.storage_key.startswith("imports/")

    map_and_preview(client, batch)
    post_button(client, batch.id, "commit")
    page = client.get(f"/admin/import/{batch.id}/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    titles = set(db_session.scalars(select(Part.title)))
    assert "<script>alert(1)</script>" in titles  # stored as text, escaped when shown
    assert (
        db_session.scalar(select(Part.mpn).where(Part.mpn.like("%DROP%")))
        == "'); DROP TABLE parts;--"
    )


def test_mapping_errors_are_explained(logged_in: Any, db_session: Session) -> None:
    client = logged_in("importer@example.com", "importer")
    upload(client)
    batch = latest_batch(db_session)

    response = map_and_preview(client, batch, col_mpn="")

    assert response.status_code == 400
    assert "MPN is required" in _text(response)


def test_curator_reads_batches_but_cannot_upload_commit_or_undo(
    app: Flask, logged_in: Any, user_factory: Any, db_session: Session
) -> None:
    importer = logged_in("importer@example.com", "importer")
    upload(importer)
    batch = latest_batch(db_session)
    map_and_preview(importer, batch)
    user_factory("curator@example.com", "curator")
    curator = app.test_client()
    assert login(curator, "curator@example.com").status_code == 302

    page = curator.get(f"/admin/import/{batch.id}/")
    assert page.status_code == 200
    assert "Commit this import" not in page.get_data(as_text=True)
    assert curator.get(f"/admin/import/{batch.id}/errors.csv").status_code == 200
    assert "Only importers and admins can upload" in _text(curator.get("/admin/import/"))
    token = csrf_token(curator.get("/admin/parts/new/").data)  # a page curators post from
    assert (
        curator.post(f"/admin/import/{batch.id}/commit", data={"csrf_token": token}).status_code
        == 403
    )
    assert (
        curator.post(f"/admin/import/{batch.id}/undo", data={"csrf_token": token}).status_code
        == 403
    )
    assert 'href="/admin/import/"' not in curator.get("/admin/").get_data(as_text=True)


def test_commit_without_csrf_token_is_refused(logged_in: Any, db_session: Session) -> None:
    client = logged_in("importer@example.com", "importer")
    upload(client)
    batch = latest_batch(db_session)
    map_and_preview(client, batch)

    assert client.post(f"/admin/import/{batch.id}/commit").status_code == 400
    db_session.expire_all()
    assert latest_batch(db_session).status == "previewed"


def test_read_only_mode_refuses_imports(
    app: Flask, logged_in: Any, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = logged_in("importer@example.com", "importer")
    upload(client)
    batch = latest_batch(db_session)
    map_and_preview(client, batch)
    token = csrf_token(client.get(f"/admin/import/{batch.id}/").data)
    monkeypatch.setitem(app.config, "READ_ONLY", True)

    response = client.post(f"/admin/import/{batch.id}/commit", data={"csrf_token": token})

    assert response.status_code == 302
    db_session.expire_all()
    assert latest_batch(db_session).status == "previewed"
    assert db_session.scalar(select(Fitment.id).limit(1)) is None


def test_large_file_is_deferred_to_the_worker_with_a_progress_page(
    app: Flask, logged_in: Any, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import jobs

    monkeypatch.setitem(app.config, "IMPORT_INLINE_MAX_BYTES", 10)
    client = logged_in("importer@example.com", "importer")
    upload(client)
    batch = latest_batch(db_session)

    map_and_preview(client, batch)

    db_session.expire_all()
    batch = latest_batch(db_session)
    assert batch.status == "mapped" and batch.job_id
    assert jobs.job_status(db_session, batch.job_id) == "todo"
    page = client.get(f"/admin/import/{batch.id}/").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Waiting for the worker" in page

    from app.services import imports

    imports.write_progress(db_session.connection(), batch.id, "preview", 150, 301)
    db_session.expire_all()  # the worker writes on its own connection; here, the same one
    assert "150 of 301 lines read" in _text(client.get(f"/admin/import/{batch.id}/"))
    imports.write_progress(db_session.connection(), batch.id, "preview", 301, 301)
    db_session.expire_all()
    assert "now matching names and counting changes" in _text(
        client.get(f"/admin/import/{batch.id}/")
    )


def test_export_downloads_guarded_csv(logged_in: Any, db_session: Session) -> None:
    client = logged_in("importer@example.com", "importer")
    upload(client)
    batch = latest_batch(db_session)
    map_and_preview(client, batch)
    post_button(client, batch.id, "commit")

    assert client.get("/admin/import/export").status_code == 200
    response = client.get("/admin/import/export?download=1&brand=ebc+brakes&status=unverified")

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith("Brand,MPN,Title,Category,Make,Model,Years")
    assert "EBC Brakes,FA-390HH,Sintered pads,,Honda,CBR600RR,2015\u20132018" in body


def test_history_lists_batches_with_links_into_the_wizard(
    logged_in: Any, db_session: Session
) -> None:
    client = logged_in("importer@example.com", "importer")
    upload(client)
    batch = latest_batch(db_session)

    page = client.get("/admin/imports/").get_data(as_text=True)

    assert f'href="/admin/import/{batch.id}/"' in page
    assert 'href="/admin/import/"' in page
