"""What search engines read: robots.txt, the streamed sitemap index and sitemaps, JSON-LD.

JSON-LD blocks are plain dicts rendered with Jinja's `tojson` inside
`<script type="application/ld+json">`: a data block, never executed, so the strict CSP
(`script-src 'self'`) does not apply to it, and `tojson` escapes `<`, `>`, `&` and `'` so
imported text cannot close the element.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any
from xml.sax.saxutils import escape

from flask import Response, abort, current_app, stream_with_context, url_for
from flask.typing import ResponseReturnValue

from app.extensions import db
from app.public import bp
from app.services import catalog, sitemaps

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITEMAP_CACHE_CONTROL = "public, max-age=3600"
ROBOTS_CACHE_CONTROL = "public, max-age=86400"
SITE_NAME = "MotoPartPicker"


def _base() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")


def _max_urls() -> int:
    """URLs per sitemap: the protocol's 50,000 unless configured lower (tests)."""
    return max(1, min(int(current_app.config.get("SITEMAP_MAX_URLS", 50_000)), 50_000))


# ---------------------------------------------------------------- robots and sitemaps


@bp.get("/robots.txt")
def robots() -> ResponseReturnValue:
    """Crawl everything public except redirects, searches, the API and the back office."""
    lines = [
        "User-agent: *",
        "Disallow: /go/",
        "Disallow: /search",
        "Disallow: /pick",
        "Disallow: /api/",
        "Disallow: /admin/",
        "Disallow: /account/",
        "",
        f"Sitemap: {_base()}{url_for('public.sitemap_index')}",
        "",
    ]
    return Response(
        "\n".join(lines), mimetype="text/plain", headers={"Cache-Control": ROBOTS_CACHE_CONTROL}
    )


def _stream(chunks: Iterator[str]) -> Response:
    response = Response(stream_with_context(chunks), mimetype="application/xml")
    response.headers["Cache-Control"] = SITEMAP_CACHE_CONTROL
    return response


@bp.get("/sitemap.xml")
def sitemap_index() -> ResponseReturnValue:
    """The sitemap index: one sitemap for the home page, then id blocks of each kind."""
    blocks = sitemaps.blocks(db.session(), _max_urls())

    def chunks() -> Iterator[str]:
        yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
        yield f"<sitemap><loc>{escape(_base() + url_for('public.sitemap_pages'))}</loc></sitemap>\n"
        for block in blocks:
            path = url_for("public.sitemap", kind=block.kind, number=block.block + 1)
            yield f"<sitemap><loc>{escape(_base() + path)}</loc></sitemap>\n"
        yield "</sitemapindex>\n"

    return _stream(chunks())


@bp.get("/sitemaps/pages.xml")
def sitemap_pages() -> ResponseReturnValue:
    """Pages that are not catalog rows (the home page)."""

    def chunks() -> Iterator[str]:
        yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
        yield f"<url><loc>{escape(_base() + url_for('public.home'))}</loc></url>\n"
        yield "</urlset>\n"

    return _stream(chunks())


@bp.get("/sitemaps/<any(makes, models, bikes, parts):kind>-<int:number>.xml")
def sitemap(kind: str, number: int) -> ResponseReturnValue:
    """One sitemap of at most SITEMAP_MAX_URLS URLs, streamed row by row from the database."""
    size = _max_urls()
    session = db.session()
    block = number - 1
    if not sitemaps.block_exists(session, kind, block, size):
        abort(404, description="There is no such sitemap; the index at /sitemap.xml lists them.")
    base = _base()

    def urls() -> Iterator[tuple[str, dt.datetime | None]]:
        if kind == "makes":
            for (make_slug,) in sitemaps.makes(session, block, size):
                yield url_for("public.make", make_slug=make_slug), None
        elif kind == "models":
            for make_slug, model_slug in sitemaps.models(session, block, size):
                yield url_for("public.model", make_slug=make_slug, model_slug=model_slug), None
        elif kind == "bikes":
            for make_slug, model_slug, year in sitemaps.bikes(session, block, size):
                path = url_for("public.bike", make_slug=make_slug, model_slug=model_slug, year=year)
                yield path, None
        else:
            for brand_slug, mpn_slug, updated_at in sitemaps.parts(session, block, size):
                yield url_for("public.part", brand_slug=brand_slug, mpn_slug=mpn_slug), updated_at

    def chunks() -> Iterator[str]:
        yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
        buffer: list[str] = []
        for path, modified in urls():
            lastmod = f"<lastmod>{modified.date().isoformat()}</lastmod>" if modified else ""
            buffer.append(f"<url><loc>{escape(base + path)}</loc>{lastmod}</url>\n")
            if len(buffer) >= 500:
                yield "".join(buffer)
                buffer.clear()
        yield "".join(buffer)
        yield "</urlset>\n"

    return _stream(chunks())


# ---------------------------------------------------------------- JSON-LD


def website_ld() -> dict[str, Any]:
    """The site itself, with its search box (schema.org SearchAction)."""
    return {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": SITE_NAME,
        "url": _base() + url_for("public.home"),
        "potentialAction": {
            "@type": "SearchAction",
            "target": _base() + url_for("public.search_page") + "?q={search_term_string}",
            "query-input": "required name=search_term_string",
        },
    }


def breadcrumbs_ld(trail: Sequence[tuple[str, str | None]], current_url: str) -> dict[str, Any]:
    """BreadcrumbList from Home through the trail; the last crumb is the page itself."""
    items = [("Home", _base() + url_for("public.home"))]
    items += [(label, _base() + url if url else current_url) for label, url in trail]
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": name, "item": item}
            for n, (name, item) in enumerate(items, start=1)
        ],
    }


def product_ld(page: catalog.PartPage, url: str) -> dict[str, Any]:
    """Product with one Offer per retailer price (links go through /go/<offer>)."""
    part = page.part
    product: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": part.title,
        "sku": part.mpn,
        "mpn": part.mpn,
        "brand": {"@type": "Brand", "name": part.brand_name},
        "url": url,
    }
    if page.category_path:
        product["category"] = page.category_path
    if page.description:
        product["description"] = page.description[:500]
    if page.image_url:
        product["image"] = page.image_url
    offers = [
        {
            "@type": "Offer",
            "price": f"{offer.price:.2f}",
            "priceCurrency": offer.currency,
            "availability": "https://schema.org/" + ("InStock" if offer.in_stock else "OutOfStock"),
            "url": _base() + url_for("public.go", offer_id=offer.id),
            "seller": {"@type": "Organization", "name": offer.retailer_name},
        }
        for offer in page.offers
        if offer.price is not None and offer.in_stock is not None
    ]
    if offers:
        product["offers"] = offers
    return product
