"""Retailer feeds: staged offer rows → offers of one retailer, matched to existing parts.

A row matches a part by brand + normalized MPN (brand aliases and part aliases apply), else
by a GTIN that exactly one part carries. Rows that match nothing are reported as unmatched,
never guessed; buy links must point at one of the retailer's allowed hosts (the click
redirect trusts them). Offers are keyed by (retailer, SKU): the first row of a SKU wins.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from app.models.retailers import Retailer
from app.services.imports.errors import ImportProblem
from app.services.imports.resolve import has_table
from app.services.imports.staging import rowcount
from app.services.names import slugify

CLASSES = ("new", "updated", "refreshed", "unchanged")
OFFER_FIELDS = ("part_id", "url", "price", "currency", "in_stock", "fetched_at")


@dataclass(frozen=True)
class Shop:
    """The retailer a feed belongs to."""

    id: int
    name: str
    allowed_hosts: list[str]


def retailer_for(session: Session, source: str) -> Shop:
    """The retailer named by the batch's source (by name or slug), or a clear refusal."""
    found = session.scalar(
        select(Retailer).where(
            or_(func.lower(Retailer.name) == source.lower(), Retailer.slug == slugify(source))
        )
    )
    if found is None:
        raise ImportProblem(
            f"No retailer called '{source}'. A retailer feed imports into an existing retailer: "
            "create it under Retailers first (its allowed hosts decide which buy links are "
            "accepted), then use its name as the source."
        )
    return Shop(found.id, found.name, [h.lower() for h in found.allowed_hosts])


def build(session: Session, shop: Shop, *, refresh_unchanged: bool) -> list[tuple[Any, ...]]:
    """imp_offers: one row per SKU, matched and classified. Returns problem rows to report
    (line, column, value, reason, severity): unmatched parts, foreign hosts, repeated SKUs."""
    part_alias = (
        "LEFT JOIN part_aliases pa ON pa.brand_id = b.brand_id AND pa.mpn_key = r.mpn_key"
        if has_table(session, "part_aliases")
        else "LEFT JOIN (SELECT NULL::integer AS part_id) pa ON false"
    )
    session.execute(text("DROP TABLE IF EXISTS imp_offers"))
    session.execute(
        text(
            f"""
            CREATE TEMP TABLE imp_offers ON COMMIT DROP AS
            SELECT r.line_no, r.sku, r.url, r.price, r.currency, r.in_stock, r.image_url,
                   r.mpn_key, r.gtin, b.name AS brand,
                   coalesce(p.id, pa.part_id, g.part_id) AS part_id,
                   lower(substring(r.url from '^[a-zA-Z]+://([^/:?#]+)')) AS host,
                   row_number() OVER (PARTITION BY r.sku ORDER BY r.line_no) AS nth
            FROM imp_rows r
            LEFT JOIN imp_brands b ON b.ref = r.brand_ref
            LEFT JOIN parts p ON p.brand_id = b.brand_id AND p.mpn_key = r.mpn_key
            {part_alias}
            LEFT JOIN LATERAL (
                SELECT min(id) AS part_id FROM parts WHERE gtin = r.gtin HAVING count(*) = 1
            ) g ON r.gtin IS NOT NULL
            WHERE r.issue_reason IS NULL
            """  # noqa: S608 - the alias join is one of two constants
        )
    )
    problems = session.execute(
        text(
            """
            SELECT line_no, 'SKU', sku, 'SKU ' || sku || ' appears again (first on line '
                   || (SELECT min(line_no) FROM imp_offers o2 WHERE o2.sku = o.sku)
                   || '); this row is ignored', 'warning'
            FROM imp_offers o WHERE nth > 1
            UNION ALL
            SELECT line_no, 'MPN', coalesce(mpn_key, gtin, ''),
                   'no part in the catalog matches brand ''' || coalesce(brand, '?') || ''''
                   || coalesce(' and MPN ' || mpn_key, '')
                   || coalesce(' or GTIN ' || gtin, '') || ' (unmatched: not imported)', 'error'
            FROM imp_offers WHERE nth = 1 AND part_id IS NULL
            UNION ALL
            SELECT line_no, 'Buy link', url, 'the link''s host ' || coalesce(host, '?')
                   || ' is not one of ' || CAST(:shop AS text) || '''s allowed hosts ('
                   || array_to_string(CAST(:hosts AS text[]), ', ') || ')', 'error'
            FROM imp_offers WHERE nth = 1 AND part_id IS NOT NULL
                  AND NOT (coalesce(host, '') = ANY(CAST(:hosts AS text[])))
            ORDER BY 1
            """
        ),
        {"hosts": shop.allowed_hosts, "shop": shop.name},
    ).all()
    session.execute(
        text(
            "DELETE FROM imp_offers WHERE nth > 1 OR part_id IS NULL "
            "OR NOT (coalesce(host, '') = ANY(CAST(:hosts AS text[])))"
        ),
        {"hosts": shop.allowed_hosts},
    )
    refreshed = "'refreshed'" if refresh_unchanged else "'unchanged'"
    session.execute(
        text(
            "ALTER TABLE imp_offers ADD COLUMN offer_id integer, ADD COLUMN cls text, "
            "ADD COLUMN before jsonb"
        )
    )
    session.execute(
        text(
            f"""
            UPDATE imp_offers i SET offer_id = o.id, before = jsonb_build_object(
                    'part_id', o.part_id, 'url', o.url, 'price', o.price,
                    'currency', o.currency, 'in_stock', o.in_stock, 'fetched_at', o.fetched_at),
                cls = CASE WHEN (o.part_id, o.url, o.price, o.currency, o.in_stock)
                               IS DISTINCT FROM (i.part_id, i.url, i.price, i.currency, i.in_stock)
                          THEN 'updated' ELSE {refreshed} END
            FROM offers o WHERE o.retailer_id = :retailer AND o.sku = i.sku
            """  # noqa: S608 - `refreshed` is one of two constants
        ),
        {"retailer": shop.id},
    )
    session.execute(text("UPDATE imp_offers SET cls = 'new' WHERE offer_id IS NULL"))
    return [tuple(row) for row in problems]


def counts(session: Session) -> dict[str, int]:
    found: dict[str, int] = dict(
        session.execute(text("SELECT cls, count(*) FROM imp_offers GROUP BY cls")).all()
    )
    return {cls: int(found.get(cls, 0)) for cls in CLASSES}


def samples(session: Session, limit: int = 20) -> dict[str, list[dict[str, Any]]]:
    rows = session.execute(
        text(
            "SELECT cls, line_no, sku, url, price, currency, in_stock, before FROM imp_offers "
            "WHERE cls IN ('new', 'updated') ORDER BY line_no LIMIT :limit"
        ),
        {"limit": limit},
    ).mappings()
    found: dict[str, list[dict[str, Any]]] = {"new": [], "updated": []}
    for row in rows:
        item = dict(row)
        item["price"] = str(item["price"]) if item["price"] is not None else None
        found[item["cls"]].append(item)
    return found


def apply(session: Session, batch_id: int, shop: Shop, now: dt.datetime) -> dict[str, int]:
    """Create, update and refresh offers (each logged for undo); fill missing part images."""
    params = {"batch": batch_id, "retailer": shop.id, "now": now}
    after = (
        "jsonb_build_object('part_id', o.part_id, 'url', o.url, 'price', o.price, "
        "'currency', o.currency, 'in_stock', o.in_stock, 'fetched_at', o.fetched_at)"
    )
    created = rowcount(
        session.execute(
            text(
                f"""
            WITH o AS (
                INSERT INTO offers (part_id, retailer_id, sku, url, price, currency, in_stock,
                                    fetched_at)
                SELECT part_id, :retailer, sku, url, price, currency, in_stock, :now
                FROM imp_offers WHERE cls = 'new' ORDER BY line_no
                RETURNING *
            )
            INSERT INTO import_changes (import_batch_id, entity, entity_id, action, after)
            SELECT :batch, 'offer', o.id, 'created', {after} FROM o
            """  # noqa: S608 - `after` is a constant
            ),
            params,
        )
    )
    changed = rowcount(
        session.execute(
            text(
                f"""
            WITH o AS (
                UPDATE offers o SET part_id = i.part_id, url = i.url, price = i.price,
                    currency = i.currency, in_stock = i.in_stock, fetched_at = :now
                FROM imp_offers i
                WHERE i.cls IN ('updated', 'refreshed') AND o.id = i.offer_id
                RETURNING o.*, i.before
            )
            INSERT INTO import_changes (import_batch_id, entity, entity_id, action, before, after)
            SELECT :batch, 'offer', o.id, 'updated', o.before, {after} FROM o
            """  # noqa: S608 - `after` is a constant
            ),
            params,
        )
    )
    images = rowcount(
        session.execute(
            text(
                """
            WITH p AS (
                UPDATE parts p SET image_url = i.image_url, updated_at = now()
                FROM (SELECT DISTINCT ON (part_id) part_id, image_url FROM imp_offers
                      WHERE image_url IS NOT NULL AND image_url ~* '^https://'
                      ORDER BY part_id, line_no) i
                WHERE p.id = i.part_id AND p.image_url IS NULL
                RETURNING p.id, p.image_url
            )
            INSERT INTO import_changes (import_batch_id, entity, entity_id, action, before, after)
            SELECT :batch, 'part', id, 'updated', jsonb_build_object('image_url', NULL),
                   jsonb_build_object('image_url', image_url) FROM p
            """
            ),
            params,
        )
    )
    return {
        "offers_created": created,
        "offers_updated": changed,
        "part_images": images,
    }
