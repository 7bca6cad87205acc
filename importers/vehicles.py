"""The vehicle list: Year (or range) / Make / Model / optional variant and market."""

from __future__ import annotations

from collections.abc import Iterator

from app.services.imports.staging import Row
from importers.base import FileSource
from importers.collect import Claim


class VehicleList(FileSource):
    """Rows → vehicles (one per year of each row's span)."""

    format = "vehicles"

    def rows(self) -> Iterator[Row]:
        years, year_to = self.years_fields()
        get = self.getter(("make", "model", years, year_to, "variant", "market"))
        vehicle = self.collector.vehicle
        for line_no, raw, cells in self.records():
            bad = self.ragged(line_no, raw, cells)
            if bad:
                yield bad
                continue
            make, model, first, last, variant, market = get(cells)
            claim = Claim("", "", "", "", make, model, first, last, variant, market, "", "", "")
            yield from vehicle(line_no, raw, claim)
