"""Helpers for import tests: a local store, and one-call upload → map → preview/commit."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters.storage import LocalStorage
from app.models import ImportBatch
from app.services import imports
from importers.sources import READER

THIS_YEAR = 2026
MAX_BYTES = 5 * 1024 * 1024


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "files")


@dataclass
class Importer:
    """Drives the import service the way the wizard does."""

    session: Session
    storage: LocalStorage

    def upload(
        self,
        content: str | bytes,
        *,
        source: str = "Vendor X",
        format_name: str = "auto",
        filename: str = "catalog.csv",
    ) -> imports.Created:
        data = content.encode("utf-8") if isinstance(content, str) else content
        return imports.create_batch(
            self.session,
            self.storage,
            READER,
            stream=io.BytesIO(data),
            filename=filename,
            source=source,
            format_name=format_name,
            max_bytes=MAX_BYTES,
        )

    def mapped(
        self, content: str | bytes, mapping: dict[str, Any] | None = None, **kw: Any
    ) -> ImportBatch:
        batch = self.upload(content, **kw).batch
        imports.save_mapping(self.session, batch, READER, mapping or batch.mapping)
        return batch

    def preview(self, content: str | bytes, **kw: Any) -> ImportBatch:
        batch = self.mapped(content, **kw)
        imports.preview(self.session, self.storage, READER, batch, this_year=THIS_YEAR)
        return batch

    def commit(self, content: str | bytes, **kw: Any) -> ImportBatch:
        batch = self.mapped(content, **kw)
        self.commit_batch(batch)
        return batch

    def commit_batch(self, batch: ImportBatch) -> ImportBatch:
        imports.commit(
            self.session, self.storage, READER, batch, this_year=THIS_YEAR, actor_id=None
        )
        return batch

    def analysed_commit(
        self, batch: ImportBatch, cache: Any = None, progress: Any = None
    ) -> imports.Analysis:
        """Commit through a parse cache (or none); the analysis, with its phase clock."""
        extra = {"progress": progress} if progress is not None else {}
        return imports.commit(
            self.session,
            self.storage,
            READER,
            batch,
            this_year=THIS_YEAR,
            actor_id=None,
            cache=cache,
            **extra,
        )

    def undo(self, batch: ImportBatch) -> dict[str, Any]:
        return imports.undo(self.session, batch, actor_id=None)


@pytest.fixture
def importer(db_session: Session, storage: LocalStorage) -> Importer:
    return Importer(db_session, storage)


def count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def csv_text(*lines: str) -> str:
    return "\r\n".join(lines) + "\r\n"
