"""Retailer datafeeds (AvantLink-style): SKU, product name, brand, MPN, prices, buy link, stock.

Rows become offers of the retailer named as the batch's source, matched to parts by brand
+ normalized MPN, then GTIN, in SQL. Rows that match no part are reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from app.services.imports.staging import Entities, Row
from importers import fields
from importers.base import FileSource
from importers.fields import FieldError

CELLS = (
    "sku",
    "title",
    "brand",
    "mpn",
    "gtin",
    "retail_price",
    "sale_price",
    "currency",
    "url",
    "image_url",
    "stock",
)
DEFAULT_CURRENCY = "USD"


class RetailerFeed(FileSource):
    """Rows → offer rows (sku, part keys, price, currency, link, stock)."""

    format = "retailer_feed"
    width = 16

    def entities(self) -> Entities:
        """Only brands: a feed matches existing parts and never creates catalog entries."""
        return self.collector.entities(only_used=False)

    def _issue(self, line_no: int, raw: str, field: str, value: str, reason: str) -> Row:
        column = self.labels.get(field, field)
        return (line_no, raw, *([None] * 10), column, value[:500], reason, "error")

    def rows(self) -> Iterator[Row]:
        get = self.getter(CELLS)
        for line_no, raw, cells in self.records():
            bad = self.ragged(line_no, raw, cells)
            if bad:
                yield bad
                continue
            yield from self._row(line_no, raw, get(cells))

    def _row(self, line_no: int, raw: str, cells: list[str]) -> list[Row]:
        sku_raw, title, brand, mpn, gtin_raw, retail, sale, currency_raw, link, image, stock = cells
        problems: list[Row] = []

        def attempt(field: str, value: str, parse: object) -> object:
            try:
                return parse()  # type: ignore[operator]
            except FieldError as exc:
                problems.append(self._issue(line_no, raw, field, value, str(exc)))
                return None

        sku = fields.text(sku_raw)
        if not sku:
            problems.append(self._issue(line_no, raw, "sku", sku_raw, "SKU is missing"))
        elif len(sku) > fields.SKU_LIMIT:
            problems.append(
                self._issue(line_no, raw, "sku", sku_raw, f"SKU is longer than {fields.SKU_LIMIT}")
            )
        brand_ref = attempt("brand", brand, lambda: self.collector.brand_ref(brand, line_no))
        key = ""
        if fields.text(mpn):
            parsed = attempt("mpn", mpn, lambda: fields.part_number(mpn))
            key = parsed[1] if isinstance(parsed, tuple) else ""
        gtin = attempt("gtin", gtin_raw, lambda: fields.gtin(gtin_raw)) or ""
        if not fields.text(mpn) and not gtin and not fields.text(gtin_raw):
            problems.append(
                self._issue(line_no, raw, "mpn", mpn, "needs an MPN or a GTIN to find the part")
            )
        retail_price = attempt("retail_price", retail, lambda: fields.price(retail))
        sale_price = attempt("sale_price", sale, lambda: fields.price(sale))
        currency = attempt("currency", currency_raw, lambda: fields.currency(currency_raw))
        url = attempt("url", link, lambda: fields.url(link, "buy link"))
        if url == "":
            problems.append(self._issue(line_no, raw, "url", link, "buy link is missing"))
        image_url = attempt("image_url", image, lambda: fields.url(image, "image URL"))
        in_stock = attempt("stock", stock, lambda: fields.in_stock(stock))
        if problems:
            return problems
        amount, symbol = _pick_price(retail_price, sale_price)
        title_clean, warning = fields.clipped(title, fields.TITLE_LIMIT, "product name")
        row: Row = (
            line_no,
            raw,
            sku,
            brand_ref,
            key or None,
            gtin or None,
            title_clean,
            amount,
            str(currency or symbol or DEFAULT_CURRENCY),
            url,
            image_url or None,
            in_stock,
            None,
            None,
            None,
            None,
        )
        if warning:
            warn = self._issue(line_no, raw, "title", title, warning)
            return [(*warn[:-1], "warning"), row]
        return [row]


def _pick_price(retail: object, sale: object) -> tuple[Decimal | None, str]:
    """The sale price when there is one above zero, else the retail price."""
    for candidate in (sale, retail):
        if isinstance(candidate, tuple) and candidate[0] is not None and candidate[0] > 0:
            return candidate[0], candidate[1]
    return None, ""
