"""The generic fitment sheet: rows → staging rows with refs, issues with line and column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from importers.mapping import auto_map
from importers.readers import inspect
from importers.sources import open_source

Write = Callable[..., Path]


def load(path: Path, mapping: dict[str, Any] | None = None) -> Any:
    info = inspect(path)
    source = open_source(
        path, "fitments", mapping or auto_map(info.headers, "fitments"), this_year=2026, info=info
    )
    return list(source.rows()), source.entities()


def issues(rows: list[tuple[Any, ...]]) -> list[tuple[int, str, str, str, str]]:
    return [(r[0], r[7], r[8], r[9], r[10]) for r in rows if r[9]]


def test_rows_become_claims_with_shared_refs(write: Write) -> None:
    rows, entities = load(
        write(
            "Part Number,Brand,Make,Model,Years,Position,Qty,Notes\n"
            "FA-390HH,EBC Brakes,Honda,CBR600RR,2015-16,front,2,\n"
            "fa 390hh, ebc  brakes ,HONDA,CBR 600 RR,'17,Front,,Non-ABS\n"
        )
    )
    assert [r[:7] for r in rows] == [
        (2, "FA-390HH,EBC Brakes,Honda,CBR600RR,2015-16,front,2,", 1, [1, 2], "front", 2, ""),
        (
            3,
            "fa 390hh, ebc  brakes ,HONDA,CBR 600 RR,'17,Front,,Non-ABS",
            1,
            [3],
            "front",
            None,
            "Non-ABS",
        ),
    ]
    assert [m[1:4] for m in entities.makes] == [("honda", "Honda", "honda")]
    assert [m[2:4] for m in entities.models] == [("cbr600rr", "CBR600RR")]
    assert [p[2:4] for p in entities.parts] == [("FA390HH", "FA-390HH")]  # first spelling kept
    assert [v[2] for v in entities.vehicles] == [2015, 2016, 2017]


def test_every_problem_of_a_row_is_reported_and_the_row_creates_nothing(write: Write) -> None:
    rows, entities = load(
        write("MPN,Brand,Make,Model,Years,Position,Qty\n,EBC,Yamaha,MT-09,2030,sideways,zero\n")
    )
    assert issues(rows) == [
        (2, "MPN", "", "MPN is missing", "error"),
        (2, "Years", "2030", "2030 is after next year (2027)", "error"),
        (
            2,
            "Position",
            "sideways",
            "position 'sideways' is not one of front, rear, left, right, pair, set (or empty)",
            "error",
        ),
        (2, "Qty", "zero", "quantity 'zero' is not a number", "error"),
    ]
    assert entities.makes == entities.parts == entities.vehicles == []


def test_year_from_and_to_columns_and_defaults(write: Write) -> None:
    path = write(
        "PartNo,Make,Model,YearFrom,YearTo,Market\nA1,Honda,CB500F,2019,2021,usa\nA2,Honda,CB500F,2022,,\n"
    )
    mapping = auto_map(inspect(path).headers, "fitments")
    mapping["defaults"] = {"brand": "Acme Parts"}
    rows, entities = load(path, mapping)
    assert [len(r[3]) for r in rows] == [3, 1]
    assert [b[2] for b in entities.brands] == ["Acme Parts"]
    assert {v[4] for v in entities.vehicles} == {"US", ""}


def test_extra_cells_are_an_error_unless_empty(write: Write) -> None:
    rows, _ = load(
        write("MPN,Brand,Make,Model,Years\nA1,EBC,Honda,CB,2015,,\nA2,EBC,Honda,CB,2015,oops\n")
    )
    assert rows[0][9] is None
    assert "has 6 cells but the header has 5" in rows[1][9]


def test_long_notes_and_titles_are_kept_clipped_with_warnings(write: Write) -> None:
    rows, entities = load(
        write(
            "MPN,Brand,Make,Model,Years,Notes,Title\n"
            f"A1,EBC,Honda,CB,2015,{'n' * 600},{'t' * 400}\n"
        )
    )
    warnings = [r[9] for r in rows if r[10] == "warning"]
    assert warnings == [
        "title is 400 characters; kept the first 300",
        "note is 600 characters; kept the first 500",
    ]
    data = next(r for r in rows if r[9] is None)
    assert len(data[6]) == 500 and len(entities.parts[0][4]) == 300
