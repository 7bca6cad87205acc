"""Error pages that help: 404 suggests where to go, 500 never leaks internals."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app: Flask) -> None:
    """Register handlers for 404, 429 and unexpected errors."""

    @app.errorhandler(404)
    def not_found(error: HTTPException) -> ResponseReturnValue:
        if _wants_json():
            return {"error": "not found", "path": request.path}, 404
        return render_template("errors/404.html", description=error.description), 404

    @app.errorhandler(429)
    def too_many(error: HTTPException) -> ResponseReturnValue:
        return render_template(
            "errors/generic.html", code=429, title="Slow down", message=error.description
        ), 429

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> ResponseReturnValue:
        if isinstance(error, HTTPException):
            code = error.code or 500
            # Keep the exception's own headers (405's Allow, 429's Retry-After).
            headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
            if _wants_json():
                payload = {"error": (error.name or "error").lower(), "detail": error.description}
                return payload, code, headers
            return (
                render_template(
                    "errors/generic.html", code=code, title=error.name, message=error.description
                ),
                code,
                headers,
            )
        log.exception("unhandled error")
        return render_template(
            "errors/generic.html",
            code=500,
            title="Something went wrong",
            message="We have been told about it. Please try again shortly.",
        ), 500
