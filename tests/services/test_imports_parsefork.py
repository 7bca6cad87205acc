"""Big files are parsed in a forked child while the importing process stages them: the same
result as parsing in-process, the parse cache still fed, and a failing or dying child
reported as an error with nothing written."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Fitment
from app.services import imports
from app.services.imports import parsefork
from app.services.imports.parsecache import ParseCache
from app.services.imports.staging import Entities, Row
from tests.services import imports_support
from tests.services.imports_support import Importer, csv_text
from tests.services.test_imports_parsecache import SHEET, _catalog

importer = imports_support.importer
storage = imports_support.storage


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file counts as big enough for the child."""
    monkeypatch.setattr(parsefork, "MIN_FILE_BYTES", 0)


def _result(batch: Any, session: Session) -> tuple[Any, ...]:
    result = batch.report["result"]
    return (dict(batch.counts), result["issues"], result["file_warnings"], _catalog(session))


def test_a_forked_parse_commits_exactly_what_an_in_process_parse_does(
    importer: Importer, db_session: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Windows-1252 bytes: the file warning comes back from the child too.
    content = SHEET.replace("Sintered pads", "Sintered pads — Zündapp").encode("cp1252")
    in_process = importer.mapped(content)
    importer.analysed_commit(in_process)
    expected = _result(in_process, db_session)
    assert expected[2] and expected[0]["invalid"] == 1  # the file has warnings and errors
    db_session.rollback()

    monkeypatch.setattr(parsefork, "MIN_FILE_BYTES", 0)
    reported: list[tuple[int, int]] = []
    cache = ParseCache(tmp_path / "cache", 64 * 1024 * 1024, min_file_bytes=0)
    batch = importer.mapped(content)
    found = importer.analysed_commit(
        batch, cache, progress=lambda done, total: reported.append((done, total))
    )
    assert "read and stage" in found.clock.seconds
    assert _result(batch, db_session) == expected
    assert reported and reported[-1][0] == reported[-1][1] > 0  # done, of all lines
    # The parse cache kept what the child parsed: a re-import stages it, unchanged.
    again = importer.mapped(content, filename="again.csv")
    assert "stage the kept parse" in importer.analysed_commit(again, cache).clock.seconds
    assert again.counts["changes"] == 0


class _Exploding:
    """A source whose parse fails half-way, the way a bad file's does (or worse)."""

    format = "fitments"
    total_lines = 3

    def __init__(self, failure: str) -> None:
        self.failure = failure
        self.warnings: list[str] = []

    def rows(self) -> Iterator[Row]:
        yield (2, "a,b", None, None, None, None, None, "Brand", "", "missing", "error")
        if self.failure == "problem":
            raise imports.ImportProblem("Line 3 is 50 MB long: no line may exceed 1 MB.")
        if self.failure == "unpicklable":
            raise _Unpicklable(lambda: None)
        os._exit(9)  # the child dies without a word (killed, out of memory)

    def entities(self) -> Entities:
        return Entities()


class _Unpicklable(Exception):
    def __init__(self, thing: Any) -> None:
        super().__init__("cannot travel")
        self.thing = thing


@pytest.mark.parametrize(
    ("failure", "error", "message"),
    [
        ("problem", imports.ImportProblem, "50 MB long"),
        ("unpicklable", RuntimeError, "_Unpicklable: cannot travel"),
        ("death", imports.ImportProblem, re.escape("stopped unexpectedly (exit code 9)")),
    ],
)
def test_a_failing_child_is_an_error_here(
    failure: str, error: type[Exception], message: str
) -> None:
    parse = parsefork.ForkedParse(_Exploding(failure))
    blocks = parse.blocks(lambda done, total: None)
    with pytest.raises(error, match=message):
        list(blocks)
    with pytest.raises(RuntimeError, match="not finished"):
        parse.entities()


def test_a_failing_child_leaves_nothing_written(
    importer: Importer, db_session: Session, forked: None
) -> None:
    batch = importer.mapped(
        csv_text("Part Number,Brand,Make,Model,Years", "A1,EBC,Honda,CB500F,2019")
    )
    original = parsefork.ForkedParse.__init__

    def exploding(self: parsefork.ForkedParse, source: Any) -> None:
        original(self, _Exploding("problem"))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parsefork.ForkedParse, "__init__", exploding)
        with pytest.raises(imports.ImportProblem, match="50 MB long"):
            importer.analysed_commit(batch)
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Fitment)) == 0


def test_only_big_files_are_forked() -> None:
    assert not parsefork.wanted(parsefork.MIN_FILE_BYTES - 1)
    assert parsefork.wanted(parsefork.MIN_FILE_BYTES)
