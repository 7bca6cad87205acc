"""Hostile input in every query parameter and path segment: never a 500, always escaped."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.public.conftest import CatalogBuilder, Garage

HOSTILE = [
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "%00",
    "%",
    "_",
    "\\",
    "'; DROP TABLE parts; --",
    "../../../etc/passwd",
    "//evil.example",
    "javascript:alert(1)",
    "{{7*7}}",
    "${7*7}",
    "9" * 40,
    "-1",
    "0",
    "1e309",
    "NaN",
    "\u00b2",
    "\U0001f3cd\ufe0f",
    "\u202e",
    " ",
    "x" * 10_000,
    "[]",
    "{}",
    "null",
]
ROUTES = {
    "/": ["q", "page"],
    "/pick": ["make", "model", "year"],
    "/bikes/honda": ["page"],
    "/bikes/honda/cbr600rr": ["year"],
    "/bikes/honda/cbr600rr/2015": ["category", "brand", "position", "sort", "page"],
    "/parts/ebc-brakes/fa390hh": ["offer", "page"],
    "/search": ["q", "page"],
    "/sitemap.xml": ["page"],
    "/robots.txt": ["x"],
    "/api/v1/makes": ["limit", "cursor"],
    "/api/v1/makes/honda/models": ["limit", "cursor"],
    "/api/v1/makes/honda/models/cbr600rr/vehicles": ["limit", "cursor", "year"],
    "/api/v1/parts/ebc-brakes/fa390hh/fitments": ["limit", "cursor"],
    "/api/v1/parts/ebc-brakes/fa390hh/offers": ["limit", "cursor"],
    "/api/v1/openapi.json": ["x"],
}
PATH_TEMPLATES = [
    "/bikes/{h}",
    "/bikes/honda/{h}",
    "/bikes/{h}/{h}/2015",
    "/parts/{h}/{h}",
    "/parts/ebc-brakes/{h}",
    "/api/v1/makes/{h}/models",
    "/api/v1/makes/honda/models/{h}/vehicles",
    "/api/v1/parts/{h}/{h}",
    "/api/v1/parts/ebc-brakes/{h}/offers",
    "/sitemaps/{h}.xml",
]
UNESCAPED = ["<script>alert(1)</script>", "<img src=x onerror", "\x00"]


def _check(response, hostile: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code < 500, (response.status_code, hostile[:40])
    body = response.get_data(as_text=True)
    if response.mimetype == "application/json":
        # Data, not markup: browsers never render it as HTML (nosniff), and it must parse.
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        response.get_json()
        body = body.replace("<", "").replace(">", "")
    for needle in UNESCAPED:
        assert needle not in body, needle
    if response.status_code in {301, 302}:
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//"), location
    response.close()


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_query_parameter_survives_hostile_values(
    client: FlaskClient, garage: Garage, build: CatalogBuilder, route: str
) -> None:
    for name in ROUTES[route]:
        for hostile in HOSTILE:
            _check(client.get(route, query_string={name: hostile}), hostile)
        _check(client.get(route, query_string=[(name, "1"), (name, "<b>2</b>")]), "repeat")


@pytest.mark.parametrize("template", PATH_TEMPLATES)
def test_every_path_segment_survives_hostile_values(
    client: FlaskClient, garage: Garage, template: str
) -> None:
    from urllib.parse import quote

    for hostile in HOSTILE:
        if not hostile.strip("/.") or hostile in {"%", "%00"}:
            continue  # would change the route itself, not a segment
        path = template.format(h=quote(hostile, safe=""))
        _check(client.get(path), hostile)


def test_hostile_headers_are_harmless(client: FlaskClient, garage: Garage) -> None:
    for headers in (
        {"Accept-Encoding": "gzip;q=abc, br;q=-1, *;q=" + "9" * 50},
        {"If-None-Match": '"<script>", W/"' + "x" * 5000 + '"'},
        {"If-Modified-Since": "yesterday"},
        {"User-Agent": "<script>alert(1)</script>" * 100},
        {"Referer": "http://[::1"},
        {"Host": "evil.example"},
    ):
        for path in ("/bikes/honda/cbr600rr/2015", "/parts/ebc-brakes/fa390hh", "/go/1"):
            response = client.get(path, headers=headers)
            assert response.status_code < 500, (path, headers)
            if path != "/go/1" and "Content-Encoding" not in response.headers:
                assert 'href="http://127.0.0.1:5000/' in response.get_data(as_text=True)
