"""The read-only JSON API: lists with cursors, one-item routes, errors, caching and CORS."""

from __future__ import annotations

import base64
import json

import pytest
from flask.testing import FlaskClient

from tests.public.conftest import CatalogBuilder, Garage

BASE = "http://127.0.0.1:5000"


def _all_pages(client: FlaskClient, url: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_json()
        items += body["data"]
        assert (body["next"] is None) == (body["next_cursor"] is None)
        url = body["next"]
    return items


def test_makes_and_models_page_through_with_cursors(
    client: FlaskClient, garage: Garage, build: CatalogBuilder
) -> None:
    for name in ("Yamaha", "Suzuki", "Aprilia", "BMW"):
        build.model(build.make(name), "Model X")
    first = client.get("/api/v1/makes?limit=2").get_json()
    assert [m["slug"] for m in first["data"]] == ["aprilia", "bmw"]
    assert first["next"].startswith("/api/v1/makes?")
    makes = _all_pages(client, "/api/v1/makes?limit=2")
    assert [m["slug"] for m in makes] == ["aprilia", "bmw", "honda", "suzuki", "yamaha"]
    assert makes[2] == {"name": "Honda", "slug": "honda", "url": f"{BASE}/bikes/honda"}
    models = client.get("/api/v1/makes/honda/models").get_json()
    assert models["data"] == [
        {
            "make": "honda",
            "name": "CBR600RR",
            "slug": "cbr600rr",
            "model_code": "PC40",
            "url": f"{BASE}/bikes/honda/cbr600rr",
        }
    ]
    assert models["next_cursor"] is None


def test_vehicles_by_year_with_variants(client: FlaskClient, garage: Garage) -> None:
    vehicles = _all_pages(client, "/api/v1/makes/honda/models/cbr600rr/vehicles?limit=4")
    assert [(v["year"], v["variant"]) for v in vehicles][:5] == [
        (2012, ""),
        (2013, ""),
        (2014, ""),
        (2015, ""),
        (2015, "ABS"),
    ]
    assert len(vehicles) == 10
    only = client.get("/api/v1/makes/honda/models/cbr600rr/vehicles?year=2015").get_json()
    assert [(v["variant"], v["market"]) for v in only["data"]] == [("", ""), ("ABS", "US")]
    one = client.get(f"/api/v1/vehicles/{garage.abs_2015.id}").get_json()
    assert one["make"] == {"name": "Honda", "slug": "honda"}
    assert one["url"] == f"{BASE}/bikes/honda/cbr600rr/2015"


def test_a_vehicles_verified_parts(client: FlaskClient, garage: Garage) -> None:
    parts = _all_pages(client, f"/api/v1/vehicles/{garage.abs_2015.id}/parts?limit=1")
    assert sorted(p["part"]["mpn"] for p in parts) == ["FA-390HH", "HF204RC"]
    plain = client.get(f"/api/v1/vehicles/{garage.years[2015].id}/parts").get_json()
    assert [p["part"]["mpn"] for p in plain["data"]] == ["FA-390HH"]  # unverified ones hidden
    pads = plain["data"][0]
    assert (pads["position"], pads["qty"]) == ("front", 2)
    assert pads["part"]["brand"] == {"name": "EBC Brakes", "slug": "ebc-brakes"}
    assert pads["part"]["category"] == "Brakes \u203a Pads"


def test_a_parts_fitments_and_offers(
    client: FlaskClient, garage: Garage, build: CatalogBuilder
) -> None:
    offer = build.offer(garage.pads, build.retailer("Moto Shop"), "54.5")
    build.offer(garage.pads, build.retailer("Closed", is_active=False), "1.00")
    part = client.get("/api/v1/parts/ebc-brakes/FA-390HH").get_json()
    assert part["mpn_slug"] == "fa390hh" and part["title"] == "Sintered front brake pads"
    fitments = _all_pages(client, "/api/v1/parts/ebc-brakes/fa390hh/fitments?limit=3")
    assert len(fitments) == 8
    assert {f["vehicle"]["year"] for f in fitments} == {2013, 2014, 2015, 2016, 2017, 2018, 2020}
    assert fitments[0]["verified_at"].endswith("Z")
    offers = client.get("/api/v1/parts/ebc-brakes/fa390hh/offers").get_json()["data"]
    assert offers == [
        {
            "id": offer.id,
            "retailer": "Moto Shop",
            "price": "54.50",
            "currency": "USD",
            "in_stock": True,
            "fetched_at": "2026-11-20T09:30:00Z",
            "url": f"{BASE}/go/{offer.id}",
        }
    ]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/makes/nope/models", 404),
        ("/api/v1/makes/honda/models/nope/vehicles", 404),
        ("/api/v1/vehicles/999999", 404),
        ("/api/v1/vehicles/99999999999999999999", 404),
        ("/api/v1/vehicles/999999/parts", 404),
        ("/api/v1/parts/ebc-brakes/nothing", 404),
        ("/api/v1/parts/ebc-brakes/nothing/offers", 404),
        ("/api/v1/nothing", 404),
        ("/api/v1/makes?limit=0", 400),
        ("/api/v1/makes?limit=101", 400),
        ("/api/v1/makes?limit=abc", 400),
        ("/api/v1/makes?cursor=%%%", 400),
        ("/api/v1/makes?cursor=bm90IGpzb24", 400),
        ("/api/v1/vehicles/1/parts?cursor=" + base64.urlsafe_b64encode(b'"x"').decode(), 400),
        ("/api/v1/vehicles/1/parts?cursor=" + base64.urlsafe_b64encode(b"-5").decode(), 400),
        ("/api/v1/vehicles/1/parts?cursor=" + base64.urlsafe_b64encode(b"true").decode(), 400),
        ("/api/v1/makes/honda/models/cbr600rr/vehicles?year=99", 400),
        ("/api/v1/makes/honda/models/cbr600rr/vehicles?cursor=WzIwMTUsIjEiXQ", 400),
    ],
)
def test_errors_are_json(client: FlaskClient, garage: Garage, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"]
    if path != "/api/v1/nothing":  # unknown routes are answered outside the API blueprint
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_wrong_methods_are_json_405(client: FlaskClient, garage: Garage) -> None:
    response = client.post("/api/v1/makes")
    assert response.status_code == 405
    assert response.get_json()["error"] == "method not allowed"


def test_etags_and_cors(client: FlaskClient, garage: Garage) -> None:
    response = client.get("/api/v1/makes", headers={"Origin": "https://app.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    etag = response.headers["ETag"]
    assert client.get("/api/v1/makes", headers={"If-None-Match": etag}).status_code == 304
    preflight = client.options(
        "/api/v1/makes",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Max-Age"] == "86400"


def test_cursor_is_opaque_but_ours(
    client: FlaskClient, garage: Garage, build: CatalogBuilder
) -> None:
    build.model(build.make("Zero"), "SR/F")
    body = client.get("/api/v1/makes?limit=1").get_json()
    decoded = json.loads(base64.urlsafe_b64decode(body["next_cursor"] + "=="))
    assert decoded == "honda"
    rest = client.get(f"/api/v1/makes?limit=1&cursor={body['next_cursor']}").get_json()
    assert [m["slug"] for m in rest["data"]] == ["zero"]


def test_openapi_document_describes_every_route(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.0")
    assert set(doc["paths"]) == {
        "/api/v1/makes",
        "/api/v1/makes/{make_slug}/models",
        "/api/v1/makes/{make_slug}/models/{model_slug}/vehicles",
        "/api/v1/vehicles/{vehicle_id}",
        "/api/v1/vehicles/{vehicle_id}/parts",
        "/api/v1/parts/{brand_slug}/{mpn_slug}",
        "/api/v1/parts/{brand_slug}/{mpn_slug}/fitments",
        "/api/v1/parts/{brand_slug}/{mpn_slug}/offers",
    }
