"""Name normalization shared by imports, dedup and URLs: matching keys, slugs, MPN keys."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[^0-9a-z]+")
_MPN_STRIP = re.compile(r"[\s./\-]+")
_SPACES = re.compile(r"\s+")


def clean_display(value: str) -> str:
    """Trim, collapse inner whitespace and NFC-normalize: what we store and show."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def fold(value: str) -> str:
    """Case- and accent-fold for matching only (Zündapp → zundapp)."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_key(value: str) -> str:
    """Matching key: folded, separators removed ("Harley Davidson" == "harley-davidson")."""
    return _SEPARATORS.sub("", fold(value))


def slugify(value: str) -> str:
    """URL slug: folded words joined by single dashes ("Ninja ZX-10R" → "ninja-zx-10r")."""
    return _SEPARATORS.sub("-", fold(value)).strip("-") or "x"


def mpn_key(value: str) -> str:
    """Part-number key: upper case, no spaces, dashes, dots or slashes ("cm 4401" → "CM4401")."""
    return _MPN_STRIP.sub("", unicodedata.normalize("NFKC", value)).upper()
