"""Public site: the read-only blueprint riders use (picker, bike and part pages, search, SEO).

Registering the blueprint also sets up the app-wide pieces the public site depends on:
response compression (Flask-Compress), the page cache, read-only mode and its admin-write
guard, and the counter buffer. They hang off this blueprint's registration so create_app
stays one line per area.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import cast

from flask import Blueprint, Flask, Response, current_app, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_compress import Compress
from sqlalchemy.exc import SQLAlchemyError

from app import pagecache, readonly
from app.extensions import db

log = logging.getLogger(__name__)

# The app is built with static_folder=None, so the public blueprint owns /static/.
bp = Blueprint(
    "public",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
compress = Compress()
STATIC_DIR = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=300"
MAX_BUFFERED_STATIC = 1024 * 1024
_fingerprints: dict[str, str] = {}
PRECOMPILED_TEMPLATES = (
    "base.html",
    "errors/404.html",
    "errors/generic.html",
    "public/_macros.html",
    "public/_saved_notice.html",
    "public/home.html",
    "public/make.html",
    "public/model.html",
    "public/bike.html",
    "public/part.html",
    "public/search.html",
)


def asset(filename: str) -> str:
    """URL of a static file with a content fingerprint (`?v=…`): cacheable for a year."""
    fingerprint = _fingerprints.get(filename)
    if fingerprint is None or current_app.debug:
        try:
            digest = hashlib.sha256((STATIC_DIR / filename).read_bytes()).hexdigest()
        except OSError:
            digest = ""
        fingerprint = _fingerprints[filename] = digest[:12]
    return url_for("public.static", filename=filename, v=fingerprint or None)


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    app = cast(Flask, state.app)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    compress.init_app(app)
    pagecache.init_app(app)
    readonly.init_app(app)
    counters.init_app(app)
    caching.init_app(app)
    app.add_template_global(asset, "asset")
    app.add_template_global(readonly.is_read_only, "is_read_only")


def _static_cache_control(response: Response) -> Response:
    """A year for fingerprinted URLs whose fingerprint is current; five minutes otherwise."""
    filename = (request.view_args or {}).get("filename", "")
    version = request.args.get("v")
    current = _fingerprints.get(filename)
    response.headers["Cache-Control"] = IMMUTABLE if version and version == current else REVALIDATE
    if response.status_code == 200 and (response.content_length or 0) < MAX_BUFFERED_STATIC:
        # Read our small files into memory so compression handles them as whole bodies
        # (gzip included) and the file is closed with the response, not left to the GC.
        response.direct_passthrough = False
        response.make_sequence()
    return response


@bp.before_request
def _before() -> ResponseReturnValue | None:
    return caching.before_request()


@bp.after_request
def _after(response: Response) -> Response:
    if request.endpoint == "public.static":
        return _static_cache_control(response)
    return caching.after_request(response)


@bp.errorhandler(SQLAlchemyError)
def _database_error(error: SQLAlchemyError) -> ResponseReturnValue:
    """Database trouble during a public page: saved copy if we have one, else a plain 503."""
    db.session.rollback()
    if not readonly.is_unreachable_error(error):
        raise error
    readonly.mark_database_unreachable()
    log.warning("database unreachable while rendering %s", request.path)
    return caching.saved_copy_or_unavailable()


from app.public import caching, counters, go, seo, views  # noqa: E402  # routes and hooks


@bp.record_once
def _precompile_templates(state: BlueprintSetupState) -> None:
    """Compile the templates at startup (after the views registered their filters): under
    gunicorn's preload_app that happens once in the master, and every (recycled) worker
    inherits them instead of compiling its own on its first requests."""
    app = cast(Flask, state.app)
    if not app.testing:
        for name in PRECOMPILED_TEMPLATES:
            app.jinja_env.get_template(name)


__all__ = ["asset", "bp", "caching", "counters", "go", "seo", "views"]
