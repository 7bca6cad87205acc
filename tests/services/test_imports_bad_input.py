"""Bad input: a clear message naming the problem, never a 500, never a half-written batch,
never a stored file outside its folder."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Fitment, ImportBatch, Part
from app.services import imports
from importers.sources import READER
from tests.services import imports_support
from tests.services.imports_support import Importer, count, csv_text

# Shared fixtures (module attributes, so pytest finds them here).
importer = imports_support.importer
storage = imports_support.storage


GOOD = csv_text("MPN,Brand,Make,Model,Years", "P1,EBC,Honda,CB500F,2019")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"MPN,Brand,Make,Model,Years\r\n", "header row (line 1) but no data rows"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "ZIP archive"),
        (b"MPN,Brand,Make,Model,Years\n\x00\x01\x02\x03", "binary data"),
        (b"MPN,Brand," + b"y" * (2 * 1024 * 1024), "longer than 1 MB"),
        (b"MPN,mpn,Make\n1,2,3\n", "Duplicate column names"),
        (b"Colour,Size\nred,XL\n", "Could not tell the format"),
    ],
)
def test_unreadable_files_never_become_batches(
    importer: Importer, db_session: Session, content: bytes, message: str
) -> None:
    with pytest.raises(imports.ImportProblem, match=re.escape(message)):
        importer.upload(content)
    assert db_session.scalar(select(ImportBatch.id).limit(1)) is None


def test_missing_required_columns_are_named(importer: Importer) -> None:
    batch = importer.upload(
        csv_text("MPN,Make,Model,Years", "P1,Honda,CB500F,2019"), format_name="fitments"
    ).batch
    with pytest.raises(imports.ImportProblem, match="Brand is required") as caught:
        imports.save_mapping(importer.session, batch, READER, batch.mapping)
    assert "Columns in the file" not in str(caught.value)  # the mapping screen lists them
    assert batch.status == "uploaded"


def test_size_limit_and_source_name_are_checked(importer: Importer, db_session: Session) -> None:
    with pytest.raises(imports.ImportProblem, match="larger than the 0 MB limit"):
        imports.create_batch(
            db_session,
            importer.storage,
            READER,
            stream=io.BytesIO(GOOD.encode()),
            filename="x.csv",
            source="Vendor",
            max_bytes=10,
        )
    with pytest.raises(imports.ImportProblem, match="Say where the file comes from"):
        importer.upload(GOOD, source="   ")


def test_path_tricks_in_file_names_stay_inside_the_store(
    importer: Importer, storage: Any, tmp_path: Path
) -> None:
    batch = importer.upload(GOOD, filename="../../../etc/cron.d/evil.csv").batch
    assert batch.filename == "evil.csv"
    stored = (tmp_path / "files" / batch.storage_key).resolve()
    assert stored.is_file() and (tmp_path / "files").resolve() in stored.parents
    assert not (tmp_path / "etc").exists()
    assert imports.clean_filename("..\\..\\boot.ini") == "boot.ini"
    assert imports.clean_filename("\x00\x1b[31m.csv") == "[31m.csv"


def test_a_failing_commit_leaves_nothing_half_written(
    importer: Importer, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services.imports import claims

    batch = importer.mapped(GOOD)

    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(claims, "apply", explode)
    savepoint = db_session.begin_nested()
    with pytest.raises(RuntimeError):
        importer.commit_batch(batch)
    savepoint.rollback()  # what the caller (request, CLI, job) does with its transaction
    assert count(db_session, Part) == count(db_session, Fitment) == 0
    db_session.refresh(batch)
    assert batch.status == "mapped"


def test_sql_and_formula_text_is_stored_verbatim(importer: Importer, db_session: Session) -> None:
    importer.commit(
        csv_text(
            "MPN,Brand,Make,Model,Years,Notes",
            "'); DROP TABLE parts;--,EBC,Honda,CB500F,2019,=cmd|' /C calc'!A0",
        )
    )
    fitment = db_session.scalars(select(Fitment)).one()
    assert fitment.part.mpn == "'); DROP TABLE parts;--"
    assert fitment.note == "=cmd|' /C calc'!A0"
