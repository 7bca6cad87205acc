"""The OpenAPI 3.0 document of /api/v1, written out by hand next to the routes it describes.

tests/api checks the routes against it with schemathesis (every response, status code and
content type must match), so this file and app/api/views.py change together.
"""

from __future__ import annotations

from typing import Any

from app.services.catalog import YEARS
from app.services.listings import MAX_ID

VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


STRING = {"type": "string"}
URL = {"type": "string", "format": "uri"}
SLUG = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[^/?#%]+$"}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": sorted(properties),
        "properties": properties,
        "additionalProperties": False,
    }


def _list_of(item: str) -> dict[str, Any]:
    return _object(
        {
            "data": {"type": "array", "items": _ref(item)},
            "next_cursor": _nullable(
                {"type": "string", "description": "Pass as `cursor` for the next page."}
            ),
            "next": _nullable({"type": "string", "description": "The next page's URL."}),
        }
    )


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": STRING, "detail": _nullable(STRING), "path": STRING},
        "additionalProperties": False,
    },
    "Named": _object({"name": STRING, "slug": STRING}),
    "Make": _object({"name": STRING, "slug": STRING, "url": URL}),
    "Model": _object(
        {
            "make": STRING,
            "name": STRING,
            "slug": STRING,
            "model_code": _nullable(STRING),
            "url": URL,
        }
    ),
    "Vehicle": _object(
        {
            "id": {"type": "integer", "minimum": 1},
            "make": _ref("Named"),
            "model": _ref("Named"),
            "year": {"type": "integer", "minimum": YEARS.start, "maximum": YEARS.stop - 1},
            "variant": STRING,
            "market": STRING,
            "url": URL,
        }
    ),
    "Part": _object(
        {
            "brand": _ref("Named"),
            "mpn": STRING,
            "mpn_slug": STRING,
            "title": STRING,
            "category": _nullable(STRING),
            "description": STRING,
            "image_url": _nullable(STRING),
            "url": URL,
        }
    ),
    "VehiclePart": _object(
        {
            "fitment_id": {"type": "integer"},
            "position": STRING,
            "qty": {"type": "integer", "minimum": 1},
            "note": STRING,
            "part": _ref("Part"),
        }
    ),
    "Fitment": _object(
        {
            "fitment_id": {"type": "integer"},
            "position": STRING,
            "qty": {"type": "integer", "minimum": 1},
            "note": STRING,
            "verified_at": _nullable({"type": "string", "format": "date-time"}),
            "vehicle": _ref("Vehicle"),
        }
    ),
    "Offer": _object(
        {
            "id": {"type": "integer"},
            "retailer": STRING,
            "price": _nullable({"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$"}),
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "in_stock": _nullable({"type": "boolean"}),
            "fetched_at": {"type": "string", "format": "date-time"},
            "url": URL,
        }
    ),
    "MakeList": _list_of("Make"),
    "ModelList": _list_of("Model"),
    "VehicleList": _list_of("Vehicle"),
    "VehiclePartList": _list_of("VehiclePart"),
    "FitmentList": _list_of("Fitment"),
    "OfferList": _list_of("Offer"),
}

PARAMETERS: dict[str, Any] = {
    "limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "Items per page.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    },
    "cursor": {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "`next_cursor` of the previous page.",
        "schema": {"type": "string", "maxLength": 512},
    },
    "year": {
        "name": "year",
        "in": "query",
        "required": False,
        "description": "Only this model year.",
        "schema": {"type": "integer", "minimum": YEARS.start, "maximum": YEARS.stop - 1},
    },
    "make": {
        "name": "make_slug",
        "in": "path",
        "required": True,
        "schema": SLUG,
        "example": "honda",
    },
    "model": {
        "name": "model_slug",
        "in": "path",
        "required": True,
        "schema": SLUG,
        "example": "cbr600rr",
    },
    "brand": {
        "name": "brand_slug",
        "in": "path",
        "required": True,
        "schema": SLUG,
        "example": "ebc-brakes",
    },
    "mpn": {
        "name": "mpn_slug",
        "in": "path",
        "required": True,
        "description": "The part number in any spelling (FA-390HH, fa390hh).",
        "schema": SLUG,
        "example": "fa390hh",
    },
    "vehicle": {
        "name": "vehicle_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    },
}


def _response(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


ERRORS = {
    "400": _response("Error", "A parameter is not valid."),
    "404": _response("Error", "No such resource."),
    "503": _response("Error", "The catalog database cannot be reached; retry later."),
}
NOT_MODIFIED = {"304": {"description": "Not modified (the ETag matched)."}}


def _get(
    summary: str, schema: str, parameters: list[str], operation_id: str, *, listing: bool = False
) -> dict[str, Any]:
    names = parameters + (["limit", "cursor"] if listing else [])
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in names],
            "responses": {"200": _response(schema, summary), **NOT_MODIFIED, **ERRORS},
        }
    }


PATHS: dict[str, Any] = {
    "/api/v1/makes": _get("Makes that have models.", "MakeList", [], "listMakes", listing=True),
    "/api/v1/makes/{make_slug}/models": _get(
        "A make's models.", "ModelList", ["make"], "listModels", listing=True
    ),
    "/api/v1/makes/{make_slug}/models/{model_slug}/vehicles": _get(
        "A model's vehicles.",
        "VehicleList",
        ["make", "model", "year"],
        "listVehicles",
        listing=True,
    ),
    "/api/v1/vehicles/{vehicle_id}": _get("One vehicle.", "Vehicle", ["vehicle"], "getVehicle"),
    "/api/v1/vehicles/{vehicle_id}/parts": _get(
        "Parts verified to fit a vehicle.",
        "VehiclePartList",
        ["vehicle"],
        "listVehicleParts",
        listing=True,
    ),
    "/api/v1/parts/{brand_slug}/{mpn_slug}": _get("One part.", "Part", ["brand", "mpn"], "getPart"),
    "/api/v1/parts/{brand_slug}/{mpn_slug}/fitments": _get(
        "Vehicles a part is verified to fit.",
        "FitmentList",
        ["brand", "mpn"],
        "listPartFitments",
        listing=True,
    ),
    "/api/v1/parts/{brand_slug}/{mpn_slug}/offers": _get(
        "Retailer prices for a part.",
        "OfferList",
        ["brand", "mpn"],
        "listPartOffers",
        listing=True,
    ),
}


def document() -> dict[str, Any]:
    """The whole OpenAPI document (paths are absolute, so no `servers` entry is needed)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "MotoPartPicker API",
            "version": VERSION,
            "description": (
                "Read-only access to makes, models, vehicles, verified fitments and retailer "
                "offers. Lists are paginated with opaque cursors (`next_cursor`)."
            ),
        },
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "parameters": PARAMETERS},
    }
