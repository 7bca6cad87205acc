"""Column mapping: synonyms, format detection, remembered mappings, missing fields."""

from __future__ import annotations

import pytest

from importers.mapping import (
    auto_map,
    check_mapping,
    column_indexes,
    detect_format,
    merge_remembered,
)


@pytest.mark.parametrize(
    "header",
    ["mpn", "MPN", "Part Number", "part_number", "Manufacturer Part #", "PartNo", "Mfr Part #"],
)
def test_part_number_synonyms(header: str) -> None:
    mapping = auto_map([header, "Brand", "Make", "Model", "Year"], "fitments")
    assert mapping["columns"]["mpn"] == header


@pytest.mark.parametrize(
    ("headers", "years"),
    [
        (["year"], {"years": "year"}),
        (["Years"], {"years": "Years"}),
        (["year_from", "year_to"], {"year_from": "year_from", "year_to": "year_to"}),
        (["YearFrom", "YearTo"], {"year_from": "YearFrom", "year_to": "YearTo"}),
        (["start_year", "end_year"], {"year_from": "start_year", "year_to": "end_year"}),
    ],
)
def test_year_column_synonyms(headers: list[str], years: dict[str, str]) -> None:
    columns = auto_map(["mpn", "brand", "Fits Make", "model", *headers], "fitments")["columns"]
    assert {k: v for k, v in columns.items() if k.startswith("year")} == years
    assert columns["make"] == "Fits Make"


def test_optional_fields_are_found_too() -> None:
    headers = [
        "MPN",
        "Brand",
        "Make",
        "Model",
        "Year",
        "Submodel",
        "Region",
        "Location",
        "Quantity",
        "Fitment Notes",
        "Product Name",
        "Category",
    ]
    columns = auto_map(headers, "fitments")["columns"]
    assert columns == {
        "mpn": "MPN",
        "brand": "Brand",
        "make": "Make",
        "model": "Model",
        "years": "Year",
        "variant": "Submodel",
        "market": "Region",
        "position": "Location",
        "qty": "Quantity",
        "note": "Fitment Notes",
        "title": "Product Name",
        "category": "Category",
    }


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Part Number", "Brand", "Make", "Model", "Years"], "fitments"),
        (["*Action(SiteID=US)", "CustomLabel", "Relationship", "RelationshipDetails"], "ebay"),
        (
            [
                "SKU",
                "Product Name",
                "Brand Name",
                "Manufacturer Id",
                "Retail Price",
                "Sale Price",
                "Buy Link",
                "Image URL",
            ],
            "retailer_feed",
        ),
        (["Year", "Make", "Model", "Submodel"], "vehicles"),
        (["colour", "size"], None),
    ],
)
def test_format_detection(headers: list[str], expected: str | None) -> None:
    assert detect_format(headers) == expected


def test_remembered_mapping_wins_where_its_headers_exist() -> None:
    headers = ["Item", "Maker", "Make", "Model", "Year", "Brand"]
    remembered = {
        "columns": {"mpn": "Item", "brand": "Maker", "note": "Gone"},
        "defaults": {"market": "US"},
    }
    mapping = merge_remembered(headers, "fitments", remembered)
    assert mapping["columns"]["mpn"] == "Item"
    assert mapping["columns"]["brand"] == "Maker"  # "Brand" would have been the guess
    assert "note" not in mapping["columns"]  # that column is not in this file
    assert mapping["defaults"] == {"market": "US"}


def test_check_mapping_names_what_is_missing() -> None:
    headers = ["Make", "Model", "Brand"]
    problems = check_mapping(
        {"columns": {"make": "Make", "model": "Model", "brand": "Nope"}}, "fitments", headers
    )
    assert "Brand: the file has no column 'Nope'." in problems
    assert "MPN is required: pick the column that holds it." in problems
    assert any("Years are required" in p for p in problems)
    # A fixed value stands in for a missing column.
    ok = check_mapping(
        {
            "columns": {"make": "Make", "model": "Model", "mpn": "Brand", "years": "Make"},
            "defaults": {"brand": "EBC"},
        },
        "fitments",
        headers,
    )
    assert ok == []


def test_column_indexes() -> None:
    assert column_indexes({"columns": {"mpn": "B", "make": "A"}}, ["A", "B"]) == {
        "mpn": 1,
        "make": 0,
    }
