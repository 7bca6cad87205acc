"""The read-only JSON API, versioned under /api/v1 (OpenAPI document at /api/v1/openapi.json)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import views  # noqa: E402  # registers the routes on bp

__all__ = ["bp", "views"]
