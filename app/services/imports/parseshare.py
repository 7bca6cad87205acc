"""Kept parses in the file store (R2): for every worker machine, and machines that replace them.

The parse cache (parsecache.py) lives on the importing machine's disk, and Fly machines
come and go: a re-import on another worker, or on a machine that replaced the one that
kept the parse (a restart, or a deploy that left the importer code alone: that code is part
of the key), parsed the file again
(~5 s of a million rows' ~11 s, benchmarks/import_fitments.py). After an import job
commits, its kept parse is also copied to the file store (gzip, ~3 times smaller); a
machine that does not have a parse looks there before parsing, and keeps what it fetched.

The store only ever holds whole entries: the compressed text goes up first, the metadata
(which names the text's exact size) last, so an entry with metadata is complete; a fetch
checks the size before the entry joins the local cache. Nothing here fails an import: a
store that is down or an entry that does not check out is a miss (logged), and the file is
parsed as before. The prefix is meant for a lifecycle rule that expires old entries
(docs/deploy.md).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import os
import shutil
import tempfile
import uuid
import zlib
from pathlib import Path

from app.adapters.storage import Storage, StorageError

PREFIX = "parse-cache/"
CHUNK = 1024 * 1024
COMPRESSION = 1  # gzip's fastest level: COPY text still shrinks ~3 times
log = logging.getLogger(__name__)
_MISSES = (StorageError, OSError, ValueError, EOFError, zlib.error)


class SharedParses:
    """Parse cache entries (COPY text and metadata files) in a Storage, by cache key."""

    def __init__(self, storage: Storage, prefix: str = PREFIX) -> None:
        self.storage = storage
        self.prefix = prefix

    def _keys(self, key: str) -> tuple[str, str]:
        return f"{self.prefix}{key}.copy.gz", f"{self.prefix}{key}.json"

    def fetch(self, key: str, text_path: Path, meta_path: Path) -> bool:
        """Download the entry `key` to these local paths (text, then metadata); False when
        the store has no complete entry or it does not check out."""
        text_key, meta_key = self._keys(key)
        partials = [text_path.with_name(f".{text_path.name}.{uuid.uuid4().hex}.fetch")]
        partials.append(partials[0].with_suffix(".meta"))
        try:
            if not self.storage.exists(meta_key):
                return False
            with contextlib.closing(self.storage.open(meta_key)) as handle:
                meta_bytes = handle.read()
            expected = int(json.loads(meta_bytes)["text_bytes"])
            text_path.parent.mkdir(parents=True, exist_ok=True)
            with (
                contextlib.closing(self.storage.open(text_key)) as handle,
                gzip.GzipFile(fileobj=handle, mode="rb") as unzipped,
                partials[0].open("wb") as out,
            ):
                shutil.copyfileobj(unzipped, out, CHUNK)
            if partials[0].stat().st_size != expected:
                raise ValueError(f"{partials[0].stat().st_size} bytes, not {expected}")
            partials[1].write_bytes(meta_bytes)
            os.replace(partials[0], text_path)
            os.replace(partials[1], meta_path)
            log.info("parse cache: entry %s fetched from the file store", key[:12])
            return True
        except (*_MISSES, KeyError, TypeError) as exc:
            log.warning("parse cache: shared entry %s not used (%s)", key[:12], exc)
            return False
        finally:
            for partial in partials:
                with contextlib.suppress(OSError):
                    partial.unlink(missing_ok=True)

    def share(self, key: str, text_path: Path, meta_path: Path) -> bool:
        """Upload the local entry `key` unless the store has it; False if it could not."""
        text_key, meta_key = self._keys(key)
        packed: Path | None = None
        try:
            if self.storage.exists(meta_key):
                return True
            with tempfile.NamedTemporaryFile(
                dir=text_path.parent, prefix=".share-", suffix=".gz", delete=False
            ) as target:
                packed = Path(target.name)
                with (
                    text_path.open("rb") as source,
                    gzip.GzipFile(fileobj=target, mode="wb", compresslevel=COMPRESSION) as zipped,
                ):
                    shutil.copyfileobj(source, zipped, CHUNK)
            self.storage.put_file(packed, text_key, "application/gzip")
            self.storage.put_file(meta_path, meta_key, "application/json")  # last: complete
            log.info("parse cache: entry %s shared in the file store", key[:12])
            return True
        except _MISSES as exc:
            log.warning("parse cache: entry %s not shared (%s)", key[:12], exc)
            return False
        finally:
            if packed is not None:
                with contextlib.suppress(OSError):
                    packed.unlink(missing_ok=True)
