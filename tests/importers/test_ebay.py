"""eBay's compatibility layout: item rows, then Relationship=Compatibility rows below them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from importers.ebay import parse_details
from importers.mapping import auto_map, detect_format
from importers.readers import inspect
from importers.sources import open_source

Write = Callable[..., Path]
HEADER = (
    "*Action(SiteID=eBayMotors|Country=US|Currency=USD|Version=1193),CustomLabel,C:Brand,"
    "C:Manufacturer Part Number,Title,Relationship,RelationshipDetails\n"
)


def load(path: Path) -> Any:
    info = inspect(path)
    assert detect_format(info.headers) == "ebay"
    source = open_source(path, "ebay", auto_map(info.headers, "ebay"), this_year=2026, info=info)
    return list(source.rows()), source.entities()


def test_details_parse_with_notes_variants_and_unknown_keys() -> None:
    assert parse_details("Year=2017-2020|Make=Yamaha|Model=MT-09|Notes=Non-ABS") == {
        "years": "2017-2020",
        "make": "Yamaha",
        "model": "MT-09",
        "note": "Non-ABS",
    }
    assert parse_details(
        "year=2019|make=KTM|model=790 Duke|Submodel=L|Trim=Black|Engine=799cc"
    ) == {
        "years": "2019",
        "make": "KTM",
        "model": "790 Duke",
        "variant": "L Black",
        "note": "Engine: 799cc",
    }


def test_compatibility_rows_attach_to_the_item_above(write: Write) -> None:
    rows, entities = load(
        write(
            HEADER
            + "Add,SKU-1,Galfer,FD-123,Galfer Wave Rotor,,\n"
            + ",,,,,Compatibility,Year=2017-2018|Make=Yamaha|Model=MT-09|Notes=Non-ABS\n"
            + ",,,,,Compatibility,Year=2019|Make=Yamaha|Model=MT-09\n"
            + "Add,SKU-2,Galfer,FD-456,Galfer Pads,,\n"
            + ",,,,,Compatibility,Year=2020|Make=Honda|Model=CB650R\n"
        )
    )
    data = [r for r in rows if r[9] is None]
    assert [(r[0], r[2], len(r[3]), r[6]) for r in data] == [
        (3, 1, 2, "Non-ABS"),
        (4, 1, 1, ""),
        (6, 2, 1, ""),
    ]
    assert [(p[3], p[4]) for p in entities.parts] == [
        ("FD-123", "Galfer Wave Rotor"),
        ("FD-456", "Galfer Pads"),
    ]


def test_orphan_and_broken_rows_are_explained(write: Write) -> None:
    rows, _ = load(
        write(
            HEADER
            + ",,,,,Compatibility,Year=2020|Make=Honda|Model=CB650R\n"
            + "Add,SKU-1,Galfer,,No MPN here,,\n"
            + ",,,,,Compatibility,Year=2020|Make=Honda|Model=CB650R\n"
            + ",,,,,Compatibility,\n"
            + ",,,,,Variation,Color=Red\n"
        )
    )
    found = [(r[0], r[9], r[10]) for r in rows if r[9]]
    assert found == [
        (2, "a compatibility row needs its item row (SKU, brand, MPN) above it", "error"),
        (4, "MPN is missing", "error"),
        (5, "RelationshipDetails is empty (expected Year=…|Make=…|Model=…)", "error"),
        (6, "relationship 'Variation' is not Compatibility; row skipped", "warning"),
    ]
