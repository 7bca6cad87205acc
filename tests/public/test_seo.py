"""What search engines read: robots.txt, the sitemap index and its sitemaps, canonical links,
Open Graph and JSON-LD."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.public.conftest import CatalogBuilder, Garage, json_ld

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
BASE = "http://127.0.0.1:5000"


def test_robots_txt_points_at_the_sitemap(client: FlaskClient, garage: Garage) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "User-agent: *" in text
    for blocked in ("/go/", "/search", "/api/", "/admin/"):
        assert f"Disallow: {blocked}" in text
    assert f"Sitemap: {BASE}/sitemap.xml" in text


def _xml(client: FlaskClient, url: str) -> ET.Element:
    path = url.removeprefix(BASE)
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "application/xml"
    assert response.is_streamed  # written row by row, never built whole in memory
    return ET.fromstring(response.get_data())


def test_sitemaps_list_every_page_in_blocks_of_at_most_the_limit(
    app: Flask,
    client: FlaskClient,
    garage: Garage,
    build: CatalogBuilder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "SITEMAP_MAX_URLS", 3)
    index = _xml(client, "/sitemap.xml")
    assert index.tag == f"{{{NS['sm']}}}sitemapindex"
    sitemaps = [loc.text or "" for loc in index.findall("sm:sitemap/sm:loc", NS)]
    assert sitemaps[0] == f"{BASE}/sitemaps/pages.xml"
    assert all(url.startswith(f"{BASE}/sitemaps/") for url in sitemaps)
    urls: list[str] = []
    for sitemap in sitemaps:
        urlset = _xml(client, sitemap)
        assert urlset.tag == f"{{{NS['sm']}}}urlset"
        locs = [loc.text or "" for loc in urlset.findall("sm:url/sm:loc", NS)]
        assert len(locs) <= 3, sitemap
        urls += locs
    assert len(urls) == len(set(urls))  # nothing listed twice
    expected = {
        f"{BASE}/",
        f"{BASE}/bikes/honda",
        f"{BASE}/bikes/honda/cbr600rr",
        f"{BASE}/parts/ebc-brakes/fa390hh",
        f"{BASE}/parts/hiflofiltro/hf204rc",
    } | {f"{BASE}/bikes/honda/cbr600rr/{year}" for year in range(2012, 2021)}
    assert expected <= set(urls)
    assert f"{BASE}/bikes/zundapp-without-models" not in urls  # no models, no page worth listing
    assert sum("/bikes/honda/cbr600rr/2015" in url for url in urls) == 1  # ABS shares the page


def test_part_sitemaps_carry_lastmod(client: FlaskClient, garage: Garage) -> None:
    index = _xml(client, "/sitemap.xml")
    parts = next(
        loc.text or ""
        for loc in index.findall("sm:sitemap/sm:loc", NS)
        if "/parts-" in (loc.text or "")
    )
    urlset = _xml(client, parts)
    assert all(url.find("sm:lastmod", NS) is not None for url in urlset.findall("sm:url", NS))


@pytest.mark.parametrize(
    "path",
    [
        "/sitemaps/parts-0.xml",
        "/sitemaps/parts-999.xml",
        "/sitemaps/users-1.xml",
        "/sitemaps/parts-99999999999999999999.xml",
    ],
)
def test_unknown_sitemaps_are_404(client: FlaskClient, garage: Garage, path: str) -> None:
    assert client.get(path).status_code == 404


def test_part_page_has_product_offers_and_breadcrumbs(
    client: FlaskClient, garage: Garage, build: CatalogBuilder
) -> None:
    garage.pads.image_url = "https://img.example/pads.jpg"
    offer = build.offer(garage.pads, build.retailer("Moto Shop"), "54.50", in_stock=False)
    html = client.get("/parts/ebc-brakes/fa390hh").get_data(as_text=True)
    blocks = {block["@type"]: block for block in json_ld(html)}
    product = blocks["Product"]
    assert product["name"] == "Sintered front brake pads"
    assert product["mpn"] == "FA-390HH"
    assert product["brand"] == {"@type": "Brand", "name": "EBC Brakes"}
    assert product["url"] == f"{BASE}/parts/ebc-brakes/fa390hh"
    assert product["image"] == "https://img.example/pads.jpg"
    assert product["offers"] == [
        {
            "@type": "Offer",
            "price": "54.50",
            "priceCurrency": "USD",
            "availability": "https://schema.org/OutOfStock",
            "url": f"{BASE}/go/{offer.id}",
            "seller": {"@type": "Organization", "name": "Moto Shop"},
        }
    ]
    crumbs = blocks["BreadcrumbList"]["itemListElement"]
    assert [c["name"] for c in crumbs] == ["Home", "EBC Brakes FA-390HH"]
    assert [c["position"] for c in crumbs] == [1, 2]
    assert '<meta property="og:type" content="product">' in html
    assert '<meta property="og:image" content="https://img.example/pads.jpg">' in html
    assert f'<meta property="og:url" content="{BASE}/parts/ebc-brakes/fa390hh">' in html


def test_bike_page_breadcrumbs_and_noindex_for_filtered_views(
    client: FlaskClient, garage: Garage
) -> None:
    html = client.get("/bikes/honda/cbr600rr/2015").get_data(as_text=True)
    crumbs = {b["@type"]: b for b in json_ld(html)}["BreadcrumbList"]["itemListElement"]
    assert [c["item"] for c in crumbs] == [
        f"{BASE}/",
        f"{BASE}/bikes/honda",
        f"{BASE}/bikes/honda/cbr600rr",
        f"{BASE}/bikes/honda/cbr600rr/2015",
    ]
    assert "noindex" not in html
    filtered = client.get("/bikes/honda/cbr600rr/2015?brand=ebc-brakes&sort=price")
    html = filtered.get_data(as_text=True)
    assert '<meta name="robots" content="noindex, follow">' in html
    assert f'<link rel="canonical" href="{BASE}/bikes/honda/cbr600rr/2015">' in html


def test_home_declares_the_site_search(client: FlaskClient, garage: Garage) -> None:
    site = json_ld(client.get("/").get_data(as_text=True))[0]
    assert site["@type"] == "WebSite"
    assert site["potentialAction"]["target"] == f"{BASE}/search?q={{search_term_string}}"


def test_imported_text_cannot_break_out_of_json_ld(
    client: FlaskClient, garage: Garage, build: CatalogBuilder
) -> None:
    hostile = "</script><script>alert(1)</script>\"'&"
    part = build.part(build.brand("Evil"), "EV-2", hostile, description=hostile)
    build.fit(part, [garage.years[2015]])
    html = client.get("/parts/evil/ev2").get_data(as_text=True)
    assert "</script><script>alert(1)" not in html
    product = next(b for b in json_ld(html) if b["@type"] == "Product")
    assert product["name"] == hostile  # the data survives, escaped as \u003c…
