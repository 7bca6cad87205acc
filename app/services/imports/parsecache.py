"""Parsed files, kept: a file is parsed once for a preview and its commit, or a re-import.

Parsing and normalizing a big file is the costliest Python step of an import (~5 s per
million rows) and a pure function of the file's bytes, its format and mapping, the year
(year ranges are checked against it) and the importer code. Its result — the staging rows
as COPY text, the entities the file names, the line count and file warnings — is stored on
local disk under that key (SHA-256 of the file, the mapping, the year and the reader's
`version`, a digest of the importer source). A later preview or commit of the same key
streams the rows from disk instead of downloading and parsing the file again.

Only parsing is skipped: names are resolved and claims classified against the catalog as
it is now, so a cached parse gives exactly the answer a fresh one would. Entries are
written under temporary names and renamed into place (a reader never sees half an entry);
the oldest go when the folder outgrows its size limit. With a file store to share them
through (parseshare.py), a miss here is looked up there before the file is parsed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from app.adapters.storage import Storage
from app.services.imports.errors import ImportProblem
from app.services.imports.parseshare import SharedParses
from app.services.imports.staging import Entities, Row

FORMAT = 1  # bump when the layout of an entry changes
BLOCK_CHARS = 1024 * 1024
MIN_FILE_BYTES = 1024 * 1024  # smaller files parse in well under a second: not kept
ENTITY_KINDS = ("makes", "models", "brands", "parts", "vehicles")
STALE_SECONDS = 3600  # leftovers of an interrupted recording go after this
log = logging.getLogger(__name__)


@dataclass
class CachedSource:
    """A RowSource read back from the cache: its rows only as COPY text (`copy_text`).

    The text file is opened when the entry is loaded, so an eviction by another process
    meanwhile cannot take it away (an unlinked open file stays readable).
    """

    format: str
    total_lines: int
    warnings: list[str]
    text: IO[str]
    rows_expected: int
    entity_rows: dict[str, list[Row]] = field(default_factory=dict)
    on_damage: Callable[[], None] = lambda: None

    def rows(self) -> Iterator[Row]:
        raise NotImplementedError("a cached parse keeps COPY text, not rows: use copy_text()")

    def copy_text(self) -> Iterator[str]:
        """The rows' COPY text; raises (after the last block: the import then rolls back)
        if it does not hold the rows it was written with, and removes the entry."""
        rows = 0
        with self.text:
            while block := self.text.read(BLOCK_CHARS):
                rows += block.count("\n")
                yield block
        if rows != self.rows_expected:
            self.on_damage()
            raise ImportProblem(
                f"The kept parse of this file was damaged ({rows:,} of {self.rows_expected:,} "
                "rows) and has been removed: run the import again to parse the file afresh."
            )

    def entities(self) -> Entities:
        return Entities(**{kind: self.entity_rows.get(kind, []) for kind in ENTITY_KINDS})


@dataclass
class Recording:
    """Where staging tees the COPY text (`write`); `source` is set once the parse went
    through. Best effort: a write that fails (a full disk) stops the recording, not the
    import."""

    text: IO[str] | None
    source: Any = None
    rows: int = 0
    failed: bool = False

    def write(self, block: str) -> None:
        if self.text is None or self.failed:
            return
        try:
            self.text.write(block)
            self.rows += block.count("\n")
        except OSError as exc:
            log.warning("parse cache: recording stopped (%s)", exc)
            self.failed = True


class ParseCache:
    """A folder of parsed files, at most `max_bytes` big."""

    def __init__(
        self,
        folder: Path,
        max_bytes: int,
        *,
        min_file_bytes: int = MIN_FILE_BYTES,
        shared: SharedParses | None = None,
    ):
        self.folder = folder
        self.max_bytes = max_bytes
        self.min_file_bytes = min_file_bytes
        self.shared = shared

    @staticmethod
    def key(
        *, sha256: str, format_name: str, mapping: Mapping[str, Any], this_year: int, version: str
    ) -> str:
        """Everything the parse depends on, digested (hex: safe as a file name)."""
        material = json.dumps(
            [FORMAT, sha256, format_name, mapping, this_year, version],
            sort_keys=True,
            ensure_ascii=True,
            default=str,
        )
        return hashlib.sha256(material.encode()).hexdigest()

    def wants(self, size_bytes: int) -> bool:
        return self.max_bytes > 0 and size_bytes >= self.min_file_bytes

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / f"{key}.copy", self.folder / f"{key}.json"

    def load(self, key: str) -> CachedSource | None:
        """The cached parse of `key` — from this machine, else fetched from the file store
        and kept here — or None (absent, incomplete, damaged or unreadable: a damaged
        entry is removed)."""
        found = self._load_local(key)
        if found is None and self.shared is not None and self.shared.fetch(key, *self._paths(key)):
            self._evict()
            found = self._load_local(key)
        return found

    def share(self, key: str) -> bool:
        """Copy the entry `key` of this machine to the file store (if there is one)."""
        return self.shared is not None and self.shared.share(key, *self._paths(key))

    def _load_local(self, key: str) -> CachedSource | None:
        text_path, meta_path = self._paths(key)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            text = text_path.open(encoding="utf-8", newline="")
        except (OSError, ValueError):
            return None
        try:
            if meta.get("format_version") != FORMAT or (
                os.fstat(text.fileno()).st_size != meta["text_bytes"]
            ):
                raise ValueError("another layout, or not the size it was written with")
            os.utime(meta_path)  # recently used: evicted last
            return CachedSource(
                format=str(meta["format"]),
                total_lines=int(meta["total_lines"]),
                warnings=[str(w) for w in meta["warnings"]],
                text=text,
                rows_expected=int(meta["rows"]),
                on_damage=lambda: self.discard(key),
                entity_rows={
                    kind: [tuple(row) for row in meta["entities"].get(kind, [])]
                    for kind in ENTITY_KINDS
                },
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            text.close()
            log.warning("parse cache: entry %s ignored and removed (%s)", key[:12], exc)
            self.discard(key)
            return None

    def discard(self, key: str) -> None:
        for path in self._paths(key):
            with contextlib.suppress(OSError):
                path.unlink()

    @contextlib.contextmanager
    def recording(self, key: str) -> Iterator[Recording]:
        """Collect a parse while it is staged; it is kept only if the block completes (and
        the disk cooperated: the cache never fails an import)."""
        partial = self.folder / f".{key}.{uuid.uuid4().hex}.partial"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            recording = Recording(partial.open("w", encoding="utf-8", newline=""))
        except OSError as exc:
            log.warning("parse cache: not recording (%s)", exc)
            recording = Recording(None)
        try:
            yield recording
            if recording.text is not None and recording.source is not None:
                self._keep(key, partial, recording)
        finally:
            if recording.text is not None:
                recording.text.close()
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)

    def _keep(self, key: str, partial: Path, recording: Recording) -> None:
        """Make the recorded parse an entry: text, then metadata, each written in full
        (synced) under a temporary name and renamed into place."""
        assert recording.text is not None
        text_path, meta_path = self._paths(key)
        meta_partial = partial.with_suffix(".meta")
        try:
            if recording.failed:
                return
            recording.text.flush()
            os.fsync(recording.text.fileno())
            recording.text.close()
            entities = recording.source.entities()
            meta = {
                "format_version": FORMAT,
                "format": recording.source.format,
                "total_lines": recording.source.total_lines,
                "warnings": list(recording.source.warnings),
                "rows": recording.rows,
                "text_bytes": partial.stat().st_size,
                "entities": {kind: getattr(entities, kind) for kind in ENTITY_KINDS},
            }
            with meta_partial.open("w", encoding="utf-8") as handle:
                json.dump(meta, handle)  # streamed: no second copy of the entities in memory
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, text_path)
            os.replace(meta_partial, meta_path)
            self._evict()
        except OSError as exc:
            log.warning("parse cache: entry not kept (%s)", exc)
            self.discard(key)
        finally:
            with contextlib.suppress(OSError):
                meta_partial.unlink(missing_ok=True)

    def _evict(self) -> None:
        """Drop the least recently used entries until the folder fits its limit, and what
        interrupted recordings left (temporary files, a text without its metadata or the
        reverse) once it is an hour old."""
        now = time.time()
        entries = []
        for path in self.folder.iterdir():
            with contextlib.suppress(OSError):
                stat = path.stat()
                stale = now - stat.st_mtime > STALE_SECONDS
                if path.name.startswith("."):
                    if stale:
                        path.unlink()
                    continue
                partner = path.with_suffix(".json" if path.suffix == ".copy" else ".copy")
                if not partner.exists():
                    if stale:
                        path.unlink()
                    continue
                if path.suffix == ".json":
                    size = stat.st_size + partner.stat().st_size
                    entries.append((stat.st_mtime, size, path.stem))
        total = sum(size for _, size, _ in entries)
        for _, size, key in sorted(entries):
            if total <= self.max_bytes:
                break
            self.discard(key)
            total -= size


def from_config(config: Mapping[str, Any], storage: Storage | None = None) -> ParseCache | None:
    """The cache the app configures (IMPORT_PARSE_CACHE_MB under the instance folder), or
    None when it is switched off (0); shared through `storage` when
    IMPORT_PARSE_CACHE_SHARED is on (the default with R2)."""
    megabytes = float(config.get("IMPORT_PARSE_CACHE_MB", 0) or 0)
    if megabytes <= 0:
        return None
    folder = Path(str(config["INSTANCE_DIR"])) / "import-cache"
    shared = None
    if storage is not None and config.get("IMPORT_PARSE_CACHE_SHARED"):
        shared = SharedParses(storage)
    return ParseCache(
        folder, int(megabytes * 1024 * 1024), min_file_bytes=MIN_FILE_BYTES, shared=shared
    )
