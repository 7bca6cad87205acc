"""Vehicle lists: Year (or range) / Make / Model / variant grow the bike list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from importers.mapping import auto_map, detect_format
from importers.readers import inspect
from importers.sources import open_source

Write = Callable[..., Path]


def test_vehicle_rows_expand_years_and_share_models(write: Write) -> None:
    path = write(
        "Year;Make;Model;Submodel\n2019-2020;Triumph;Street Triple;RS\n"
        "2021;TRIUMPH;street triple;\n1850;Triumph;X;\n"
    )
    info = inspect(path)
    assert detect_format(info.headers) == "vehicles"
    source = open_source(
        path, "vehicles", auto_map(info.headers, "vehicles"), this_year=2026, info=info
    )
    rows = list(source.rows())
    entities = source.entities()
    assert [(r[0], r[3]) for r in rows if r[9] is None] == [(2, [1, 2]), (3, [3])]
    assert [r[9] for r in rows if r[9]] == ["1850 is before 1885, the first motorcycle"]
    assert [(v[2], v[3]) for v in entities.vehicles] == [(2019, "RS"), (2020, "RS"), (2021, "")]
    assert [m[3] for m in entities.models] == ["Street Triple"]
