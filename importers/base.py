"""What every file format shares: the inspected file, its mapping, and row plumbing."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from app.services.imports.staging import Entities, Row
from importers import readers
from importers.collect import Collector
from importers.mapping import FIELDS, column_indexes
from importers.readers import FileInfo


class FileSource:
    """A mapped file, ready to stream staging rows (subclasses define `rows`)."""

    format = ""
    width = 11  # columns in this format's staging row

    def __init__(
        self, path: Path, info: FileInfo, mapping: Mapping[str, Any], *, this_year: int
    ) -> None:
        self.path = path
        self.info = info
        self.total_lines = info.total_lines
        self.warnings: list[str] = list(info.warnings)
        self.indexes = column_indexes(mapping, info.headers)
        self.defaults: dict[str, str] = {
            k: str(v) for k, v in (mapping.get("defaults") or {}).items() if str(v).strip()
        }
        specs = {spec.name: spec.label for spec in FIELDS[self.format]}
        self.labels = {
            name: (mapping.get("columns") or {}).get(name) or specs.get(name, name)
            for name in specs
        }
        self.collector = Collector(this_year=this_year, labels=self.labels)

    def records(self) -> Iterator[tuple[int, str, list[str]]]:
        return readers.records(
            self.path, self.info.encoding, self.info.delimiter, start_after=self.info.header_line
        )

    def getter(self, names: tuple[str | None, ...]) -> Callable[[list[str]], list[Any]]:
        """A fast cells → values function for the named fields.

        A missing or empty cell gives the mapping's default for that field (or ""); a None
        name gives None (a slot the layout does not fill).
        """
        plan = [
            (self.indexes.get(name, -1), self.defaults.get(name, "")) if name else (-2, None)
            for name in names
        ]

        def get(cells: list[str]) -> list[Any]:
            size = len(cells)
            return [
                None if i == -2 else ((cells[i] if 0 <= i < size else "") or default)
                for i, default in plan
            ]

        return get

    def picker(
        self, names: tuple[str | None, ...]
    ) -> Callable[[list[str]], tuple[Any, ...]] | None:
        """A faster `getter` (one C-level itemgetter) for rows of exactly the header's width
        once "" and None are appended to them; None when the mapping has fixed values."""
        if self.defaults:
            return None
        width = len(self.info.headers)
        return operator.itemgetter(
            *[self.indexes.get(name, width) if name else width + 1 for name in names]
        )

    def years_fields(self) -> tuple[str, str | None]:
        """("years", None) with a Years column, else ("year_from", "year_to")."""
        if "years" in self.indexes or "years" in self.defaults:
            return "years", None
        return "year_from", "year_to"

    def ragged(self, line_no: int, raw: str, cells: list[str]) -> Row | None:
        """An issue when a row has more non-empty cells than the header has names."""
        width = len(self.info.headers)
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            reason = (
                f"the row has {len(cells)} cells but the header has {width} "
                "(a separator inside a value that is not quoted?)"
            )
            return (line_no, raw, *([None] * (self.width - 6)), "", "", reason, "error")
        return None

    def rows(self) -> Iterator[Row]:
        """Staging rows of this format (see app/services/imports/staging.py)."""
        raise NotImplementedError

    def entities(self) -> Entities:
        return self.collector.entities()
