"""Health endpoints: /healthz (process up, no DB) and /readyz (database reachable)."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness: answers without touching the database so a DB outage never restarts us."""
    return jsonify(status="ok"), 200, {"Cache-Control": "no-store"}


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Readiness: 200 when a trivial query succeeds, else 503 with the reason."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        reason = type(getattr(exc, "orig", None) or exc).__name__
        log.warning("readiness check failed: %s", reason)
        return (
            jsonify(status="unavailable", reason=f"database unreachable ({reason})"),
            503,
            {"Cache-Control": "no-store"},
        )
    return jsonify(status="ok", database="reachable"), 200, {"Cache-Control": "no-store"}
