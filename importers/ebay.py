"""eBay's compatibility layout: an item row (SKU, Brand, MPN, Title), then its
`Relationship=Compatibility` rows whose `RelationshipDetails` read
`Year=2017-2020|Make=Yamaha|Model=MT-09|Notes=Non-ABS`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from app.services.imports.staging import Row
from app.services.names import name_key
from importers.base import FileSource
from importers.collect import Claim

CELLS = ("relationship", "relationship_details", "brand", "mpn", "title", "category", "sku")
DETAIL_FIELDS = {
    "year": "years",
    "years": "years",
    "make": "make",
    "model": "model",
    "submodel": "variant",
    "trim": "variant",
    "variant": "variant",
    "notes": "note",
    "note": "note",
    "position": "position",
    "placement": "position",
    "market": "market",
    "region": "market",
}


@dataclass(frozen=True, slots=True)
class Item:
    """The listing the compatibility rows below it belong to."""

    line_no: int
    brand: str
    mpn: str
    title: str
    category: str


def parse_details(details: str) -> dict[str, str]:
    """`Year=2017-2020|Make=Yamaha|Model=MT-09|Notes=Non-ABS` → field → value.

    Keys are case-insensitive; unknown keys (Engine=…) are kept in the note so nothing a
    vendor said is lost; repeated variant keys (Submodel, Trim) are joined.
    """
    found: dict[str, str] = {}
    extra: list[str] = []
    for part in details.split("|"):
        key, sep, value = part.partition("=")
        if not sep:
            if part.strip():
                extra.append(part.strip())
            continue
        value = value.strip()
        target = DETAIL_FIELDS.get(name_key(key))
        if target is None:
            if value:
                extra.append(f"{key.strip()}: {value}")
        elif target in found and value:
            found[target] = f"{found[target]} {value}"
        elif value:
            found[target] = value
    if extra:
        found["note"] = "; ".join(filter(None, [found.get("note", ""), *extra]))
    return found


class EbayCompatibility(FileSource):
    """Item rows set the part; compatibility rows claim a vehicle span for it."""

    format = "ebay"

    def _issue(self, line_no: int, raw: str, field: str, value: str, reason: str) -> Row:
        return (
            line_no,
            raw,
            None,
            None,
            None,
            None,
            None,
            self.labels[field],
            value,
            reason,
            "error",
        )

    def rows(self) -> Iterator[Row]:
        get = self.getter(CELLS)
        fitment = self.collector.fitment
        item: Item | None = None
        for line_no, raw, cells in self.records():
            bad = self.ragged(line_no, raw, cells)
            if bad:
                yield bad
                continue
            relationship, details, brand, mpn, title, category, _sku = get(cells)
            kind = name_key(relationship)
            if not kind:
                item = Item(line_no, brand, mpn, title, category)
                continue
            if kind != "compatibility":
                reason = f"relationship '{relationship.strip()}' is not Compatibility; row skipped"
                yield (
                    *self._issue(line_no, raw, "relationship", relationship, reason)[:-1],
                    "warning",
                )
                continue
            if item is None:
                yield self._issue(
                    line_no,
                    raw,
                    "relationship",
                    relationship,
                    "a compatibility row needs its item row (SKU, brand, MPN) above it",
                )
                continue
            parsed = parse_details(details)
            if not parsed:
                yield self._issue(
                    line_no,
                    raw,
                    "relationship_details",
                    details,
                    "RelationshipDetails is empty (expected Year=…|Make=…|Model=…)",
                )
                continue
            claim = Claim(
                item.brand,
                item.mpn,
                item.title,
                item.category,
                parsed.get("make", ""),
                parsed.get("model", ""),
                parsed.get("years", ""),
                None,
                parsed.get("variant", ""),
                parsed.get("market", ""),
                parsed.get("position", ""),
                "",
                parsed.get("note", ""),
            )
            yield from fitment(line_no, raw, claim)
