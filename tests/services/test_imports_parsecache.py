"""The parse cache: a preview's parse serves its commit and re-imports, with the same result
as a fresh parse; anything the parse depends on changes the key; failures keep nothing."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Fitment, FitmentEvidence, ImportBatch, Part, Vehicle
from app.services import imports
from app.services.imports.parsecache import ParseCache, Recording
from importers.sources import READER
from tests.services import imports_support
from tests.services.imports_support import THIS_YEAR, Importer, csv_text

importer = imports_support.importer
storage = imports_support.storage

HEADER = "Part Number,Brand,Make,Model,Years,Position,Qty,Notes,Title"
SHEET = csv_text(
    HEADER,
    "FA-390HH,EBC Brakes,Honda,CBR600RR,2015-18,front,2,,Sintered pads",
    'fa 390hh,EBC Brakes,HONDA,CBR 600 RR,\'19-\'20,Front,,"Non-ABS, ""street""",',
    "X1,EBC Brakes,Yamaha,MT-09,2030,sideways,zero,,",
    "HF204,HiFlo,Yamaha,MT-09,2017,,1,,Oil filter",
)


@pytest.fixture
def cache(tmp_path: Path) -> ParseCache:
    return ParseCache(tmp_path / "import-cache", 64 * 1024 * 1024, min_file_bytes=0)


def _preview(importer: Importer, batch: ImportBatch, cache: ParseCache | None) -> Any:
    return imports.preview(
        importer.session, importer.storage, READER, batch, this_year=THIS_YEAR, cache=cache
    )


def _catalog(session: Session) -> list[tuple[Any, ...]]:
    """Fitments by name, with their evidence lines and raw text (ids aside)."""
    rows = session.execute(
        select(Part.mpn, Part.title, Vehicle.year, Fitment.position, Fitment.qty, Fitment.note)
        .join(Fitment.part)
        .join(Fitment.vehicle)
        .order_by(Part.mpn, Vehicle.year)
    ).all()
    evidence = session.execute(
        select(FitmentEvidence.line_no, FitmentEvidence.raw_text).order_by(
            FitmentEvidence.line_no, FitmentEvidence.id
        )
    ).all()
    return [tuple(r) for r in rows] + [tuple(e) for e in evidence]


def test_a_commit_after_its_preview_reuses_the_parse_and_writes_the_same(
    importer: Importer, db_session: Session, cache: ParseCache
) -> None:
    batch = importer.mapped(SHEET)
    previewed = _preview(importer, batch, cache)
    assert "read and stage" in previewed.clock.seconds  # parsed, and kept
    assert len(list(cache.folder.glob("*.json"))) == 1
    # The commit needs neither the stored file nor the parser any more.
    assert batch.storage_key is not None
    (importer.storage.root / batch.storage_key).unlink()
    committed = importer.analysed_commit(batch, cache)
    assert "stage the kept parse" in committed.clock.seconds
    assert "read and stage" not in committed.clock.seconds
    cached_result = (dict(batch.counts), batch.report["result"]["issues"], _catalog(db_session))

    db_session.rollback()  # the same file, parsed afresh, into the same empty catalog
    fresh = importer.mapped(SHEET)
    importer.analysed_commit(fresh, None)
    assert (dict(fresh.counts), fresh.report["result"]["issues"], _catalog(db_session)) == (
        cached_result
    )
    assert cached_result[0]["invalid"] == 1 and cached_result[0]["new"] == 7


def test_a_reimport_of_the_same_file_uses_the_kept_parse(
    importer: Importer, cache: ParseCache
) -> None:
    first = importer.mapped(SHEET)
    importer.analysed_commit(first, cache)
    again = importer.mapped(SHEET, filename="again.csv")
    found = importer.analysed_commit(again, cache)
    assert "stage the kept parse" in found.clock.seconds
    assert again.counts["changes"] == 0


@pytest.mark.parametrize(
    "change", ["mapping", "year", "file", "reader"], ids=lambda c: f"another {c}"
)
def test_anything_the_parse_depends_on_is_part_of_the_key(change: str) -> None:
    base = {
        "sha256": "a" * 64,
        "format_name": "fitments",
        "mapping": {"columns": {"mpn": "Part Number"}},
        "this_year": 2026,
        "version": "v1",
    }
    other = dict(base)
    other.update(
        {
            "mapping": {"mapping": {"columns": {"mpn": "MPN"}}},
            "year": {"this_year": 2027},
            "file": {"sha256": "b" * 64},
            "reader": {"version": "v2"},
        }[change]
    )
    assert ParseCache.key(**base) == ParseCache.key(**dict(base))  # type: ignore[arg-type]
    assert ParseCache.key(**base) != ParseCache.key(**other)  # type: ignore[arg-type]


def test_a_failed_import_keeps_no_parse(
    importer: Importer, cache: ParseCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = importer.mapped(SHEET)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise imports.ImportProblem("the database said no")

    monkeypatch.setattr("app.services.imports.resolve.resolve_existing", broken)
    with pytest.raises(imports.ImportProblem):
        importer.analysed_commit(batch, cache)
    assert list(cache.folder.iterdir()) == []  # no entry, no partial file


def test_damaged_entries_are_ignored_and_small_files_are_not_kept(
    importer: Importer, tmp_path: Path, cache: ParseCache
) -> None:
    batch = importer.mapped(SHEET)
    _preview(importer, batch, cache)
    (meta,) = cache.folder.glob("*.json")
    meta.write_text("{not json", encoding="utf-8")
    found = _preview(importer, batch, cache)
    assert "read and stage" in found.clock.seconds  # parsed again (and kept again)
    assert json.loads(meta.read_text(encoding="utf-8"))["format_version"] == 1

    picky = ParseCache(tmp_path / "picky", 64 * 1024 * 1024, min_file_bytes=1024 * 1024)
    _preview(importer, importer.mapped(SHEET, filename="small.csv"), picky)
    assert not picky.folder.exists()


def test_the_least_recently_used_entries_go_when_the_folder_is_full(
    importer: Importer, cache: ParseCache
) -> None:
    batches = [
        importer.mapped(SHEET.replace("Sintered pads", f"Pads {n}"), filename=f"f{n}.csv")
        for n in range(3)
    ]
    for number, batch in enumerate(batches):
        _preview(importer, batch, cache)
        for meta in cache.folder.glob("*.json"):  # spread the use times a second apart
            os.utime(meta, (meta.stat().st_atime, meta.stat().st_mtime - 1))
        if number == 0:
            entry_size = sum(p.stat().st_size for p in cache.folder.iterdir())
            cache.max_bytes = int(entry_size * 2.5)  # room for two entries
    assert len(list(cache.folder.glob("*.json"))) == 2
    assert "read and stage" in _preview(importer, batches[0], cache).clock.seconds  # evicted
    assert "stage the kept parse" in _preview(importer, batches[2], cache).clock.seconds


def test_the_cache_never_fails_an_import(importer: Importer, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    cache = ParseCache(blocked / "import-cache", 64 * 1024 * 1024, min_file_bytes=0)
    batch = importer.mapped(SHEET)
    importer.analysed_commit(batch, cache)
    assert batch.status == "committed" and batch.counts["new"] == 7


def test_a_damaged_parse_is_never_served(
    importer: Importer, db_session: Session, cache: ParseCache
) -> None:
    batch = importer.mapped(SHEET)
    _preview(importer, batch, cache)
    (text,) = cache.folder.glob("*.copy")
    content = text.read_text(encoding="utf-8")
    text.write_text(content[: len(content) // 2], encoding="utf-8")  # cut short
    assert "read and stage" in _preview(importer, batch, cache).clock.seconds  # parsed afresh

    (text,) = cache.folder.glob("*.copy")  # same size, one line break less
    content = text.read_text(encoding="utf-8")
    text.write_text(content.replace("\n", " ", 1), encoding="utf-8")
    with pytest.raises(imports.ImportProblem, match="damaged"):
        importer.analysed_commit(batch, cache)
    db_session.rollback()
    assert list(cache.folder.glob("*.copy")) == []  # removed: the next run parses afresh
    again = importer.mapped(SHEET, filename="again.csv")
    importer.analysed_commit(again, cache)
    assert again.counts["new"] == 7


def test_leftovers_of_interrupted_recordings_are_cleaned_up(
    importer: Importer, cache: ParseCache
) -> None:
    cache.folder.mkdir(parents=True)
    old = 0.0  # the epoch: long stale
    leftovers = [
        cache.folder / ".deadbeef.1234.partial",
        cache.folder / ("a" * 64 + ".copy"),  # a text whose metadata never came
        cache.folder / ("b" * 64 + ".json"),  # metadata whose text is gone
    ]
    for path in leftovers:
        path.write_text("x", encoding="utf-8")
        os.utime(path, (old, old))
    recent = cache.folder / ("c" * 64 + ".copy")  # maybe a recording being renamed now
    recent.write_text("x", encoding="utf-8")
    _preview(importer, importer.mapped(SHEET), cache)
    assert not any(path.exists() for path in leftovers)
    assert recent.exists()


def test_a_full_disk_stops_the_recording_not_the_import() -> None:
    class FullDisk(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    recording = Recording(FullDisk())
    recording.write("1\tline\n")  # no exception
    assert recording.failed and recording.rows == 0
