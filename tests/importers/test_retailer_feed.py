"""Retailer datafeeds (AvantLink-style) → offer rows."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from importers.mapping import auto_map
from importers.readers import inspect
from importers.sources import open_source

Write = Callable[..., Path]
HEADER = (
    "SKU|Product Name|Brand Name|Manufacturer Id|UPC|Retail Price|Sale Price|Buy Link|"
    "Image URL|In Stock\n"
)


def load(path: Path) -> Any:
    info = inspect(path)
    source = open_source(
        path, "retailer_feed", auto_map(info.headers, "retailer_feed"), this_year=2026, info=info
    )
    return list(source.rows()), source.entities()


def test_offer_rows_take_the_sale_price_and_normalize_keys(write: Write) -> None:
    rows, entities = load(
        write(
            HEADER
            + "RZ-1|EBC Pads|EBC Brakes|fa-390hh||$54.99|$49.99|https://www.revzilla.com/p/1|https://img.example/1.jpg|Yes\n"
            + "RZ-2|Oil filter|HiFlo|HF204|012345678905|12.50||https://www.revzilla.com/p/2||0\n"
        )
    )
    assert [(r[2], r[3], r[4], r[5], r[7], r[8], r[11]) for r in rows] == [
        ("RZ-1", 1, "FA390HH", None, Decimal("49.99"), "USD", True),
        ("RZ-2", 2, "HF204", "012345678905", Decimal("12.50"), "USD", False),
    ]
    assert [b[2] for b in entities.brands] == ["EBC Brakes", "HiFlo"]


def test_bad_feed_rows_list_every_problem(write: Write) -> None:
    rows, _ = load(write(HEADER + "|x|EBC|||abc||javascript:alert(1)||maybe\n"))
    assert sorted(r[14] for r in rows) == sorted(
        [
            "SKU is missing",
            "needs an MPN or a GTIN to find the part",
            "price 'abc' is not an amount",
            "buy link 'javascript:alert(1)' is not an http(s) link",
            "stock 'maybe' is not yes/no, in stock/out of stock or a count",
        ]
    )
