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


def test_a_row_seen_before_reads_the_same_as_the_first_time(write: Write) -> None:
    """The second copy of each row takes the fast path (every cell cached): it must give
    what the first copy gave — data, warnings and errors alike — and register nothing new."""
    lines = [
        "FA-390HH,EBC Brakes,Honda,CBR600RR,2015-16,front,2,",  # valid
        "FA-390HH,EBC Brakes,Honda,CB500F,2015-17,front,2,",  # another model, same years
        "fa 390hh, ebc  brakes ,HONDA,CBR 600 RR,'17,Front,,Non-ABS",  # other spellings
        f"A1,EBC Brakes,Honda,CBR600RR,2015,rear,1,{'n' * 600}",  # a note clipped: warns
        "A2,EBC Brakes,Honda,CBR600RR,2016,sideways,1,",  # bad position after good cells
        "A3,EBC Brakes,Honda,CBR600RR,2016,front,zero,",  # bad qty after good cells
        "A4,EBC Brakes,Honda,CBR 600 RR,2017,front,2,",  # only the part is new
        "---,EBC Brakes,Honda,CBR600RR,2015,front,2,",  # a part number without a key
    ]
    header = "Part Number,Brand,Make,Model,Years,Position,Qty,Notes,Title\n"
    once, entities_once = load(write(header + "\n".join(lines) + "\n", name="once.csv"))
    twice, entities_twice = load(write(header + "\n".join(lines + lines) + "\n", name="twice.csv"))

    def without_line(rows: list[tuple[Any, ...]], offset: int) -> list[tuple[Any, ...]]:
        return [(r[0] - offset, *r[2:]) for r in rows]

    first = [r for r in twice if r[0] <= len(lines) + 1]
    second = [r for r in twice if r[0] > len(lines) + 1]
    assert without_line(first, 0) == without_line(once, 0)
    assert without_line(second, len(lines)) == without_line(once, 0)
    assert entities_twice == entities_once


def test_a_new_part_among_known_cells_is_registered_as_the_slow_path_would(
    write: Write,
) -> None:
    """A row whose cells are all known but its part number (the common case in a big file)
    registers the part on the fast path: same rows, same warning, same entity."""
    header = "Part Number,Brand,Make,Model,Years,Position,Qty,Notes,Title\n"
    known = "B1,EBC,Honda,CB500F,2015,front,2,,Pads\n"
    new = f"B2,EBC,Honda,CB500F,2015,front,2,,{'t' * 400}\n"
    after_known, entities = load(write(header + known + new, name="after.csv"))
    alone, entities_alone = load(write(header + new, name="alone.csv"))  # the slow path
    # (line, raw, part ref, …): one line later, and the second part rather than the first
    assert [(r[0] - 1, r[1], r[2] and r[2] - 1, *r[3:]) for r in after_known if r[0] == 3] == alone
    assert [r[9] for r in alone] == ["title is 400 characters; kept the first 300", None]
    assert entities.parts[1][1:] == (*entities_alone.parts[0][1:-1], 3)
