"""Affiliate clicks and offer impressions: the two halves of the click-through rate.

`/go/<offer>` asks `click_target` where an offer may send a rider: only to the offer's URL,
and only when that URL's host is one of its retailer's `allowed_hosts` (never an open
redirect). Impressions are counted per offer and day in bulk upserts; bots are counted for
neither (`is_bot`).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.models import Brand, Offer, OfferClick, Part, Retailer

PAGE_MAX = 300  # OfferClick.page's length
URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\]")  # controls, spaces, backslashes
# Crawlers, link previewers, monitors and HTTP libraries; an empty user agent counts too.
BOT_PATTERN = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|mediapartners|bingpreview|facebookexternalhit|"
    r"embedly|quora link preview|whatsapp|telegram|skypeuripreview|pinterest|"
    r"headlesschrome|phantomjs|lighthouse|pingdom|uptime|monitor|curl/|wget/|httpie|"
    r"python-requests|python-urllib|aiohttp|httpx|go-http-client|okhttp|java/|libwww|"
    r"scrapy|axios|node-fetch|postman|insomnia",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ClickTarget:
    """What /go needs about an offer: where to send the rider and the part page it came from."""

    offer_id: int
    url: str | None  # None: the offer's URL is not on an allowed host, so we refuse
    retailer_name: str
    is_active: bool
    brand_slug: str
    mpn_slug: str


def is_bot(user_agent: str | None) -> bool:
    """True for crawlers, previewers and scripts (and requests without a user agent)."""
    if not user_agent or not user_agent.strip():
        return True
    if len(user_agent) > MEMO_MAX_CHARS:  # never remembered: no memory for huge headers
        return BOT_PATTERN.search(user_agent) is not None
    return _is_bot_remembered(user_agent)


MEMO_MAX_CHARS = 512


@functools.lru_cache(maxsize=4096)  # browsers send few distinct strings; the regex is long
def _is_bot_remembered(user_agent: str) -> bool:
    return BOT_PATTERN.search(user_agent) is not None


def allowed_url(url: str, allowed_hosts: list[str]) -> str | None:
    """The URL itself when it is http(s) to exactly one of `allowed_hosts`, else None.

    Refuses user-info tricks (`https://shop.example@evil.example/`), backslashes and control
    characters browsers "repair" into another host, non-http schemes and malformed ports.
    """
    if not url or URL_FORBIDDEN.search(url):
        return None
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not port_ok:
        return None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return None
    host = (parts.hostname or "").rstrip(".")
    allowed = {h.strip().lower().rstrip(".") for h in allowed_hosts if h and h.strip()}
    return url if host and host in allowed else None


def click_target(session: Session, offer_id: int) -> ClickTarget | None:
    """The offer's vetted destination, or None when there is no such offer."""
    row = session.execute(
        select(
            Offer.id,
            Offer.url,
            Retailer.name,
            Retailer.is_active,
            Retailer.allowed_hosts,
            Brand.slug,
            Part.mpn_key,
        )
        .join(Retailer, Retailer.id == Offer.retailer_id)
        .join(Part, Part.id == Offer.part_id)
        .join(Brand, Brand.id == Part.brand_id)
        .where(Offer.id == offer_id)
    ).first()
    if row is None:
        return None
    offer_pk, url, retailer, is_active, hosts, brand_slug, key = row
    return ClickTarget(
        offer_id=offer_pk,
        url=allowed_url(url, list(hosts or [])),
        retailer_name=retailer,
        is_active=is_active,
        brand_slug=brand_slug,
        mpn_slug=key.lower(),
    )


def record_click(session: Session, offer_id: int, page: str = "") -> OfferClick:
    """One click-through (no IP, no user agent: only what the metric needs)."""
    click = OfferClick(offer_id=offer_id, page=page[:PAGE_MAX])
    session.add(click)
    session.flush()
    return click


def record_impressions(session: Session, counts: Mapping[tuple[int, dt.date], int]) -> int:
    """Add shown-counts per (offer, day) in one upsert; offers deleted meanwhile are skipped.

    Rows are written in key order so concurrent flushes lock them in the same order.
    """
    items = sorted((key, n) for key, n in counts.items() if n > 0)
    if not items:
        return 0
    result = session.execute(
        text(
            "INSERT INTO offer_impressions (offer_id, day, count)"
            " SELECT v.offer_id, v.day, v.n"
            " FROM unnest(CAST(:ids AS integer[]), CAST(:days AS date[]), CAST(:ns AS integer[]))"
            "   AS v(offer_id, day, n)"
            " JOIN offers ON offers.id = v.offer_id"
            " ON CONFLICT (offer_id, day)"
            " DO UPDATE SET count = offer_impressions.count + excluded.count"
        ),
        {
            "ids": [offer_id for (offer_id, _), _ in items],
            "days": [day for (_, day), _ in items],
            "ns": [n for _, n in items],
        },
    )
    return int(getattr(result, "rowcount", 0) or 0)
