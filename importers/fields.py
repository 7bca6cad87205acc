"""Cell normalizers shared by every format: names, MPNs, positions, quantities, markets, prices.

Each returns the clean value or raises FieldError with a reason a person can act on. They
are pure and cheap; the format modules cache them per distinct raw value.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from app.models.fitments import POSITIONS
from app.services.names import clean_display, mpn_key, name_key, slugify

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

NAME_LIMITS = {"brand": 120, "make": 120, "model": 160}
MPN_LIMIT = 80
TITLE_LIMIT = 300
NOTE_LIMIT = 500
VARIANT_LIMIT = 60
SKU_LIMIT = 80
URL_LIMIT = 1000
MAX_QTY = 999

_MPN_KEY_OK = re.compile(r"^[!-~]+$")  # printable ASCII: what upper() agrees on everywhere
_MARKET_OK = re.compile(r"^[A-Z0-9]{1,8}$")
_PRICE_CLEAN = re.compile(r"[^\d.,\-]")
_GTIN_OK = re.compile(r"^[0-9]{8,14}$")
_URL_OK = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

POSITION_SYNONYMS = {
    "": "",
    "na": "",
    "none": "",
    "any": "",
    "front": "front",
    "f": "front",
    "frt": "front",
    "fr": "front",
    "rear": "rear",
    "back": "rear",
    "rr": "rear",
    "left": "left",
    "l": "left",
    "lh": "left",
    "lefthand": "left",
    "leftside": "left",
    "right": "right",
    "rh": "right",
    "righthand": "right",
    "rightside": "right",
    "pair": "pair",
    "pr": "pair",
    "both": "pair",
    "set": "set",
    "kit": "set",
}
MARKET_SYNONYMS = {
    "USA": "US",
    "UNITEDSTATES": "US",
    "EUROPE": "EU",
    "EUR": "EU",
    "GB": "UK",
    "CANADA": "CA",
    "AUSTRALIA": "AU",
    "JAPAN": "JP",
}
CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
TRUE_WORDS = frozenset({"1", "y", "yes", "true", "instock", "in", "available", "t"})
FALSE_WORDS = frozenset(
    {"0", "n", "no", "false", "outofstock", "out", "unavailable", "soldout", "f", "backorder"}
)


class FieldError(ValueError):
    """A cell that cannot be used; the message says why."""


def unguard(value: str) -> str:
    """Undo our own export's formula guard: "'=x" → "=x" (so exports round-trip)."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_PREFIXES:
        return value[1:]
    return value


def text(value: str) -> str:
    """A free-text cell as stored: guard removed, trimmed, spaces collapsed, NFC."""
    return clean_display(unguard(value))


def entity_name(value: str, kind: str) -> tuple[str, str, str]:
    """(display, key, slug) for a make/model/brand; the key is what matching uses."""
    display = text(value)
    if not display:
        raise FieldError(f"{kind} is missing")
    if len(display) > NAME_LIMITS[kind]:
        raise FieldError(f"{kind} is longer than {NAME_LIMITS[kind]} characters")
    key = name_key(display)
    if not key:
        raise FieldError(f"{kind} '{display}' has no letters or digits we can match on")
    return display, key, slugify(display)


def part_number(value: str) -> tuple[str, str]:
    """(mpn as written, normalized key)."""
    mpn = text(value)
    if not mpn:
        raise FieldError("MPN is missing")
    if len(mpn) > MPN_LIMIT:
        raise FieldError(f"MPN is longer than {MPN_LIMIT} characters")
    key = mpn_key(mpn)
    if not key:
        raise FieldError(f"MPN '{mpn}' has no letters or digits")
    if not _MPN_KEY_OK.match(key):
        raise FieldError(f"MPN '{mpn}' has characters other than letters, digits and punctuation")
    return mpn, key


def position(value: str) -> str:
    """front/rear/left/right/pair/set, or "" when the row names none."""
    key = name_key(unguard(value))
    if key in POSITION_SYNONYMS:
        return POSITION_SYNONYMS[key]
    allowed = ", ".join(p for p in POSITIONS if p)
    raise FieldError(f"position '{text(value)}' is not one of {allowed} (or empty)")


def quantity(value: str) -> int | None:
    """A whole number 1..999; None when empty (the row has no opinion)."""
    cleaned = text(value)
    if not cleaned:
        return None
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise FieldError(f"quantity '{cleaned}' is not a number") from None
    if number != number.to_integral_value() or not 1 <= number <= MAX_QTY:
        raise FieldError(f"quantity '{cleaned}' is not a whole number from 1 to {MAX_QTY}")
    return int(number)


def market(value: str) -> str:
    """An upper-case market code (US, EU, …) or ""."""
    cleaned = name_key(unguard(value)).upper()
    cleaned = MARKET_SYNONYMS.get(cleaned, cleaned)
    if cleaned and not _MARKET_OK.match(cleaned):
        raise FieldError(f"market '{text(value)}' is not a short code such as US or EU")
    return cleaned


def variant(value: str) -> str:
    """A variant/submodel label ("ABS", "SE") or ""."""
    cleaned = text(value)
    if len(cleaned) > VARIANT_LIMIT:
        raise FieldError(f"variant is longer than {VARIANT_LIMIT} characters")
    return cleaned


def clipped(value: str, limit: int, what: str) -> tuple[str, str]:
    """(text, warning): long free text is cut to the column's size, with a warning."""
    cleaned = text(value)
    if len(cleaned) <= limit:
        return cleaned, ""
    return cleaned[:limit].rstrip(), f"{what} is {len(cleaned)} characters; kept the first {limit}"


def price(value: str) -> tuple[Decimal | None, str]:
    """(amount, currency from a symbol or code in the cell, else "")."""
    cleaned = text(value)
    if not cleaned:
        return None, ""
    currency = next((code for sym, code in CURRENCY_SYMBOLS.items() if sym in cleaned), "")
    code = re.search(r"\b([A-Z]{3})\b", cleaned.upper())
    if code and code.group(1) not in {"N", "NA"}:
        currency = code.group(1)
    digits = _PRICE_CLEAN.sub("", cleaned)
    if "," in digits and "." in digits:
        # The separator that comes last is the decimal one: 1,299.99 and 1.299,99.
        thousands = "," if digits.rfind(",") < digits.rfind(".") else "."
        digits = digits.replace(thousands, "")
    if "," in digits:
        head, _, tail = digits.rpartition(",")
        digits = (
            f"{head.replace(',', '')}.{tail}" if len(tail) in (1, 2) else digits.replace(",", "")
        )
    try:
        amount = Decimal(digits)
    except InvalidOperation:
        raise FieldError(f"price '{cleaned}' is not an amount") from None
    if amount < 0 or amount >= Decimal("100000000"):
        raise FieldError(f"price '{cleaned}' is out of range")
    return amount.quantize(Decimal("0.01")), currency


def currency(value: str) -> str:
    """A three-letter ISO code, upper case, or ""."""
    cleaned = text(value).upper()
    cleaned = CURRENCY_SYMBOLS.get(cleaned, cleaned)
    if cleaned and not re.fullmatch(r"[A-Z]{3}", cleaned):
        raise FieldError(f"currency '{cleaned}' is not a three-letter code such as USD")
    return cleaned


def in_stock(value: str) -> bool | None:
    """True/False from the many ways feeds say it (a stock count counts); None when empty."""
    key = name_key(unguard(value))
    if not key:
        return None
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    if key.isdigit():
        return int(key) > 0
    raise FieldError(f"stock '{text(value)}' is not yes/no, in stock/out of stock or a count")


def url(value: str, what: str) -> str:
    """An http(s) URL, or "" when empty."""
    cleaned = text(value)
    if not cleaned:
        return ""
    if len(cleaned) > URL_LIMIT or not _URL_OK.match(cleaned):
        raise FieldError(f"{what} '{cleaned[:80]}' is not an http(s) link")
    return cleaned


def gtin(value: str) -> str:
    """8-14 digits (UPC/EAN/GTIN), or "" when empty."""
    cleaned = re.sub(r"[\s-]", "", text(value))
    if cleaned.endswith(".0"):
        cleaned = cleaned[:-2]
    if not cleaned:
        return ""
    if not _GTIN_OK.match(cleaned):
        raise FieldError(f"GTIN '{cleaned}' is not 8 to 14 digits")
    return cleaned
