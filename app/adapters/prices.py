"""Retailer price providers behind one interface, each guarded the same way.

A provider turns "what do you sell and at what price?" into batches of `PriceQuote`s:
the RevZilla and Rocky Mountain ATV/MC HTTP APIs (configured by base URL, key and rate
limit; the request/response mapping is documented in docs/retailer-providers.md) and
generic CSV/XML datafeeds (a file or a URL). Every outbound call goes through a `Guard`:
a timeout, a few retries with jittered backoff, a rate limit, and the provider's own
circuit breaker, so a provider that is down fails fast instead of piling up timeouts.
Only this module talks HTTP to retailers; it knows nothing about the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import IO, Any, Protocol, cast
from xml.etree import ElementTree

import requests

BATCH = 500
MAX_FEED_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class WantedItem:
    """A listing we already know at a retailer, to refresh by its SKU."""

    sku: str
    mpn: str = ""
    brand: str = ""


@dataclass(frozen=True)
class PriceQuote:
    """One retailer listing as the provider reported it (not yet matched to a part)."""

    sku: str
    url: str
    price: Decimal | None
    currency: str = "USD"
    in_stock: bool | None = None
    mpn: str = ""
    brand: str = ""
    title: str = ""


class ProviderError(Exception):
    """A provider call failed (after its retries); the message is safe to log and show."""


class CircuitOpenError(ProviderError):
    """The breaker is open: the provider was not called at all."""


# --- circuit breaker -----------------------------------------------------------------------


@dataclass
class BreakerState:
    """The persisted part of a breaker (see app.models.retailers.ProviderState)."""

    state: str = "closed"
    failures: int = 0
    opened_at: dt.datetime | None = None
    last_error: str = ""


@dataclass
class CircuitBreaker:
    """closed → (threshold failures in a row) → open → (cooldown) → half_open → one trial:
    success closes it, failure opens it again. `transitions` records what happened, so the
    caller can report an outage once (on opening) instead of once per failed call."""

    state: BreakerState
    threshold: int = 3
    cooldown: float = 900.0
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    transitions: list[str] = field(default_factory=list)

    def allow(self) -> bool:
        if self.state.state == "open":
            opened = self.state.opened_at or self.clock()
            if self.clock() < opened + dt.timedelta(seconds=self.cooldown):
                return False
            self.state.state = "half_open"
            self.transitions.append("half_open")
        return True

    def record_success(self) -> None:
        if self.state.state != "closed":
            self.transitions.append("closed")
        self.state.state = "closed"
        self.state.failures = 0
        self.state.opened_at = None

    def record_failure(self, error: str) -> None:
        self.state.failures += 1
        self.state.last_error = error[:500]
        if self.state.state == "half_open":
            self._open("reopened")
        elif self.state.state == "closed" and self.state.failures >= self.threshold:
            self._open("opened")

    def _open(self, transition: str) -> None:
        self.state.state = "open"
        self.state.opened_at = self.clock()
        self.transitions.append(transition)


# --- rate limit, retries -----------------------------------------------------------------


class RateLimiter:
    """At most `rate` calls per second (evenly spaced) for one provider."""

    def __init__(self, rate: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            self.sleep(wait)


@dataclass
class Guard:
    """How every call to one provider is made: breaker, rate limit, timeout, retries."""

    breaker: CircuitBreaker
    limiter: RateLimiter
    timeout: float = 10.0
    retries: int = 2
    backoff: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    http: requests.Session = field(default_factory=requests.Session)

    def call(self, attempt: Callable[[], Any]) -> Any:
        """Run `attempt` (one HTTP exchange) with retries; one failure counts per call."""
        if not self.breaker.allow():
            raise CircuitOpenError(f"circuit open: {self.breaker.state.last_error}")
        error = ""
        for number in range(self.retries + 1):
            self.limiter.acquire()
            try:
                result = attempt()
            except _Retryable as exc:
                error = str(exc)
            except ProviderError as exc:  # permanent (4xx, unreadable data): no retry
                self.breaker.record_failure(str(exc))
                raise
            else:
                self.breaker.record_success()
                return result
            if number < self.retries:
                # Full jitter: many workers retrying never line up on the same instant.
                self.sleep(self.rng.uniform(0, self.backoff * 2**number))
        self.breaker.record_failure(error)
        raise ProviderError(error)

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        """One GET with the guard's timeout; 429/5xx/network errors are retried."""
        try:
            response = self.http.get(url, timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            raise _Retryable(f"timeout after {self.timeout:g}s") from exc
        except requests.RequestException as exc:
            raise _Retryable(f"network error: {type(exc).__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            response.close()
            raise _Retryable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            response.close()
            raise ProviderError(f"HTTP {response.status_code}")
        return response


class _Retryable(Exception):
    """A transient failure inside one attempt."""


# --- providers -----------------------------------------------------------------------------


class PriceProvider(Protocol):
    """Yields batches of quotes for one retailer."""

    key: str  # the breaker's name ("revzilla-api", "revzilla-feed")
    retailer_slug: str
    uses_wanted: bool  # True: refreshes the SKUs we know; False: lists everything it sells

    def fetch(self, wanted: Sequence[WantedItem], guard: Guard) -> Iterator[list[PriceQuote]]: ...


@dataclass
class RevZillaProvider:
    """RevZilla's partner API: GET {base}/v1/products?sku=A,B (Bearer key), 50 per call."""

    base_url: str
    api_key: str
    retailer_slug: str = "revzilla"
    key: str = "revzilla-api"
    per_request: int = 50
    uses_wanted: bool = True

    def fetch(self, wanted: Sequence[WantedItem], guard: Guard) -> Iterator[list[PriceQuote]]:
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        for chunk in _chunks([item.sku for item in wanted], self.per_request):
            body = guard.call(
                partial(
                    _get_json,
                    guard,
                    f"{self.base_url.rstrip('/')}/v1/products",
                    {"sku": ",".join(chunk)},
                    headers,
                )
            )
            yield [
                PriceQuote(
                    sku=str(product.get("sku") or ""),
                    url=str(product.get("url") or ""),
                    price=parse_price((product.get("price") or {}).get("amount")),
                    currency=str((product.get("price") or {}).get("currency") or "USD"),
                    in_stock=parse_stock(product.get("availability")),
                    mpn=str(product.get("mpn") or ""),
                    brand=str(product.get("brand") or ""),
                    title=str(product.get("name") or ""),
                )
                for product in _list(body, "products")
            ]


@dataclass
class RockyMountainProvider:
    """Rocky Mountain ATV/MC's partner API: GET {base}/api/v1/items?item_numbers=A,B
    (X-Api-Key header), 50 per call."""

    base_url: str
    api_key: str
    retailer_slug: str = "rocky-mountain-atv-mc"
    key: str = "rocky-mountain-atv-mc-api"
    per_request: int = 50
    uses_wanted: bool = True

    def fetch(self, wanted: Sequence[WantedItem], guard: Guard) -> Iterator[list[PriceQuote]]:
        headers = {"X-Api-Key": self.api_key, "Accept": "application/json"}
        for chunk in _chunks([item.sku for item in wanted], self.per_request):
            body = guard.call(
                partial(
                    _get_json,
                    guard,
                    f"{self.base_url.rstrip('/')}/api/v1/items",
                    {"item_numbers": ",".join(chunk)},
                    headers,
                )
            )
            yield [
                PriceQuote(
                    sku=str(item.get("item_number") or ""),
                    url=str(item.get("product_url") or ""),
                    price=parse_price(item.get("price")),
                    currency=str(item.get("currency_code") or "USD"),
                    in_stock=parse_stock(item.get("in_stock")),
                    mpn=str(item.get("manufacturer_part_number") or ""),
                    brand=str(item.get("brand") or ""),
                    title=str(item.get("description") or ""),
                )
                for item in _list(body, "items")
            ]


@dataclass
class DatafeedProvider:
    """A retailer's or affiliate network's product feed: CSV or XML, a file or a URL."""

    retailer_slug: str
    location: str  # a path (relative to `root`) or an http(s) URL
    root: Path = Path()
    key: str = ""
    uses_wanted: bool = False

    def __post_init__(self) -> None:
        self.key = self.key or f"{self.retailer_slug}-feed"

    def fetch(self, wanted: Sequence[WantedItem], guard: Guard) -> Iterator[list[PriceQuote]]:
        if _is_url(self.location):
            raw = guard.call(lambda: self._download(guard))
        else:
            raw = guard.call(self._read_file)
        rows = _xml_rows(raw) if _looks_like_xml(self.location, raw) else _csv_rows(raw)
        batch: list[PriceQuote] = []
        for row in rows:
            quote = quote_from_row(row)
            if quote is not None:
                batch.append(quote)
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    def _read_file(self) -> bytes:
        path = Path(self.location)
        path = path if path.is_absolute() else self.root / path
        try:
            with path.open("rb") as handle:
                return _read_limited(handle)
        except OSError as exc:
            raise ProviderError(f"feed file unreadable: {path.name}: {exc.strerror}") from exc

    def _download(self, guard: Guard) -> bytes:
        """Streamed with a size cap; the guard's timeout applies to connecting and each read."""
        try:
            with guard.http.get(self.location, stream=True, timeout=guard.timeout) as response:
                if response.status_code == 429 or response.status_code >= 500:
                    raise _Retryable(f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise ProviderError(f"HTTP {response.status_code}")
                return _read_limited(cast(IO[bytes], response.raw))
        except requests.Timeout as exc:
            raise _Retryable("timeout") from exc
        except requests.RequestException as exc:
            raise _Retryable(f"network error: {type(exc).__name__}") from exc


# --- feed parsing --------------------------------------------------------------------------

# Header spellings seen in retailer and affiliate-network feeds → our field names.
FIELD_ALIASES: Mapping[str, tuple[str, ...]] = {
    "sku": ("sku", "merchantsku", "productsku", "itemnumber", "itemno", "productid", "id"),
    "mpn": ("mpn", "manufacturerpartnumber", "mfrpartnumber", "partnumber", "mfgpartnumber"),
    "brand": ("brand", "brandname", "manufacturer", "manufacturername"),
    "price": ("price", "saleprice", "retailprice", "currentprice", "priceamount"),
    "currency": ("currency", "currencycode", "pricecurrency"),
    "in_stock": ("instock", "availability", "stock", "stockstatus", "qtyavailable", "quantity"),
    "url": ("url", "producturl", "buylink", "link", "deeplink", "productlink"),
    "title": ("title", "name", "productname", "description"),
}
_ALIAS_TO_FIELD = {alias: name for name, aliases in FIELD_ALIASES.items() for alias in aliases}


def _header_key(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def quote_from_row(row: Mapping[str, Any]) -> PriceQuote | None:
    """Map a feed row (any header spelling above) to a quote; None without SKU or URL."""
    fields: dict[str, str] = {}
    for header, value in row.items():
        name = _ALIAS_TO_FIELD.get(_header_key(str(header or "")))
        if name and name not in fields and value is not None:
            fields[name] = str(value).strip()
    if not fields.get("sku") or not fields.get("url"):
        return None
    currency = (fields.get("currency") or "USD").upper()
    return PriceQuote(
        sku=fields["sku"][:80],
        url=fields["url"][:1000],
        price=parse_price(fields.get("price")),
        currency=currency if re.fullmatch(r"[A-Z]{3}", currency) else "USD",
        in_stock=parse_stock(fields.get("in_stock")),
        mpn=fields.get("mpn", "")[:80],
        brand=fields.get("brand", "")[:120],
        title=fields.get("title", "")[:300],
    )


def parse_price(value: Any) -> Decimal | None:
    """'$1,234.50', '12.3 USD', 12.3 → Decimal; anything else (or negative) → None."""
    if value is None or isinstance(value, bool):
        return None
    text = re.sub(r"[^0-9.\-]", "", str(value).replace(",", ""))
    try:
        price = Decimal(text).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    return price if Decimal(0) <= price < Decimal("100000000") else None


_IN = {"instock", "yes", "true", "1", "available", "y", "in"}
_OUT = {"outofstock", "no", "false", "0", "oos", "soldout", "discontinued", "n", "unavailable"}


def parse_stock(value: Any) -> bool | None:
    """True / False / None (unknown) from the many ways feeds say it."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value > 0
    key = re.sub(r"[^a-z0-9]", "", str(value or "").lower())
    if key in _IN:
        return True
    if key in _OUT:
        return False
    if key.isdigit():
        return int(key) > 0
    return None


def _csv_rows(raw: bytes) -> Iterator[dict[str, str]]:
    text = raw.decode("utf-8-sig", errors="replace")
    yield from csv.DictReader(io.StringIO(text, newline=""))


def _xml_rows(raw: bytes) -> Iterator[dict[str, str]]:
    """<products><product><sku>…</sku>…</product></products> (any record/field names)."""
    head = raw[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in head:
        raise ProviderError("XML feeds with a DOCTYPE/ENTITY are refused")
    try:
        # S314: the DOCTYPE/ENTITY refusal above closes entity expansion; no DTD is loaded.
        root = ElementTree.fromstring(raw)  # noqa: S314
    except ElementTree.ParseError as exc:
        raise ProviderError(f"feed is not valid XML: {exc}") from exc
    for record in root:
        yield {child.tag: (child.text or "") for child in record}


def _looks_like_xml(location: str, raw: bytes) -> bool:
    return location.lower().split("?")[0].endswith(".xml") or raw.lstrip()[:1] == b"<"


def _read_limited(handle: IO[bytes]) -> bytes:
    data = handle.read(MAX_FEED_BYTES + 1)
    if len(data) > MAX_FEED_BYTES:
        raise ProviderError(f"feed larger than {MAX_FEED_BYTES // (1024 * 1024)} MB")
    return data


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def _get_json(guard: Guard, url: str, params: dict[str, str], headers: dict[str, str]) -> Any:
    """One guarded GET returning JSON; a body that is not JSON counts as a transient error."""
    response = guard.get(url, params=params, headers=headers)
    try:
        return response.json()
    except ValueError as exc:
        raise _Retryable("response was not JSON") from exc


def _list(body: Any, key: str) -> list[dict[str, Any]]:
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ProviderError(f"unexpected response: no '{key}' list")
    return [item for item in items if isinstance(item, dict)]


def _chunks(values: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


# --- configuration -------------------------------------------------------------------------


def parse_feeds(value: str) -> list[tuple[str, str]]:
    """RETAILER_FEEDS: "slug=path-or-url,slug=…" → [(slug, location)]."""
    feeds: list[tuple[str, str]] = []
    for entry in value.split(","):
        slug, sep, location = entry.strip().partition("=")
        if sep and slug.strip() and location.strip():
            feeds.append((slug.strip(), location.strip()))
    return feeds


def from_config(config: Mapping[str, Any], root: Path) -> list[PriceProvider]:
    """The configured providers: an HTTP API where its URL is set, plus every datafeed."""
    providers: list[PriceProvider] = []
    if config.get("RETAILER_REVZILLA_URL"):
        providers.append(
            RevZillaProvider(
                base_url=str(config["RETAILER_REVZILLA_URL"]),
                api_key=str(config.get("RETAILER_REVZILLA_KEY") or ""),
            )
        )
    if config.get("RETAILER_ROCKYMOUNTAIN_URL"):
        providers.append(
            RockyMountainProvider(
                base_url=str(config["RETAILER_ROCKYMOUNTAIN_URL"]),
                api_key=str(config.get("RETAILER_ROCKYMOUNTAIN_KEY") or ""),
            )
        )
    for slug, location in parse_feeds(str(config.get("RETAILER_FEEDS") or "")):
        providers.append(DatafeedProvider(retailer_slug=slug, location=location, root=root))
    return providers


def rate_for(config: Mapping[str, Any], provider: PriceProvider) -> float:
    """Requests per second allowed for a provider (feeds: one download, no limit needed)."""
    if isinstance(provider, RevZillaProvider):
        return float(config.get("RETAILER_REVZILLA_RATE", 2.0))
    if isinstance(provider, RockyMountainProvider):
        return float(config.get("RETAILER_ROCKYMOUNTAIN_RATE", 2.0))
    return 0.0
