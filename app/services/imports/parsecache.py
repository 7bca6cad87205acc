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
the oldest go when the folder outgrows its size limit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from app.services.imports.staging import Entities, Row

FORMAT = 1  # bump when the layout of an entry changes
BLOCK_CHARS = 1024 * 1024
MIN_FILE_BYTES = 1024 * 1024  # smaller files parse in well under a second: not kept
ENTITY_KINDS = ("makes", "models", "brands", "parts", "vehicles")
STALE_PARTIAL_SECONDS = 24 * 3600


@dataclass
class CachedSource:
    """A RowSource read back from the cache: its rows only as COPY text (`copy_text`)."""

    format: str
    total_lines: int
    warnings: list[str]
    text_path: Path
    entity_rows: dict[str, list[Row]] = field(default_factory=dict)

    def rows(self) -> Iterator[Row]:
        raise NotImplementedError("a cached parse keeps COPY text, not rows: use copy_text()")

    def copy_text(self) -> Iterator[str]:
        with self.text_path.open(encoding="utf-8", newline="") as handle:
            while block := handle.read(BLOCK_CHARS):
                yield block

    def entities(self) -> Entities:
        return Entities(**{kind: self.entity_rows.get(kind, []) for kind in ENTITY_KINDS})


class ParseCache:
    """A folder of parsed files, at most `max_bytes` big."""

    def __init__(self, folder: Path, max_bytes: int, *, min_file_bytes: int = MIN_FILE_BYTES):
        self.folder = folder
        self.max_bytes = max_bytes
        self.min_file_bytes = min_file_bytes

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
        """The cached parse of `key`, or None (absent, incomplete or unreadable)."""
        text_path, meta_path = self._paths(key)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("format_version") != FORMAT or not text_path.is_file():
                return None
            os.utime(meta_path)  # recently used: evicted last
        except (OSError, ValueError):
            return None
        return CachedSource(
            format=str(meta["format"]),
            total_lines=int(meta["total_lines"]),
            warnings=[str(w) for w in meta["warnings"]],
            text_path=text_path,
            entity_rows={
                kind: [tuple(row) for row in meta["entities"].get(kind, [])]
                for kind in ENTITY_KINDS
            },
        )

    @contextlib.contextmanager
    def recording(self, key: str) -> Iterator[Recording]:
        """Collect a parse while it is staged; it is kept only if the block completes."""
        self.folder.mkdir(parents=True, exist_ok=True)
        text_path, meta_path = self._paths(key)
        partial = self.folder / f".{key}.{uuid.uuid4().hex}.partial"
        recording = Recording(partial.open("w", encoding="utf-8", newline=""))
        try:
            yield recording
            recording.text.close()
            if recording.source is None:
                return
            entities = recording.source.entities()
            meta = {
                "format_version": FORMAT,
                "format": recording.source.format,
                "total_lines": recording.source.total_lines,
                "warnings": list(recording.source.warnings),
                "entities": {kind: getattr(entities, kind) for kind in ENTITY_KINDS},
            }
            os.replace(partial, text_path)
            meta_partial = partial.with_suffix(".meta")
            with meta_partial.open("w", encoding="utf-8") as handle:
                json.dump(meta, handle)  # streamed: no second copy of the entities in memory
            os.replace(meta_partial, meta_path)
            self._evict()
        finally:
            recording.text.close()
            partial.unlink(missing_ok=True)

    def _evict(self) -> None:
        """Drop the least recently used entries until the folder fits its limit (and
        leftovers of recordings a crash interrupted, once they are a day old)."""
        for leftover in [*self.folder.glob(".*.partial"), *self.folder.glob(".*.meta")]:
            with contextlib.suppress(OSError):
                if time.time() - leftover.stat().st_mtime > STALE_PARTIAL_SECONDS:
                    leftover.unlink()
        entries = []
        for meta_path in self.folder.glob("*.json"):
            text_path = meta_path.with_suffix(".copy")
            with contextlib.suppress(OSError):
                size = meta_path.stat().st_size + text_path.stat().st_size
                entries.append((meta_path.stat().st_mtime, size, meta_path, text_path))
        total = sum(size for _, size, _, _ in entries)
        for _, size, meta_path, text_path in sorted(entries, key=lambda e: e[0]):
            if total <= self.max_bytes:
                break
            meta_path.unlink(missing_ok=True)
            text_path.unlink(missing_ok=True)
            total -= size


@dataclass
class Recording:
    """Where staging tees the COPY text; `source` is set once the parse went through."""

    text: IO[str]
    source: Any = None


def from_config(config: Mapping[str, Any]) -> ParseCache | None:
    """The cache the app configures (IMPORT_PARSE_CACHE_MB under the instance folder), or
    None when it is switched off (0)."""
    megabytes = float(config.get("IMPORT_PARSE_CACHE_MB", 0) or 0)
    if megabytes <= 0:
        return None
    folder = Path(str(config["INSTANCE_DIR"])) / "import-cache"
    return ParseCache(folder, int(megabytes * 1024 * 1024))
