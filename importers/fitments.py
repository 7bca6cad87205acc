"""The generic fitment sheet: one row per part × vehicle span (brand, MPN, make, model, years…)."""

from __future__ import annotations

from collections.abc import Iterator

from app.services.imports.staging import Row
from importers.base import FileSource


class FitmentSheet(FileSource):
    """Rows → fitment claims; a Years column, or Year from (+ Year to)."""

    format = "fitments"

    def rows(self) -> Iterator[Row]:
        years, year_to = self.years_fields()
        names = (
            "brand",
            "mpn",
            "title",
            "category",
            "make",
            "model",
            years,
            year_to,
            "variant",
            "market",
            "position",
            "qty",
            "note",
        )
        get = self.getter(names)
        pick = self.picker(names)
        fitment = self.collector.fitment
        width = len(self.info.headers)
        for line_no, raw, cells in self.records():
            size = len(cells)
            if size > width:
                bad = self.ragged(line_no, raw, cells)
                if bad:
                    yield bad
                    continue
            if pick is not None and size == width:
                cells.append("")  # what an unmapped field reads
                # The year_to slot of a sheet with a Years column (cells are ours to extend).
                cells.append(None)  # type: ignore[arg-type]
                yield from fitment(line_no, raw, pick(cells))
            else:
                yield from fitment(line_no, raw, tuple(get(cells)))
