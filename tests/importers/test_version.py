"""The parse cache's code version covers every function a parse runs, and nothing else of
the project (a deploy that changes the public site keeps the kept parses)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from app.services.imports.staging import ROW_SHAPES, text_blocks
from importers.readers import inspect
from importers.sources import READER, open_source
from importers.version import ROOT, parse_modules

Write = Callable[..., Path]

# Messy files of every format: new and known names, year ranges, bad cells, warnings.
FILES = {
    "fitments": (
        "Brand,Part Number,Title,Category,Make,Model,Years,Variant,Market,Position,Qty,Note\n"
        "EBC,FA-123,Pads,Brakes > Pads,Yamaha,MT-09,2017-20,ABS,US,front,2,Sintered\n"
        "EBC,fa 123,Pads,Brakes > Pads,YAMAHA,mt-09,'18,,,front,1,\n"
        "Zündapp,ZD/1,<script>x</script>,,Zündapp,KS 50,1975 - 78,,,rear,,=HYPERLINK(1)\n"
        "EBC,,No part number,,Honda,CB500F,2013+,,,,,\n"
        "EBC,FA-9,Pads,,Honda,CB500F,1850,,,,,\n"
        "EBC,FA-10,Pads,,Honda,CB500F,2001; 2003,,,sideways,1000,\n"
    ),
    "ebay": (
        "Action,CustomLabel,Brand,MPN,Title,Relationship,RelationshipDetails\n"
        "Add,SKU-1,Galfer,FD-123,Galfer Wave Rotor,,\n"
        ",,,,,Compatibility,Year=2017-2018|Make=Yamaha|Model=MT-09|Notes=Non-ABS\n"
        ",,,,,Compatibility,Year=19|Make=Yamaha|Model=MT-09|Submodel=SP\n"
        ",,,,,Compatibility,Make=Honda\n"
        "Add,SKU-2,Galfer,,Galfer Pads,,\n"
    ),
    "retailer_feed": (
        "SKU,Product Name,Brand,MPN,Retail Price,Sale Price,Buy Link,Image URL,In Stock\n"
        "R-1,EBC Pads,EBC,FA-123,49.99,39.99,https://example.com/p/1,https://example.com/1.jpg,"
        "yes\n"
        "R-2,Bad price,EBC,FA-9,abc,,javascript:alert(1),,no\n"
    ),
    "vehicles": "Year,Make,Model,Variant\n2015-2017,Yamaha,MT-09,ABS\n1880,Benz,Wagon,\n",
}


def _parse(path: Path) -> int:
    """What an import does with a file: inspect, map, parse into COPY text, collect names."""
    info = inspect(path)
    format_name = READER.detect_format(info.headers)
    assert format_name is not None
    mapping = READER.suggest_mapping(info.headers, format_name, None)
    source = open_source(path, format_name, mapping, this_year=2026, info=info)
    text = "".join(text_blocks(source.rows(), ROW_SHAPES[source.format]))
    source.entities()
    return len(text)


@pytest.mark.parametrize("format_name", sorted(FILES))
def test_every_function_a_parse_calls_is_in_the_code_version(
    write: Write, format_name: str
) -> None:
    path = write(FILES[format_name])
    called: set[str] = set()

    def record(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            called.add(frame.f_code.co_filename)

    sys.setprofile(record)
    try:
        written = _parse(path)
    finally:
        sys.setprofile(None)

    assert written > 0
    project = {
        Path(name).resolve()
        for name in called
        if name.endswith(".py") and Path(name).resolve().is_relative_to(ROOT)
    }
    project = {p for p in project if p.relative_to(ROOT).parts[0] in ("app", "importers")}
    assert ROOT / "importers" / "readers.py" in project  # the trace saw the parse
    assert project <= set(parse_modules())


def test_the_code_version_leaves_out_what_a_parse_does_not_run() -> None:
    covered = {path.relative_to(ROOT).as_posix() for path in parse_modules()}
    assert {"importers/collect.py", "app/services/names.py", "app/services/imports/staging.py"} <= (
        covered
    )
    for elsewhere in (
        "app/public/views.py",
        "app/services/imports/pipeline.py",
        "app/services/imports/claims.py",
        "app/tasks/imports.py",
        "app/__init__.py",
    ):
        assert elsewhere not in covered
