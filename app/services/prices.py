"""Retailer price refresh: ask every provider at once, cache what they say as offers.

Runs in the worker only (pages read cached offers, never a provider). Each provider runs
in its own thread behind its own circuit breaker, and its batches are written as they
arrive, so a slow or failing provider never delays the others. Offers keep `fetched_at`:
when a provider is down its offers keep their last price and age, and the site says so.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.adapters.prices import (
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    Guard,
    PriceProvider,
    PriceQuote,
    RateLimiter,
    WantedItem,
)
from app.models.aliases import BrandAlias
from app.models.base import utcnow
from app.models.brands import Brand
from app.models.parts import Part
from app.models.retailers import Offer, ProviderState, Retailer
from app.services.names import mpn_key, name_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshSettings:
    """Timeouts, retries and breaker thresholds shared by every provider."""

    timeout: float = 10.0
    retries: int = 2
    breaker_threshold: int = 3
    breaker_cooldown: float = 900.0
    backoff: float = 0.5
    rates: Mapping[str, float] = field(default_factory=dict)  # provider key → requests/s

    @classmethod
    def from_config(cls, config: Mapping[str, Any], rates: Mapping[str, float]) -> RefreshSettings:
        return cls(
            timeout=float(config.get("RETAILER_TIMEOUT_SECONDS", 10)),
            retries=int(config.get("RETAILER_RETRIES", 2)),
            breaker_threshold=int(config.get("RETAILER_BREAKER_THRESHOLD", 3)),
            breaker_cooldown=float(config.get("RETAILER_BREAKER_COOLDOWN_SECONDS", 900)),
            rates=dict(rates),
        )


@dataclass
class ProviderReport:
    """What one provider's refresh did."""

    provider: str
    retailer: str
    outcome: str = "ok"  # ok | failed | skipped (breaker open) | no_retailer
    counts: dict[str, int] = field(
        default_factory=lambda: {"received": 0, "updated": 0, "unmatched": 0, "rejected": 0}
    )
    error: str = ""
    transitions: list[str] = field(default_factory=list)


def is_stale(fetched_at: dt.datetime, *, hours: int, now: dt.datetime | None = None) -> bool:
    """True when a cached price is older than RETAILER_STALE_HOURS (the site marks it)."""
    return (now or utcnow()) - fetched_at > dt.timedelta(hours=hours)


def refresh_prices(
    session: Session,
    providers: Sequence[PriceProvider],
    *,
    settings: RefreshSettings,
    checkpoint: Callable[[], None] = lambda: None,
    clock: Callable[[], dt.datetime] = utcnow,
) -> list[ProviderReport]:
    """Refresh offers from every provider concurrently; reports in order of completion.

    `checkpoint` is called after each written batch and each provider's state update: the
    job commits there, so a refresh killed half-way keeps what it wrote (and re-running it
    writes the same values again: the upsert is idempotent).
    """
    retailers = {
        r.slug: r for r in session.scalars(select(Retailer).where(Retailer.is_active.is_(True)))
    }
    states = _load_states(session, [p.key for p in providers])
    reports: dict[str, ProviderReport] = {}
    events: queue.Queue[tuple[str, str, Any]] = queue.Queue(maxsize=16)  # flat memory
    threads: list[threading.Thread] = []
    for provider in providers:
        retailer = retailers.get(provider.retailer_slug)
        report = ProviderReport(provider=provider.key, retailer=provider.retailer_slug)
        reports[provider.key] = report
        if retailer is None:
            report.outcome = "no_retailer"
            report.error = f"no active retailer with slug {provider.retailer_slug!r}"
            log.warning("price provider %s skipped: %s", provider.key, report.error)
            continue
        state = states[provider.key]
        breaker = CircuitBreaker(
            state=BreakerState(
                state=state.state,
                failures=state.consecutive_failures,
                opened_at=state.opened_at,
                last_error=state.last_error,
            ),
            threshold=settings.breaker_threshold,
            cooldown=settings.breaker_cooldown,
            clock=clock,
        )
        guard = Guard(
            breaker=breaker,
            limiter=RateLimiter(settings.rates.get(provider.key, 0.0)),
            timeout=settings.timeout,
            retries=settings.retries,
            backoff=settings.backoff,
        )
        wanted = _wanted(session, retailer.id) if provider.uses_wanted else []
        thread = threading.Thread(
            target=_run_provider,
            args=(provider, wanted, guard, events),
            name=f"prices-{provider.key}",
            daemon=True,
        )
        threads.append(thread)
    for thread in threads:
        thread.start()

    finished: list[ProviderReport] = []
    running = len(threads)
    provider_by_key = {p.key: p for p in providers}
    while running:
        kind, key, payload = events.get()
        report = reports[key]
        retailer = retailers[provider_by_key[key].retailer_slug]
        if kind == "batch":
            counts = apply_quotes(session, retailer, payload, now=clock())
            for name, value in counts.items():
                report.counts[name] += value
            checkpoint()
        elif kind == "error":
            report.outcome, report.error = payload
        else:  # done: payload is the breaker
            running -= 1
            _save_state(session, states[key], payload, report, clock())
            checkpoint()
            finished.append(report)
    for thread in threads:
        thread.join()
    return finished + [r for r in reports.values() if r.outcome == "no_retailer"]


def _run_provider(
    provider: PriceProvider,
    wanted: list[WantedItem],
    guard: Guard,
    events: queue.Queue[tuple[str, str, Any]],
) -> None:
    """Thread body: stream batches to the main thread; never raises."""
    try:
        for batch in provider.fetch(wanted, guard):
            events.put(("batch", provider.key, batch))
    except CircuitOpenError as exc:
        events.put(("error", provider.key, ("skipped", str(exc))))
    except Exception as exc:
        events.put(("error", provider.key, ("failed", str(exc)[:500] or type(exc).__name__)))
    finally:
        guard.http.close()
        events.put(("done", provider.key, guard.breaker))


def _load_states(session: Session, keys: list[str]) -> dict[str, ProviderState]:
    if keys:
        session.execute(
            insert(ProviderState)
            .values([{"provider": key} for key in keys])
            .on_conflict_do_nothing(index_elements=[ProviderState.provider])
        )
    rows = session.scalars(select(ProviderState).where(ProviderState.provider.in_(keys)))
    return {row.provider: row for row in rows}


def _save_state(
    session: Session,
    row: ProviderState,
    breaker: CircuitBreaker,
    report: ProviderReport,
    now: dt.datetime,
) -> None:
    """Persist the breaker, and report an outage once: an error when the circuit opens
    (Sentry turns ERROR logs into one event), warnings while it stays down."""
    report.transitions = list(breaker.transitions)
    state = breaker.state
    row.state = state.state
    row.consecutive_failures = state.failures
    row.opened_at = state.opened_at
    row.last_error = state.last_error[:500]
    row.last_run_at = now
    row.last_counts = {**report.counts, "outcome": report.outcome}
    if report.outcome == "ok":
        row.last_success_at = now
    elif report.outcome == "failed":
        row.last_failure_at = now
    session.flush()
    if "opened" in breaker.transitions:
        log.error(
            "Retailer provider %s is down: circuit opened after %s failures (%s); "
            "cached prices stay on the site",
            row.provider,
            state.failures,
            state.last_error,
        )
    elif "reopened" in breaker.transitions:
        log.warning("retailer provider %s still down: %s", row.provider, state.last_error)
    elif report.outcome == "failed":
        log.warning("retailer provider %s failed: %s", row.provider, report.error)
    if breaker.transitions and breaker.transitions[-1] == "closed":
        log.info("retailer provider %s recovered: circuit closed", row.provider)


def _wanted(session: Session, retailer_id: int) -> list[WantedItem]:
    """The listings we know at a retailer: what its API is asked to refresh."""
    rows = session.execute(
        select(Offer.sku, Part.mpn, Brand.name)
        .join(Part, Part.id == Offer.part_id)
        .join(Brand, Brand.id == Part.brand_id)
        .where(Offer.retailer_id == retailer_id)
        .order_by(Offer.sku)
    )
    return [WantedItem(sku=sku, mpn=mpn, brand=brand) for sku, mpn, brand in rows]


def apply_quotes(
    session: Session, retailer: Retailer, quotes: Sequence[PriceQuote], *, now: dt.datetime
) -> dict[str, int]:
    """Upsert quotes as offers (one statement per batch); returns the batch's counts.

    A quote is kept only when its URL is on the retailer's allow-list (the click-through
    redirect relies on it) and it matches a part: by an offer we already have for its SKU,
    else by brand (or a brand alias) + normalized MPN, else by an MPN only one part has.
    """
    counts = {"received": len(quotes), "updated": 0, "unmatched": 0, "rejected": 0}
    allowed = {host.lower() for host in retailer.allowed_hosts}
    usable: dict[str, PriceQuote] = {}
    for quote in quotes:
        parts = urlsplit(quote.url)
        if not quote.sku or parts.scheme not in {"http", "https"} or parts.hostname not in allowed:
            counts["rejected"] += 1
            continue
        usable[quote.sku] = quote  # the last listing of a SKU in a batch wins
    known = dict(
        session.execute(
            select(Offer.sku, Offer.part_id).where(
                Offer.retailer_id == retailer.id, Offer.sku.in_(list(usable))
            )
        ).all()
    )
    matches = _match_parts(session, [q for sku, q in usable.items() if sku not in known])
    rows = []
    for sku, quote in usable.items():
        part_id = known.get(sku) or matches.get(sku)
        if part_id is None:
            counts["unmatched"] += 1
            continue
        rows.append(
            {
                "part_id": part_id,
                "retailer_id": retailer.id,
                "sku": sku,
                "url": quote.url,
                "price": quote.price,
                "currency": quote.currency,
                "in_stock": quote.in_stock,
                "fetched_at": now,
            }
        )
    if rows:
        statement = insert(Offer).values(rows)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[Offer.retailer_id, Offer.sku],
                set_={
                    name: statement.excluded[name]
                    for name in ("url", "price", "currency", "in_stock", "fetched_at")
                },
            )
        )
    counts["updated"] = len(rows)
    return counts


def _match_parts(session: Session, quotes: Sequence[PriceQuote]) -> dict[str, int]:
    """SKU → part id for quotes with an MPN, by brand key (or alias) + MPN key."""
    wanted = {q.sku: (name_key(q.brand), mpn_key(q.mpn)) for q in quotes if q.mpn.strip()}
    if not wanted:
        return {}
    keys = {key for _, key in wanted.values()}
    brand_keys = {brand for brand, _ in wanted.values() if brand}
    alias_rows = (
        session.execute(
            select(BrandAlias.alias_key, BrandAlias.brand_id).where(
                BrandAlias.alias_key.in_(brand_keys)
            )
        ).all()
        if brand_keys
        else []
    )
    aliases: dict[str, int] = {alias: brand_id for alias, brand_id in alias_rows}  # noqa: C416
    by_brand: dict[tuple[int, str], int] = {}
    by_key: dict[str, list[int]] = {}
    brand_of: dict[str, int] = {}
    for part_id, part_brand_id, key, brand_key in session.execute(
        select(Part.id, Part.brand_id, Part.mpn_key, Brand.name_key)
        .join(Brand, Brand.id == Part.brand_id)
        .where(Part.mpn_key.in_(keys))
    ):
        by_brand[(part_brand_id, key)] = part_id
        by_key.setdefault(key, []).append(part_id)
        brand_of[brand_key] = part_brand_id
    result: dict[str, int] = {}
    for sku, (brand, key) in wanted.items():
        brand_id: int | None = brand_of.get(brand) or aliases.get(brand)
        if brand_id is not None and (brand_id, key) in by_brand:
            result[sku] = by_brand[(brand_id, key)]
        elif not brand and len(by_key.get(key, [])) == 1:
            result[sku] = by_key[key][0]
    return result


def provider_states(session: Session) -> list[ProviderState]:
    """Every provider's breaker and last run (admin, runbook)."""
    return list(session.scalars(select(ProviderState).order_by(ProviderState.provider)))
