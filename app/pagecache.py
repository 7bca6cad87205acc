"""Rendered public pages kept in this process (LRU) and on the machine's disk, never in Postgres.

Two jobs:

- **Speed.** A page rendered less than PAGE_CACHE_SECONDS ago is served as stored bytes with
  its ETag, without touching the database or Jinja (app.public.caching decides when).
- **Resilience.** When the database is unreachable, any saved copy, however old, is served
  with a "showing saved data" notice. The disk copy survives worker recycling and restarts,
  and is shared by the workers of one machine; each machine keeps its own (DESIGN.md §4).

Files are written atomically (temp file + rename) as one JSON header line, the body, then
its compressed variants; a torn or foreign file is ignored. Pages are compressed (brotli and
gzip) once, when saved, so every worker of the machine serves the compressed bytes as read.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flask import Flask, current_app

log = logging.getLogger(__name__)

EXTENSION_KEY = "motopartpicker.pagecache"
FORMAT_VERSION = 2
PRUNE_EVERY = 200  # disk writes between two prunes of the directory
ENCODINGS = ("br", "gzip")


@dataclass
class CachedPage:
    """One rendered response: body, validators and what the view wants to remember."""

    key: str
    body: bytes
    etag: str
    stored_at: float  # wall-clock seconds: shared between processes through the disk
    mimetype: str = "text/html"
    cache_control: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    encoded: dict[str, bytes] = field(default_factory=dict, repr=False)

    def age(self, now: float | None = None) -> float:
        """Seconds since the page was rendered."""
        return (time.time() if now is None else now) - self.stored_at

    slim: bool = False  # the in-memory copy: compressed variants only (see plain())

    def plain(self) -> bytes:
        """The uncompressed body (a slim copy unpacks its gzip variant)."""
        if self.slim:
            return gzip.decompress(self.encoded["gzip"])
        return self.body

    def encode(self, encoding: str) -> bytes:
        """The body compressed with `encoding` (br or gzip), made once."""
        cached = self.encoded.get(encoding)
        if cached is None:
            if encoding == "br":
                import brotli

                cached = brotli.compress(self.plain(), quality=5)
            else:
                cached = gzip.compress(self.plain(), compresslevel=6, mtime=0)
            self.encoded[encoding] = cached
        return cached

    def compress(self) -> CachedPage:
        """Make every compressed variant now (saving is the slow path; serving is not)."""
        for encoding in ENCODINGS:
            self.encode(encoding)
        return self

    def slimmed(self) -> CachedPage:
        """The copy kept in memory: browsers take br or gzip, so the plain body (4-8 times
        their size) is left on disk and unpacked on the rare request that needs it."""
        if self.slim or "gzip" not in self.encoded:
            return self
        return replace(self, body=b"", encoded=dict(self.encoded), slim=True)

    @property
    def size(self) -> int:
        """Bytes this page holds in memory, compressed variants included."""
        return len(self.body) + sum(len(data) for data in self.encoded.values())


def etag_for(body: bytes) -> str:
    """A strong validator from the body (the same bytes give the same tag on every machine)."""
    return hashlib.blake2b(body, digest_size=12).hexdigest()


class PageCache:
    """A byte-bounded LRU in memory in front of a count-bounded directory on disk."""

    def __init__(self, directory: Path | None, max_bytes: int, max_files: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.max_files = max_files
        self._memory: OrderedDict[str, tuple[CachedPage, int]] = OrderedDict()  # page, bytes
        self._bytes = 0
        self._lock = threading.Lock()
        self._writes = 0
        if directory is not None:
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError:
                log.warning("page cache directory %s is not writable; memory only", directory)
                self.directory = None

    # ------------------------------------------------------------ reads

    def get(self, key: str) -> CachedPage | None:
        """The saved page for `key` (memory first, then disk), or None."""
        with self._lock:
            held = self._memory.get(key)
            if held is not None:
                self._memory.move_to_end(key)
                return held[0]
        page = self._read_file(key)
        if page is not None:
            page = page.compress()
            self._remember(page)
        return page

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return self.directory / f"{digest[:40]}.page"

    def _read_file(self, key: str) -> CachedPage | None:
        if self.directory is None:
            return None
        try:
            with self._path(key).open("rb") as handle:
                header = json.loads(handle.readline())
                body = handle.read()
        except (OSError, ValueError):
            return None
        if header.get("v") != FORMAT_VERSION or header.get("key") != key:
            return None
        try:
            lengths = [int(header.get("length", -1))]
            lengths += [int(header.get("encoded", {}).get(name, 0)) for name in ENCODINGS]
        except (TypeError, ValueError, AttributeError):
            return None  # a foreign or damaged header
        if sum(lengths) != len(body) or min(lengths) < 0:
            return None  # torn or truncated
        parts: list[bytes] = []
        offset = 0
        for length in lengths:
            parts.append(body[offset : offset + length])
            offset += length
        return CachedPage(
            key=key,
            body=parts[0],
            encoded={name: data for name, data in zip(ENCODINGS, parts[1:], strict=True) if data},
            etag=str(header["etag"]),
            stored_at=float(header["stored_at"]),
            mimetype=str(header.get("mimetype", "text/html")),
            cache_control=str(header.get("cache_control", "")),
            meta=dict(header.get("meta") or {}),
        )

    # ------------------------------------------------------------ writes

    def put(self, page: CachedPage) -> None:
        """Compress the page, keep it in memory and write it to disk (best effort: errors
        only log)."""
        page.compress()
        self._remember(page)
        self._write_file(page)

    def _remember(self, page: CachedPage) -> None:
        page = page.slimmed()
        size = page.size
        if size > self.max_bytes:
            return
        with self._lock:
            _, old_size = self._memory.pop(page.key, (None, 0))
            self._bytes -= old_size
            self._memory[page.key] = (page, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._memory:
                _, (_, evicted_size) = self._memory.popitem(last=False)
                self._bytes -= evicted_size

    def _write_file(self, page: CachedPage) -> None:
        if self.directory is None:
            return
        header = {
            "v": FORMAT_VERSION,
            "key": page.key,
            "etag": page.etag,
            "stored_at": page.stored_at,
            "mimetype": page.mimetype,
            "cache_control": page.cache_control,
            "meta": page.meta,
            "length": len(page.body),
            "encoded": {name: len(data) for name, data in page.encoded.items()},
        }
        try:
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(json.dumps(header, separators=(",", ":")).encode() + b"\n")
                handle.write(page.body)
                for name in ENCODINGS:  # in the order _read_file expects
                    handle.write(page.encoded.get(name, b""))
            os.replace(tmp, self._path(page.key))
        except OSError as error:
            log.warning("could not save page to disk cache: %s", error)
            return
        self._writes += 1
        if self._writes % PRUNE_EVERY == 0:
            self.prune()

    def prune(self) -> int:
        """Delete the oldest files beyond max_files; returns how many went."""
        if self.directory is None:
            return 0
        try:
            files = sorted(
                (entry.stat().st_mtime, entry.path)
                for entry in os.scandir(self.directory)
                if entry.name.endswith(".page") or entry.name.startswith(".tmp-")
            )
        except OSError:
            return 0
        removed = 0
        for _, path in files[: max(0, len(files) - self.max_files)]:
            try:
                os.unlink(path)
                removed += 1
            except OSError:
                pass
        return removed

    def clear(self, disk: bool = True) -> None:
        """Forget every page (memory, and the disk copies unless disk=False)."""
        with self._lock:
            self._memory.clear()
            self._bytes = 0
        if disk and self.directory is not None:
            for entry in os.scandir(self.directory):
                if entry.name.endswith(".page") or entry.name.startswith(".tmp-"):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)

    def __len__(self) -> int:
        with self._lock:
            return len(self._memory)


def init_app(app: Flask) -> PageCache:
    """Build the app's cache from PAGE_CACHE_* settings (directory under the instance dir)."""
    directory = app.config.get("PAGE_CACHE_DIR") or str(
        Path(app.config.get("INSTANCE_DIR") or app.instance_path) / "pagecache"
    )
    cache = PageCache(
        Path(directory) if app.config.get("PAGE_CACHE_DISK", True) else None,
        max_bytes=int(app.config.get("PAGE_CACHE_MB", 4)) * 1024 * 1024,
        max_files=int(app.config.get("PAGE_CACHE_FILES", 20_000)),
    )
    app.extensions[EXTENSION_KEY] = cache
    return cache


def get_cache(app: Flask | None = None) -> PageCache:
    """The current app's page cache."""
    return (app or current_app).extensions[EXTENSION_KEY]
