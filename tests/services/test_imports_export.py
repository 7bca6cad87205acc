"""Export: guarded against formula injection, and it imports back unchanged."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Fitment
from app.services import imports
from tests.public import conftest as public_fixtures
from tests.services import imports_support
from tests.services.imports_support import Importer, count, csv_text

# Shared fixtures (module attributes, so pytest finds them here).
importer = imports_support.importer
storage = imports_support.storage
build = public_fixtures.build


SHEET = csv_text(
    "MPN,Brand,Make,Model,Years,Variant,Market,Position,Qty,Notes,Title,Category",
    "-R123,EBC Brakes,Honda,CBR600RR,2013-2018,ABS,US,front,2,=1+1,@SUM(A1),Brake Pads",
    "-R123,EBC Brakes,Honda,CBR600RR,2020,ABS,US,front,2,=1+1,,",
    'HF204,+Filters,Yamaha,MT-09,2017,,,,,"Use, with care",Oil filter,',
)


def export(session: Session, **filters: str) -> str:
    out = io.StringIO()
    imports.write_csv_rows(out, imports.export_rows(session, imports.ExportFilter(**filters)))
    return out.getvalue()


def test_export_neutralizes_formulas_and_compresses_years(
    importer: Importer, db_session: Session, build: Any
) -> None:
    build.category("Brake Pads", parent=build.category("Brakes"))
    importer.commit(SHEET)

    rows = list(csv.reader(io.StringIO(export(db_session))))

    assert rows[0] == [
        "Brand",
        "MPN",
        "Title",
        "Category",
        "Make",
        "Model",
        "Years",
        "Variant",
        "Market",
        "Position",
        "Qty",
        "Note",
        "Status",
    ]
    by_mpn = {row[1]: row for row in rows[1:]}
    assert by_mpn["'-R123"] == [
        "EBC Brakes",
        "'-R123",
        "'@SUM(A1)",
        "Brakes › Brake Pads",
        "Honda",
        "CBR600RR",
        "2013\u20132018, 2020",
        "ABS",
        "US",
        "front",
        "2",
        "'=1+1",
        "unverified",
    ]
    assert by_mpn["HF204"][:2] == ["'+Filters", "HF204"]
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_export_round_trips_through_import_unchanged(
    importer: Importer, db_session: Session
) -> None:
    first = importer.commit(SHEET)
    exported = export(db_session)

    again = importer.commit(exported, source="Our own export", filename="export.csv")
    assert (again.counts["new"], again.counts["updated"], again.counts["invalid"]) == (0, 0, 0)

    importer.undo(again)
    importer.undo(first)
    assert count(db_session, Fitment) == 0
    importer.commit(exported, source="Our own export", filename="export.csv")
    assert export(db_session) == exported


def test_export_filters(importer: Importer, db_session: Session) -> None:
    importer.commit(SHEET)
    assert export(db_session, brand="ebc brakes").count("\r\n") == 2
    assert export(db_session, make="YAMAHA").count("\r\n") == 2
    assert export(db_session, status="verified").count("\r\n") == 1
    fitment = db_session.scalars(select(Fitment)).first()
    assert fitment is not None
