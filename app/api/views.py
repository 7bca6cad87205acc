"""JSON API v1 routes: parse and validate parameters, call app.services.listings, serialize.

Lists use cursor pagination: `next_cursor` is an opaque token (base64url JSON of the last
key); pass it back as `cursor`. Every response carries an ETag (304 on a match), a public
Cache-Control, and CORS headers for GET. Errors are JSON: {"error": ..., "detail": ...}.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NoReturn

from flask import Response, abort, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app import readonly
from app.api import bp
from app.api.openapi import document
from app.extensions import db
from app.services import listings
from app.services.catalog import YEARS

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_CURSOR = 512
MAX_BIGINT = 2**63 - 1
CACHE_CONTROL = "public, max-age=300"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, If-None-Match, If-Modified-Since",
    "Access-Control-Expose-Headers": "ETag",
    "Access-Control-Max-Age": "86400",
}


class BadRequest(Exception):
    """A parameter the API cannot use; answered with 400 and the reason."""


# ---------------------------------------------------------------- parameters


def _limit() -> int:
    raw = request.args.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdecimal() or len(raw) > 4 or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def _year() -> int | None:
    raw = request.args.get("year")
    if raw is None:
        return None
    if not raw.isdecimal() or len(raw) != 4 or int(raw) not in YEARS:
        raise BadRequest(f"year must be a model year from {YEARS.start} to {YEARS.stop - 1}")
    return int(raw)


def _cursor(check: Callable[[Any], bool]) -> Any:
    """The decoded cursor, or None without one; BadRequest when it is not one of ours."""
    raw = request.args.get("cursor")
    if raw is None:
        return None
    try:
        if len(raw) > MAX_CURSOR:
            raise ValueError("too long")
        value = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise BadRequest("cursor is not valid; use next_cursor from a previous page") from None
    if not check(value):
        raise BadRequest("cursor is not valid; use next_cursor from a previous page")
    return value


def _encode(key: Any) -> str | None:
    if key is None:
        return None
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _is_slug(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 200 and not CONTROL.search(value)


def _is_id(value: Any, top: int = listings.MAX_ID) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= top


def _is_year_id(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and _is_id(value[0])
        and value[0] in YEARS
        and _is_id(value[1])
    )


def _slug(value: str) -> str:
    """A path segment as text for the services (controls dropped, bounded)."""
    return CONTROL.sub("", value)[:200]


def _not_found(what: str) -> NoReturn:
    abort(404, description=f"No such {what}.")


# ---------------------------------------------------------------- serializers


def _absolute(endpoint: str, **values: Any) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def _make(item: listings.MakeItem) -> dict[str, Any]:
    return {
        "name": item.name,
        "slug": item.slug,
        "url": _absolute("public.make", make_slug=item.slug),
    }


def _model(item: listings.ModelItem) -> dict[str, Any]:
    return {
        "make": item.make_slug,
        "name": item.name,
        "slug": item.slug,
        "model_code": item.model_code,
        "url": _absolute("public.model", make_slug=item.make_slug, model_slug=item.slug),
    }


def _vehicle(item: listings.VehicleItem) -> dict[str, Any]:
    slugs = {"make_slug": item.make_slug, "model_slug": item.model_slug}
    return {
        "id": item.id,
        "make": {"name": item.make_name, "slug": item.make_slug},
        "model": {"name": item.model_name, "slug": item.model_slug},
        "year": item.year,
        "variant": item.variant,
        "market": item.market,
        "url": _absolute("public.bike", **slugs, year=item.year),
    }


def _part(item: listings.PartItem) -> dict[str, Any]:
    return {
        "brand": {"name": item.brand_name, "slug": item.brand_slug},
        "mpn": item.mpn,
        "mpn_slug": item.mpn_slug,
        "title": item.title,
        "category": item.category,
        "description": item.description,
        "image_url": item.image_url,
        "url": _absolute("public.part", brand_slug=item.brand_slug, mpn_slug=item.mpn_slug),
    }


def _time(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def _price(value: Decimal | None) -> str | None:
    return f"{value:.2f}" if value is not None else None


def _list(page: listings.Page[Any], serialize: Callable[[Any], dict[str, Any]]) -> Response:
    cursor = _encode(page.next_key)
    next_url = None
    if cursor:
        kept = {name: request.args[name] for name in ("limit", "year") if name in request.args}
        values = {**(request.view_args or {}), **kept, "cursor": cursor}
        next_url = url_for(request.endpoint or "", **values)
    items = [serialize(item) for item in page.items]
    return _json({"data": items, "next_cursor": cursor, "next": next_url})


def _json(payload: Any, status: int = 200) -> Response:
    response = jsonify(payload)
    response.status_code = status
    if status == 200:
        response.headers["Cache-Control"] = CACHE_CONTROL
        response.add_etag()
        response.make_conditional(request)
    return response


# ---------------------------------------------------------------- hooks


@bp.before_request
def _refuse_when_database_down() -> ResponseReturnValue | None:
    if readonly.is_database_down() and request.endpoint != "api.openapi":
        return _unavailable()
    return None


@bp.after_request
def _cors(response: Response) -> Response:
    response.headers.update(CORS_HEADERS)
    response.vary.add("Accept-Encoding")
    return response


def _unavailable() -> Response:
    response = jsonify(error="unavailable", detail="The catalog database cannot be reached.")
    response.status_code = 503
    response.headers["Retry-After"] = "30"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(BadRequest)
def _bad_request(error: BadRequest) -> ResponseReturnValue:
    return _json({"error": "bad request", "detail": str(error)}, 400)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> ResponseReturnValue:
    payload = {"error": (error.name or "error").lower(), "detail": error.description or ""}
    return _json(payload, error.code or 500)


@bp.errorhandler(SQLAlchemyError)
def _database_error(error: SQLAlchemyError) -> ResponseReturnValue:
    db.session.rollback()
    if not readonly.is_unreachable_error(error):
        raise error
    readonly.mark_database_unreachable()
    return _unavailable()


# ---------------------------------------------------------------- routes


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.0 document describing every route here."""
    return _json(document())


@bp.get("/makes")
def makes() -> ResponseReturnValue:
    """Makes that have models, by slug."""
    page = listings.makes(db.session(), _cursor(_is_slug), _limit())
    return _list(page, _make)


@bp.get("/makes/<make_slug>/models")
def models(make_slug: str) -> ResponseReturnValue:
    """A make's models, by slug."""
    limit, after = _limit(), _cursor(_is_slug)
    page = listings.models(db.session(), _slug(make_slug), after, limit)
    if page is None:
        _not_found("make")
    return _list(page, _model)


@bp.get("/makes/<make_slug>/models/<model_slug>/vehicles")
def vehicles(make_slug: str, model_slug: str) -> ResponseReturnValue:
    """A model's vehicles (model years, variants, markets), by year."""
    limit, after, year = _limit(), _cursor(_is_year_id), _year()
    key = (after[0], after[1]) if after else None
    page = listings.vehicles(
        db.session(), _slug(make_slug), _slug(model_slug), key, limit, year=year
    )
    if page is None:
        _not_found("model")
    return _list(page, _vehicle)


@bp.get("/vehicles/<int:vehicle_id>")
def vehicle(vehicle_id: int) -> ResponseReturnValue:
    """One vehicle."""
    item = listings.vehicle(db.session(), vehicle_id)
    if item is None:
        _not_found("vehicle")
    return _json(_vehicle(item))


@bp.get("/vehicles/<int:vehicle_id>/parts")
def vehicle_parts(vehicle_id: int) -> ResponseReturnValue:
    """The parts verified to fit a vehicle."""
    limit, after = _limit(), _cursor(lambda v: _is_id(v, MAX_BIGINT))
    page = listings.vehicle_parts(db.session(), vehicle_id, after, limit)
    if page is None:
        _not_found("vehicle")
    return _list(
        page,
        lambda item: {
            "fitment_id": item.fitment_id,
            "position": item.position,
            "qty": item.qty,
            "note": item.note,
            "part": _part(item.part),
        },
    )


@bp.get("/parts/<brand_slug>/<mpn_slug>")
def part(brand_slug: str, mpn_slug: str) -> ResponseReturnValue:
    """One part, by brand slug and part number (any spelling: CM-4401, cm4401)."""
    item = listings.part(db.session(), _slug(brand_slug), _slug(mpn_slug))
    if item is None:
        _not_found("part")
    return _json(_part(item))


@bp.get("/parts/<brand_slug>/<mpn_slug>/fitments")
def part_fitments(brand_slug: str, mpn_slug: str) -> ResponseReturnValue:
    """The vehicles a part is verified to fit."""
    limit, after = _limit(), _cursor(lambda v: _is_id(v, MAX_BIGINT))
    page = listings.part_fitments(db.session(), _slug(brand_slug), _slug(mpn_slug), after, limit)
    if page is None:
        _not_found("part")
    return _list(
        page,
        lambda item: {
            "fitment_id": item.fitment_id,
            "position": item.position,
            "qty": item.qty,
            "note": item.note,
            "verified_at": _time(item.verified_at),
            "vehicle": _vehicle(item.vehicle),
        },
    )


@bp.get("/parts/<brand_slug>/<mpn_slug>/offers")
def part_offers(brand_slug: str, mpn_slug: str) -> ResponseReturnValue:
    """Retailer prices for a part; `url` is our click-through link."""
    limit, after = _limit(), _cursor(_is_id)
    page = listings.part_offers(db.session(), _slug(brand_slug), _slug(mpn_slug), after, limit)
    if page is None:
        _not_found("part")
    return _list(
        page,
        lambda item: {
            "id": item.id,
            "retailer": item.retailer,
            "price": _price(item.price),
            "currency": item.currency,
            "in_stock": item.in_stock,
            "fetched_at": _time(item.fetched_at),
            "url": _absolute("public.go", offer_id=item.id),
        },
    )
