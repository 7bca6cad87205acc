"""Column mapping: which header feeds which field, per format — detected from synonyms,
remembered per source, checked for the columns a format cannot do without.

A mapping is a plain dict `{"columns": {field: header}, "defaults": {field: value}}` so it
can live in JSON (the batch row and the per-source memory).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.services.names import name_key
from importers.readers import FileProblem

FORMATS = ("fitments", "ebay", "retailer_feed", "vehicles")
FORMAT_LABELS = {
    "fitments": "Fitment sheet",
    "ebay": "eBay compatibility (Relationship / RelationshipDetails)",
    "retailer_feed": "Retailer datafeed (prices and buy links)",
    "vehicles": "Vehicle list (year / make / model)",
}


@dataclass(frozen=True)
class FieldSpec:
    """One field a format reads: a label, whether it is required, and header synonyms."""

    name: str
    label: str
    synonyms: tuple[str, ...]
    required: bool = False


def _f(name: str, label: str, *synonyms: str, required: bool = False) -> FieldSpec:
    return FieldSpec(name, label, tuple(name_key(s) for s in (name, label, *synonyms)), required)


YEAR_FIELDS = (
    _f(
        "years",
        "Years",
        "year",
        "yr",
        "years",
        "model year",
        "model years",
        "year range",
        "fits years",
    ),
    _f(
        "year_from",
        "Year from",
        "yearfrom",
        "start year",
        "from year",
        "year start",
        "first year",
        "begin year",
        "year_begin",
        "yearstart",
        "year min",
    ),
    _f(
        "year_to",
        "Year to",
        "yearto",
        "end year",
        "to year",
        "year end",
        "last year",
        "yearend",
        "year max",
        "through year",
    ),
)
VEHICLE_FIELDS = (
    _f(
        "make",
        "Make",
        "fits make",
        "vehicle make",
        "manufacturer make",
        "bike make",
        "marque",
        required=True,
    ),
    _f("model", "Model", "fits model", "vehicle model", "bike model", "model name", required=True),
    *YEAR_FIELDS,
    _f("variant", "Variant", "submodel", "sub model", "trim", "version", "type"),
    _f("market", "Market", "region", "country", "market region"),
)
PART_FIELDS = (
    _f(
        "mpn",
        "MPN",
        "part number",
        "part no",
        "partno",
        "part num",
        "part #",
        "part#",
        "manufacturer part number",
        "manufacturer part #",
        "mfr part number",
        "mfg part number",
        "mfr part #",
        "mfr #",
        "mfg #",
        "manufacturer id",
        "item number",
        "sku mpn",
        "pn",
        required=True,
    ),
    _f(
        "brand",
        "Brand",
        "manufacturer",
        "mfr",
        "mfg",
        "brand name",
        "part brand",
        "vendor brand",
        required=True,
    ),
    _f(
        "title",
        "Title",
        "product name",
        "name",
        "description",
        "part name",
        "product title",
        "item name",
    ),
    _f("category", "Category", "product category", "part category", "category path", "type"),
)
FITMENT_FIELDS = (
    *PART_FIELDS,
    *VEHICLE_FIELDS,
    _f("position", "Position", "location", "side", "fitment position", "placement"),
    _f("qty", "Qty", "quantity", "qty per vehicle", "qty required", "count", "pieces"),
    _f("note", "Note", "notes", "comment", "comments", "fitment note", "fitment notes", "remarks"),
)
EBAY_FIELDS = (
    _f("relationship", "Relationship", required=True),
    _f("relationship_details", "RelationshipDetails", "relationship details", required=True),
    _f(
        "mpn",
        "MPN",
        "c:manufacturer part number",
        "manufacturer part number",
        "c:mpn",
        "part number",
        required=True,
    ),
    _f("brand", "Brand", "c:brand", required=True),
    _f("title", "Title", "*title", "item title"),
    _f("sku", "Custom label (SKU)", "customlabel", "custom label", "sku"),
    _f("category", "Category", "*category"),
)
RETAILER_FIELDS = (
    _f("sku", "SKU", "merchant sku", "product id", "item id", "retailer sku", required=True),
    _f("title", "Product name", "name", "title", "product title"),
    _f("brand", "Brand", "brand name", "manufacturer", "manufacturer name", required=True),
    _f(
        "mpn",
        "MPN",
        "manufacturer id",
        "manufacturer part number",
        "mfr part number",
        "part number",
        "model number",
    ),
    _f("gtin", "GTIN", "upc", "ean", "barcode", "isbn"),
    _f("retail_price", "Retail price", "price", "regular price", "list price", "msrp"),
    _f("sale_price", "Sale price", "sale", "special price", "current price"),
    _f("currency", "Currency", "currency code"),
    _f(
        "url",
        "Buy link",
        "url",
        "link",
        "product url",
        "product link",
        "buy url",
        "deeplink",
        "affiliate link",
        required=True,
    ),
    _f(
        "image_url",
        "Image URL",
        "image",
        "image link",
        "large image",
        "medium image",
        "thumb url",
        "picture",
    ),
    _f(
        "stock",
        "Stock",
        "in stock",
        "availability",
        "inventory",
        "quantity available",
        "stock status",
        "qty available",
    ),
)

FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "fitments": FITMENT_FIELDS,
    "ebay": EBAY_FIELDS,
    "retailer_feed": RETAILER_FIELDS,
    "vehicles": VEHICLE_FIELDS,
}


def detect_format(headers: list[str]) -> str | None:
    """Guess the format from the header names; None when nothing fits."""
    keys = {name_key(h) for h in headers}
    if {"relationship", "relationshipdetails"} <= keys:
        return "ebay"
    found = {f: set(auto_map(headers, f)["columns"]) for f in FORMATS if f != "ebay"}
    has_years = bool(found["vehicles"] & {"years", "year_from"})
    if {"url", "sku"} <= found["retailer_feed"] and (
        {"retail_price", "sale_price"} & found["retailer_feed"]
    ):
        return "retailer_feed"
    if {"mpn", "make", "model"} <= found["fitments"] and has_years:
        return "fitments"
    if {"make", "model"} <= found["vehicles"] and has_years:
        return "vehicles"
    return None


def auto_map(headers: list[str], format_name: str) -> dict[str, Any]:
    """The best guess: each field takes the first unclaimed header among its synonyms.

    Fields are tried in declaration order and a header feeds one field only, so "Type"
    goes to the variant in a vehicle list but never to two fields at once.
    """
    by_key: dict[str, str] = {}
    for header in headers:
        by_key.setdefault(name_key(header), header)
    columns: dict[str, str] = {}
    taken: set[str] = set()
    for spec in FIELDS[format_name]:
        for synonym in spec.synonyms:
            found = by_key.get(synonym)
            if found and found not in taken:
                header = found
                columns[spec.name] = header
                taken.add(header)
                break
    return {"columns": columns, "defaults": {}}


def merge_remembered(
    headers: list[str], format_name: str, remembered: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Auto-detected mapping, overridden by what this source used last time where it applies."""
    mapping = auto_map(headers, format_name)
    if not remembered:
        return mapping
    present = set(headers)
    known = {spec.name for spec in FIELDS[format_name]}
    for field_name, header in (remembered.get("columns") or {}).items():
        if field_name in known and header in present:
            mapping["columns"] = {
                f: h for f, h in mapping["columns"].items() if h != header and f != field_name
            } | {field_name: header}
    for field_name, value in (remembered.get("defaults") or {}).items():
        if field_name in known and isinstance(value, str) and value.strip():
            mapping["defaults"][field_name] = value.strip()
    return mapping


def check_mapping(mapping: Mapping[str, Any], format_name: str, headers: list[str]) -> list[str]:
    """Problems that stop an import before it reads a row (missing fields, unknown headers)."""
    if format_name not in FIELDS:
        return [f"Unknown format '{format_name}'."]
    columns: Mapping[str, str] = mapping.get("columns") or {}
    defaults: Mapping[str, str] = mapping.get("defaults") or {}
    problems: list[str] = []
    specs = {spec.name: spec for spec in FIELDS[format_name]}
    for field_name, header in columns.items():
        if field_name not in specs:
            problems.append(f"'{field_name}' is not a field of this format.")
        elif header not in headers:
            problems.append(f"{specs[field_name].label}: the file has no column '{header}'.")
    for spec in specs.values():
        if spec.required and spec.name not in columns and not defaults.get(spec.name):
            problems.append(f"{spec.label} is required: pick the column that holds it.")
    if "years" in specs and not ({"years", "year_from"} & set(columns)):
        problems.append("Years are required: pick a Years column, or Year from (and Year to).")
    return problems


def require_valid(mapping: Mapping[str, Any], format_name: str, headers: list[str]) -> None:
    """Raise FileProblem listing every mapping problem, with the headers the file has."""
    problems = check_mapping(mapping, format_name, headers)
    if problems:
        found = ", ".join(f"'{h}'" for h in headers if h)
        raise FileProblem(" ".join(problems) + f" Columns in the file: {found}.")


def column_indexes(mapping: Mapping[str, Any], headers: list[str]) -> dict[str, int]:
    """field → position of its header in a row."""
    positions = {header: index for index, header in enumerate(headers)}
    return {f: positions[h] for f, h in (mapping.get("columns") or {}).items() if h in positions}
