"""The API against its own OpenAPI document, fuzzed by schemathesis: every status code,
content type, header and body must be one the document promises, none may be a 5xx, and
every request the document calls valid must be accepted."""

from __future__ import annotations

import copy
from typing import Any

import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from app.api.openapi import document
from tests.public.conftest import Garage


def _without_cursor(doc: dict[str, Any]) -> dict[str, Any]:
    """The document minus the `cursor` parameter.

    A cursor is opaque: only tokens the API handed out are valid, which no schema can
    express, so a fuzzer's "valid" cursor is refused with a 400 by design. Cursors are
    covered in test_api.py (round trips, tampered and malformed tokens).
    """
    doc = copy.deepcopy(doc)
    for path in doc["paths"].values():
        operation = path["get"]
        operation["parameters"] = [
            p for p in operation["parameters"] if p["$ref"] != "#/components/parameters/cursor"
        ]
    return doc


# Plain data (app/api/openapi.py); test_served_document_is_this_one checks the app serves
# exactly it. Requests go to the app in-process (WSGI), inside the test's transaction.
schema = schemathesis.openapi.from_dict(_without_cursor(document()))


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_matches_its_openapi_document(
    case: Any, app: Flask, client: FlaskClient, garage: Garage
) -> None:
    case.operation.schema.app = app
    # The in-process client does not decompress; compression has its own tests.
    case.call_and_validate(app=app, headers={"Accept-Encoding": "identity"})


def test_served_document_is_this_one(client: FlaskClient) -> None:
    assert client.get("/api/v1/openapi.json").get_json() == document()
