"""Kept parses shared through the file store (R2 here: moto's S3 server on loopback): a
machine without the parse fetches it instead of parsing; a store that is down, or an entry
that does not check out, is only a miss."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.adapters.storage import LocalStorage, R2Storage
from app.services import imports
from app.services.imports.parsecache import ParseCache
from app.services.imports.parseshare import PREFIX, SharedParses
from importers.sources import READER
from tests.adapters.test_storage import r2  # noqa: F401 - the module's R2 fixture
from tests.services import imports_support
from tests.services.imports_support import THIS_YEAR, Importer
from tests.services.test_imports_parsecache import SHEET, _catalog

importer = imports_support.importer
storage = imports_support.storage


def _machine(tmp_path: Path, name: str, store: Any) -> ParseCache:
    """A worker machine: its own cache folder, the shared file store."""
    return ParseCache(
        tmp_path / name / "import-cache",
        64 * 1024 * 1024,
        min_file_bytes=0,
        shared=SharedParses(store),
    )


def _shared_entries(store: R2Storage, key: str) -> list[bool]:
    return [store.exists(f"{PREFIX}{key}{suffix}") for suffix in (".copy.gz", ".json")]


def test_another_machine_fetches_the_parse_instead_of_parsing(
    importer: Importer,
    db_session: Session,
    tmp_path: Path,
    r2: R2Storage,  # noqa: F811
) -> None:
    first, second = _machine(tmp_path, "a", r2), _machine(tmp_path, "b", r2)
    batch = importer.mapped(SHEET)
    assert "read and stage" in importer.analysed_commit(batch, first).clock.seconds
    fresh_result = (dict(batch.counts), _catalog(db_session))
    assert imports.share_parse(first, READER, batch, this_year=THIS_YEAR)
    key = next(first.folder.glob("*.json")).stem
    assert _shared_entries(r2, key) == [True, True]
    assert imports.share_parse(first, READER, batch, this_year=THIS_YEAR)  # already there

    db_session.rollback()  # the same file into the same empty catalog, on machine b
    again = importer.mapped(SHEET)
    found = importer.analysed_commit(again, second)
    assert "stage the kept parse" in found.clock.seconds
    assert (dict(again.counts), _catalog(db_session)) == fresh_result
    assert [p.name for p in second.folder.glob("*.json")] == [f"{key}.json"]  # kept on b


@pytest.fixture
def shared_key(importer: Importer, tmp_path: Path, r2: R2Storage) -> Iterator[tuple[str, Any]]:  # noqa: F811
    """A parse machine a shared, and the batch it belongs to."""
    machine = _machine(tmp_path, "a", r2)
    batch = importer.mapped(SHEET)
    imports.preview(
        importer.session, importer.storage, READER, batch, this_year=THIS_YEAR, cache=machine
    )
    assert imports.share_parse(machine, READER, batch, this_year=THIS_YEAR)
    key = next(machine.folder.glob("*.json")).stem
    yield key, batch
    for suffix in (".copy.gz", ".json"):
        r2.delete(f"{PREFIX}{key}{suffix}")


@pytest.mark.parametrize("damage", ["truncated", "not gzip", "wrong size"])
def test_a_shared_entry_that_does_not_check_out_is_a_miss(
    damage: str,
    shared_key: tuple[str, Any],
    importer: Importer,
    tmp_path: Path,
    r2: R2Storage,  # noqa: F811
) -> None:
    key, batch = shared_key
    text_key, meta_key = f"{PREFIX}{key}.copy.gz", f"{PREFIX}{key}.json"
    with r2.open(text_key) as handle:
        packed = handle.read()
    with r2.open(meta_key) as handle:
        meta = handle.read()
    altered = {
        "truncated": (packed[: len(packed) // 2], meta),
        "not gzip": (gzip.decompress(packed), meta),
        "wrong size": (packed, meta.replace(b'"text_bytes": ', b'"text_bytes": 1')),
    }[damage]
    for content, target in zip(altered, (text_key, meta_key), strict=True):
        upload = tmp_path / "upload"
        upload.write_bytes(content)
        r2.put_file(upload, target)
    other = _machine(tmp_path, "b", r2)
    assert other.load(key) is None
    assert not list(other.folder.glob("*")) or not list(other.folder.glob("*.json"))
    found = importer.analysed_commit(batch, other)  # parsed afresh, and committed
    assert "read and stage" in found.clock.seconds
    assert batch.status == "committed"


def test_a_store_that_is_down_is_a_miss_not_a_failure(importer: Importer, tmp_path: Path) -> None:
    down = R2Storage(
        bucket="nowhere",
        endpoint_url="http://127.0.0.1:9",  # nothing listens on the discard port
        access_key_id="test",
        secret_access_key="test",
    )
    machine = _machine(tmp_path, "a", down)
    batch = importer.mapped(SHEET)
    found = importer.analysed_commit(batch, machine)
    assert "read and stage" in found.clock.seconds and batch.status == "committed"
    assert not imports.share_parse(machine, READER, batch, this_year=THIS_YEAR)


def test_without_a_store_nothing_is_shared(
    importer: Importer, tmp_path: Path, storage: LocalStorage
) -> None:
    machine = ParseCache(tmp_path / "cache", 64 * 1024 * 1024, min_file_bytes=0)
    batch = importer.mapped(SHEET)
    importer.analysed_commit(batch, machine)
    assert not imports.share_parse(machine, READER, batch, this_year=THIS_YEAR)
    assert not (storage.root / PREFIX).exists()
