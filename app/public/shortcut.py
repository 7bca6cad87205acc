"""WSGI middleware: answer fresh saved pages before Flask builds a request context.

A saved page needs no login, session, rate limit, view or template, and the per-request work
of those (and of building werkzeug Request/Response objects) costs more than sending the
bytes. So GET/HEAD requests for a page with a fresh copy are answered here, with the same
body, validators (ETag, Last-Modified, 304), compression, Cache-Control and security headers
as the Flask path (tests/public/test_caching.py compares the two). Anything else — no copy,
a stale copy, the database down, counters due for a flush, other methods and URLs — goes on
to Flask unchanged, and Flask saves what it renders for the next request.

What makes it cheap: a request URI is routed (url_map) and keyed once per process, then
remembered; Accept-Encoding strings are parsed once each; headers are a prepared list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date, is_resource_modified, parse_accept_header

from app import pagecache, readonly
from app.headers import SECURITY_HEADERS
from app.public import caching, counters
from app.services.clicks import is_bot

StartResponse = Callable[..., Any]
MEMO_SIZE = 5_000  # distinct URIs (and Accept-Encoding strings) remembered per process
# Longer strings are answered but never remembered: a client sending huge headers or URLs
# must not be able to fill a worker's memory (5,000 x 512 bytes at most).
MEMO_MAX_CHARS = 512
SECURITY_ITEMS = list(SECURITY_HEADERS.items())
DROPPED_ON_304 = {"Content-Type", "Content-Length", "Content-Encoding"}


class SavedPageShortcut:
    """Serves fresh saved copies of cacheable public pages straight from the page cache."""

    PREFIXES = ("/bikes/", "/parts/")

    def __init__(self, app: Flask, wsgi_app: Any) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._keys: dict[tuple[str, str], tuple[str, caching.Policy] | None] = {}
        self._encodings: dict[str, str | None] = {}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        page = self._fresh_copy(environ)
        if page is None:
            return self.wsgi_app(environ, start_response)
        user_agent = environ.get("HTTP_USER_AGENT", "")
        if not is_bot(user_agent):
            caching.count_view(
                counters.buffer(self.app),
                page.meta.get("offer_ids", ()),
                page.meta.get("metrics", ()),
            )
        return self._respond(page, environ, start_response)

    # ------------------------------------------------------------------ lookup

    def _fresh_copy(self, environ: dict[str, Any]) -> pagecache.CachedPage | None:
        """The saved page for this request when it may be served here, else None."""
        app = self.app
        path = environ.get("PATH_INFO", "")
        keyed = None
        if (
            environ.get("REQUEST_METHOD") in {"GET", "HEAD"}
            # If-Match (412) and Range requests are Flask's business: they are rare.
            and "HTTP_IF_MATCH" not in environ
            and "HTTP_RANGE" not in environ
            and (path == "/" or path.startswith(self.PREFIXES))
            and not app.extensions[readonly.EXTENSION_KEY].database_down()
            and not counters.buffer(app).is_due(app.config.get("METRICS_FLUSH_SECONDS", 10))
        ):
            keyed = self._key(environ, path)
        if keyed is None:
            return None
        key, policy = keyed
        page = pagecache.get_cache(app).get(key)
        if page is None or page.age() >= policy.fresh_seconds(app):
            return None
        return page

    def _key(self, environ: dict[str, Any], path: str) -> tuple[str, caching.Policy] | None:
        """(cache key, policy) of a request URI: routed once, then remembered."""
        query = environ.get("QUERY_STRING", "")
        uri = (path, query)
        try:
            return self._keys[uri]
        except KeyError:
            pass
        keyed: tuple[str, caching.Policy] | None = None
        try:
            endpoint, view_args = self.app.url_map.bind_to_environ(environ).match()
        except HTTPException:
            endpoint, view_args = "", {}
        policy = caching.POLICIES.get(str(endpoint))
        if policy is not None:
            args: MultiDict[str, str] = MultiDict(parse_qsl(query, keep_blank_values=True))
            key = caching.key_for(str(endpoint), view_args, args)
            keyed = (key, policy) if key else None
        if len(path) + len(query) <= MEMO_MAX_CHARS:
            if len(self._keys) >= MEMO_SIZE:
                self._keys.clear()
            self._keys[uri] = keyed
        return keyed

    def _encoding(self, accept: str) -> str | None:
        """The best encoding we have for an Accept-Encoding header (q=0 respected)."""
        try:
            return self._encodings[accept]
        except KeyError:
            pass
        offered = parse_accept_header(accept)
        chosen = next((name for name in pagecache.ENCODINGS if offered[name] > 0), None)
        if len(accept) <= MEMO_MAX_CHARS:
            if len(self._encodings) >= MEMO_SIZE:
                self._encodings.clear()
            self._encodings[accept] = chosen
        return chosen

    # ------------------------------------------------------------------ response

    def _respond(
        self, page: pagecache.CachedPage, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        encoding = self._encoding(environ.get("HTTP_ACCEPT_ENCODING", ""))
        body = page.encode(encoding) if encoding else page.plain()
        etag = f"{page.etag}:{encoding}" if encoding else page.etag
        last_modified = http_date(page.stored_at)
        headers = [
            ("Content-Type", f"{page.mimetype}; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", page.cache_control),
            ("ETag", f'"{etag}"'),
            ("Last-Modified", last_modified),
            ("Vary", "Accept-Encoding"),
            *SECURITY_ITEMS,
        ]
        if encoding:
            headers.append(("Content-Encoding", encoding))
        if not is_resource_modified(environ, etag=etag, last_modified=last_modified):
            start_response("304 NOT MODIFIED", [h for h in headers if h[0] not in DROPPED_ON_304])
            return []
        start_response("200 OK", headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]
