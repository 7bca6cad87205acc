"""Cell normalizers: names, MPNs, positions, quantities, markets, prices, stock, links."""

from __future__ import annotations

from decimal import Decimal

import pytest

from importers import fields
from importers.fields import FieldError


def test_names_keep_display_and_fold_for_matching() -> None:
    assert fields.entity_name("  Zündapp   Werke ", "make") == (
        "Zündapp Werke",
        "zundappwerke",
        "zundapp-werke",
    )
    assert (
        fields.entity_name("HARLEY  DAVIDSON", "make")[1]
        == fields.entity_name("Harley-Davidson", "make")[1]
    )
    with pytest.raises(FieldError, match="make is missing"):
        fields.entity_name("  ", "make")
    with pytest.raises(FieldError, match="no letters or digits"):
        fields.entity_name("???", "brand")
    with pytest.raises(FieldError, match="longer than 160"):
        fields.entity_name("x" * 161, "model")


def test_mpn_key_drops_case_spaces_dashes_dots_and_slashes_and_keeps_the_original() -> None:
    assert fields.part_number(" cm-44.01/b ") == ("cm-44.01/b", "CM4401B")
    assert fields.part_number("CM 4401B")[1] == "CM4401B"
    with pytest.raises(FieldError, match="MPN is missing"):
        fields.part_number("")
    with pytest.raises(FieldError, match="no letters or digits"):
        fields.part_number(" - . ")
    with pytest.raises(FieldError, match="characters other than"):
        fields.part_number("ÄB-12")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("Front", "front"),
        ("FRT", "front"),
        ("rear", "rear"),
        ("RH", "right"),
        ("left hand", "left"),
        ("PR", "pair"),
        ("kit", "set"),
        ("n/a", ""),
    ],
)
def test_positions(raw: str, expected: str) -> None:
    assert fields.position(raw) == expected


def test_unknown_position_lists_the_allowed_ones() -> None:
    with pytest.raises(FieldError, match="front, rear, left, right, pair, set"):
        fields.position("sideways")


def test_quantities() -> None:
    assert fields.quantity("") is None
    assert fields.quantity("2") == 2
    assert fields.quantity("2.0") == 2
    for bad in ("0", "1000", "1.5", "two", "-1"):
        with pytest.raises(FieldError):
            fields.quantity(bad)


def test_markets_and_variants() -> None:
    assert fields.market("usa") == "US"
    assert fields.market("eu") == "EU"
    assert fields.market("") == ""
    with pytest.raises(FieldError, match="short code"):
        fields.market("Rest of the world")
    assert fields.variant("  ABS   SE ") == "ABS SE"


@pytest.mark.parametrize(
    ("raw", "amount", "currency"),
    [
        ("$1,299.99", Decimal("1299.99"), "USD"),
        ("1.299,99 €", Decimal("1299.99"), "EUR"),
        ("54.5", Decimal("54.50"), ""),
        ("12,5", Decimal("12.50"), ""),
        ("89.00 GBP", Decimal("89.00"), "GBP"),
    ],
)
def test_prices(raw: str, amount: Decimal, currency: str) -> None:
    assert fields.price(raw) == (amount, currency)


def test_bad_prices_and_currencies() -> None:
    with pytest.raises(FieldError, match="not an amount"):
        fields.price("call us")
    with pytest.raises(FieldError, match="three-letter"):
        fields.currency("dollars")


def test_stock_words_and_counts() -> None:
    assert fields.in_stock("In Stock") is True
    assert fields.in_stock("out of stock") is False
    assert fields.in_stock("12") is True
    assert fields.in_stock("0") is False
    assert fields.in_stock("") is None
    with pytest.raises(FieldError):
        fields.in_stock("maybe")


def test_links_and_gtins() -> None:
    assert fields.url("https://www.revzilla.com/p/1", "buy link") == "https://www.revzilla.com/p/1"
    for bad in ("javascript:alert(1)", "ftp://x/y", "www.example.com"):
        with pytest.raises(FieldError, match="not an http"):
            fields.url(bad, "buy link")
    assert fields.gtin("0 12345-67890 5") == "012345678905"
    with pytest.raises(FieldError):
        fields.gtin("12345")


def test_export_guard_is_undone_on_import() -> None:
    assert fields.text("'=1+1") == "=1+1"
    assert fields.text("'-R123") == "-R123"
    assert fields.text("'plain") == "'plain"


def test_long_text_is_clipped_with_a_warning() -> None:
    text, warning = fields.clipped("x" * 600, 500, "note")
    assert len(text) == 500 and "kept the first 500" in warning
