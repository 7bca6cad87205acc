"""Security headers on every kind of response the public site and API give."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from app import readonly
from tests.public.conftest import CatalogBuilder, Garage

REQUIRED = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def _assert_secure(response, label: str) -> None:  # type: ignore[no-untyped-def]
    for name, value in REQUIRED.items():
        assert response.headers.get(name) == value, (label, name)
    csp = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src and script_src.group(1) == "'self'", (label, csp)
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions, (label, feature)
    response.close()


def test_every_kind_of_response_carries_the_headers(
    app: Flask, client: FlaskClient, garage: Garage, build: CatalogBuilder
) -> None:
    offer = build.offer(garage.pads, build.retailer("Moto Shop"), "54.50")
    bad = build.offer(
        garage.filter, build.retailer("Bad Shop"), "9.00", url="https://evil.example/"
    )
    page = client.get("/bikes/honda/cbr600rr/2015")
    responses = {
        "page": page,
        "304": client.get(
            "/bikes/honda/cbr600rr/2015", headers={"If-None-Match": page.headers["ETag"]}
        ),
        "gzip": client.get("/", headers={"Accept-Encoding": "gzip"}),
        "404": client.get("/bikes/nope"),
        "redirect": client.get("/pick?make=honda"),
        "go": client.get(f"/go/{offer.id}"),
        "go refused": client.get(f"/go/{bad.id}"),
        "search": client.get("/search?q=pads"),
        "static": client.get("/static/site.css"),
        "robots": client.get("/robots.txt"),
        "sitemap": client.get("/sitemap.xml"),
        "api": client.get("/api/v1/makes"),
        "api 400": client.get("/api/v1/makes?limit=0"),
        "api 404": client.get("/api/v1/vehicles/999999"),
        "api 405": client.post("/api/v1/makes"),
        "health": client.get("/healthz"),
    }
    assert responses["304"].status_code == 304
    assert responses["go refused"].status_code == 400
    assert responses["api 405"].status_code == 405
    with app.test_request_context("/"):
        readonly.mark_database_unreachable()
    responses["503"] = client.get("/bikes/honda/cbr600rr/2019")
    assert responses["503"].status_code == 503
    for label, response in responses.items():
        _assert_secure(response, label)
