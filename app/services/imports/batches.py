"""Import batches: store the uploaded file, create the batch, map columns, remember mappings.

The file is stored (content-addressed, by SHA-256) before the batch row that points at it;
a file that is not a readable table never becomes a batch. Reading files is the importers'
job: callers pass a `FileReader` (importers.sources.READER), so this service never depends
on the importers package.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.adapters.storage import Storage, StorageError, content_key, safe_suffix, spool
from app.models.imports import ImportBatch, ImportSourceMapping
from app.services.imports.errors import ImportProblem
from app.services.imports.staging import RowSource
from app.services.names import clean_display, name_key

SOURCE_LIMIT = 120
SAMPLE_VALUES = 3
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class FileReader(Protocol):
    """What the service needs from the importers package (see importers.sources.Reader)."""

    # A digest of the code that turns files into rows: part of the parse cache's key.
    @property
    def version(self) -> str: ...

    def inspect(self, path: Path) -> Any: ...

    def detect_format(self, headers: list[str]) -> str | None: ...

    def suggest_mapping(
        self, headers: list[str], format_name: str, remembered: Mapping[str, Any] | None
    ) -> dict[str, Any]: ...

    def check_mapping(
        self, mapping: Mapping[str, Any], format_name: str, headers: list[str]
    ) -> list[str]: ...

    def open(
        self, path: Path, format_name: str, mapping: Mapping[str, Any], *, this_year: int
    ) -> RowSource: ...


@dataclass(frozen=True)
class Created:
    """A new batch, and earlier committed batches of the very same file (if any)."""

    batch: ImportBatch
    duplicates: list[ImportBatch]

    @property
    def notice(self) -> str:
        if not self.duplicates:
            return ""
        first = self.duplicates[0]
        when = f" on {first.committed_at:%Y-%m-%d}" if first.committed_at else ""
        return (
            f"This identical file was already imported as batch #{first.id} "
            f"({first.source}{when}); importing it again will change nothing."
        )


def clean_filename(filename: str) -> str:
    """A display name only (never a path): the last segment, no control characters."""
    name = unicodedata.normalize("NFC", filename or "")
    name = _CONTROL.sub("", re.split(r"[\\/]", name)[-1]).strip().lstrip(".")
    return name[:255] or "upload.csv"


def clean_source(source: str) -> tuple[str, str]:
    """(display, key) of a source name ("Vendor X"), or ImportProblem."""
    display = clean_display(_CONTROL.sub("", source or ""))
    if not display:
        raise ImportProblem("Say where the file comes from (the source, e.g. the vendor's name).")
    if len(display) > SOURCE_LIMIT:
        raise ImportProblem(f"The source name is longer than {SOURCE_LIMIT} characters.")
    key = name_key(display)
    if not key:
        raise ImportProblem("The source name needs at least one letter or digit.")
    return display, key


def column_samples(headers: list[str], sample: list[list[str]]) -> list[dict[str, Any]]:
    """Each header with a few distinct example values, for the mapping screen."""
    columns = []
    for index, header in enumerate(headers):
        values: list[str] = []
        for row in sample:
            value = row[index].strip() if index < len(row) else ""
            if value and value not in values:
                values.append(value[:80])
            if len(values) >= SAMPLE_VALUES:
                break
        columns.append({"header": header, "samples": values})
    return columns


def remembered_mapping(session: Session, source_key: str, format_name: str) -> dict[str, Any]:
    """The mapping this source used last time for this format, or {}."""
    row = session.scalar(
        select(ImportSourceMapping).where(
            ImportSourceMapping.source_key == source_key,
            ImportSourceMapping.format == format_name,
        )
    )
    return dict(row.mapping) if row else {}


def create_batch(
    session: Session,
    storage: Storage,
    reader: FileReader,
    *,
    stream: IO[bytes],
    filename: str,
    source: str,
    format_name: str = "auto",
    created_by_id: int | None = None,
    max_bytes: int,
) -> Created:
    """Check the upload is a table, store it, and record an `uploaded` batch with a mapping
    pre-filled from the header (and from what this source used last time)."""
    display, source_key = clean_source(source)
    try:
        path, sha256, size = spool(stream, limit=max_bytes)
    except StorageError as exc:
        raise ImportProblem(f"The upload was refused: {exc}.") from exc
    try:
        info = reader.inspect(path)
        if format_name == "auto":
            detected = reader.detect_format(info.headers)
            if detected is None:
                found = ", ".join(f"'{h}'" for h in info.headers if h)
                raise ImportProblem(
                    f"Could not tell the format from the columns ({found}). Choose the format "
                    "(fitment sheet, eBay, retailer feed or vehicle list) instead of auto."
                )
            format_name = detected
        remembered = remembered_mapping(session, source_key, format_name)
        mapping = reader.suggest_mapping(info.headers, format_name, remembered)
        key = content_key("imports", sha256, safe_suffix(filename))
        if not storage.exists(key):
            storage.put_file(path, key, "text/csv")
    finally:
        path.unlink(missing_ok=True)
    duplicates = list(
        session.scalars(
            select(ImportBatch)
            .where(ImportBatch.sha256 == sha256, ImportBatch.status == "committed")
            .order_by(ImportBatch.id)
        )
    )
    batch = ImportBatch(
        source=display,
        source_key=source_key,
        format=format_name,
        filename=clean_filename(filename),
        storage_key=key,
        sha256=sha256,
        size_bytes=size,
        status="uploaded",
        mapping=mapping,
        counts={},
        report={
            "columns": column_samples(info.headers, info.sample),
            "encoding": info.encoding,
            "delimiter": info.delimiter_name,
            "lines": info.total_lines,
            "warnings": list(info.warnings),
            "duplicate_of": [b.id for b in duplicates],
            "remembered": bool(remembered),
        },
        created_by_id=created_by_id,
    )
    session.add(batch)
    session.flush()
    return Created(batch, duplicates)


def headers_of(batch: ImportBatch) -> list[str]:
    return [column["header"] for column in (batch.report or {}).get("columns", [])]


def save_mapping(
    session: Session,
    batch: ImportBatch,
    reader: FileReader,
    mapping: Mapping[str, Any],
    *,
    user_id: int | None = None,
) -> None:
    """Check and keep a mapping on the batch (status `mapped`) and remember it for the source."""
    if batch.status not in {"uploaded", "mapped", "previewed", "failed"}:
        raise ImportProblem(
            f"Batch #{batch.id} is {batch.status}; its mapping can no longer change."
        )
    clean = {
        "columns": {k: v for k, v in (mapping.get("columns") or {}).items() if v},
        "defaults": {k: v.strip() for k, v in (mapping.get("defaults") or {}).items() if v.strip()},
    }
    problems = reader.check_mapping(clean, batch.format, headers_of(batch))
    if problems:
        raise ImportProblem(" ".join(problems))
    batch.mapping = clean
    batch.status = "mapped"
    batch.message = ""
    remembered = session.scalar(
        select(ImportSourceMapping).where(
            ImportSourceMapping.source_key == batch.source_key,
            ImportSourceMapping.format == batch.format,
        )
    )
    if remembered is None:
        session.add(
            ImportSourceMapping(
                source_key=batch.source_key,
                format=batch.format,
                source=batch.source,
                mapping=clean,
                updated_by_id=user_id,
            )
        )
    else:
        remembered.mapping = clean
        remembered.source = batch.source
        remembered.updated_by_id = user_id
    session.flush()


@contextlib.contextmanager
def local_copy(storage: Storage, batch: ImportBatch) -> Iterator[Path]:
    """The batch's stored file as a local temporary file (R2 or local storage alike)."""
    if not batch.storage_key:
        raise ImportProblem(f"Batch #{batch.id} has no stored file.")
    try:
        with contextlib.closing(storage.open(batch.storage_key)) as handle:
            path, _, _ = spool(handle)
    except StorageError as exc:
        raise ImportProblem(f"The stored file of batch #{batch.id} cannot be read: {exc}.") from exc
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def mark_failed(session: Session, batch_id: int, message: str) -> None:
    """Record why a batch failed (in its own transaction, after the import rolled back)."""
    session.execute(
        text(
            "UPDATE import_batches SET status = 'failed', message = :message, counts = counts "
            "- 'progress' WHERE id = :id AND status <> 'committed'"
        ),
        {"id": batch_id, "message": message[:2000]},
    )


def write_progress(connection: Any, batch_id: int, phase: str, done: int, total: int) -> None:
    """Progress for the admin's live page, written on a separate autocommit connection so
    it is visible while the import's own transaction is still open."""
    connection.execute(
        text(
            "UPDATE import_batches SET counts = jsonb_set(counts, '{progress}', "
            "jsonb_build_object('phase', CAST(:phase AS text), 'done', CAST(:done AS bigint), "
            "'total', CAST(:total AS bigint))) WHERE id = :id"
        ),
        {"id": batch_id, "phase": phase, "done": done, "total": total},
    )
