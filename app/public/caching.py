"""HTTP caching and degraded mode for the public pages, around app.pagecache.

Every public page has a policy: how long a rendered copy is served as is (fresh), which
query parameters change it (everything else is ignored, so `?x=random` cannot flood the
cache), and its Cache-Control. Before the view runs, a fresh saved copy is answered directly
(with 304 when the browser's ETag still matches). After the view, the rendered page is saved.

When the database is unreachable (app.readonly), the saved copy is served whatever its age,
with a "showing saved data" notice in place of the `<!--saved-copy-notice-->` marker, and
pages never saved get a plain 503 that points at pages that work.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, Request, Response, current_app, g, render_template, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from app import pagecache, readonly
from app.public import counters
from app.services.bikes import BikeFilters
from app.services.clicks import is_bot

NOTICE_MARKER = b"<!--saved-copy-notice-->"
PAGE_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=600, stale-if-error=86400"
DEGRADED_CACHE_CONTROL = "no-store"


def _no_args(args: MultiDict[str, str]) -> str:
    return ""


def _bike_args(args: MultiDict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(BikeFilters.parse(args).args().items()))


@dataclass(frozen=True)
class Policy:
    """How one endpoint's pages are cached."""

    fresh_setting: str  # config key: seconds a saved copy is served without re-rendering
    cache_control: str
    args: Callable[[MultiDict[str, str]], str] = _no_args

    def fresh_seconds(self, app: Flask | None = None) -> float:
        return float((app or current_app).config.get(self.fresh_setting, 0))


POLICIES = {
    "public.home": Policy("PAGE_CACHE_SECONDS", PAGE_CACHE_CONTROL),
    "public.make": Policy("PAGE_CACHE_SECONDS", PAGE_CACHE_CONTROL),
    "public.model": Policy("PAGE_CACHE_SECONDS", PAGE_CACHE_CONTROL),
    "public.bike": Policy("PAGE_CACHE_SECONDS", PAGE_CACHE_CONTROL, _bike_args),
    "public.part": Policy("PAGE_CACHE_SECONDS", PAGE_CACHE_CONTROL),
}
# Searches are not saved: each is counted for the metrics, their variety would crowd the
# catalog pages out of the cache, and without the database there is nothing to search.


def key_for(endpoint: str, view_args: Mapping[str, Any], args: MultiDict[str, str]) -> str | None:
    """The cache key of a page: endpoint, lower-cased path values, the policy's parameters."""
    policy = POLICIES.get(endpoint)
    if policy is None:
        return None
    values = "/".join(f"{name}={str(value).lower()}" for name, value in sorted(view_args.items()))
    return f"{endpoint}|{values}|{policy.args(args)}"


def count_view(
    buffer: counters.CounterBuffer,
    offer_ids: Iterable[int],
    view_metrics: Iterable[Sequence[str]],
) -> None:
    """One view of a page by a person: its offers' impressions and its view counters."""
    if offer_ids:
        buffer.add_impressions(offer_ids)
    for name, dimension in view_metrics:
        buffer.add_metric(name, dimension)


def count_as_viewing(*metrics: tuple[str, str]) -> None:
    """Counters every view of this page adds (saved with the page, so cached views count)."""
    g.view_metrics = metrics


def dont_save() -> None:
    """Keep this response out of the cache (a view's answer to input not worth a copy)."""
    g.page_key = None


def page_key() -> str | None:
    """The cache key of this request, or None when the endpoint is not cached."""
    if request.method not in {"GET", "HEAD"}:
        return None
    return key_for(request.endpoint or "", request.view_args or {}, request.args)


def _encoding(incoming: Request) -> str | None:
    for encoding in pagecache.ENCODINGS:
        if incoming.accept_encodings[encoding] > 0:
            return encoding
    return None


def saved_response(page: pagecache.CachedPage, incoming: Request | None = None) -> Response:
    """A fresh saved copy with its validators (304 when the browser has it already)."""
    incoming = incoming or request
    encoding = _encoding(incoming)
    body = page.encode(encoding) if encoding else page.plain()
    response = Response(body, mimetype=page.mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.headers["Cache-Control"] = page.cache_control
    response.set_etag(f"{page.etag}:{encoding}" if encoding else page.etag)
    response.last_modified = dt.datetime.fromtimestamp(page.stored_at, dt.UTC)
    response.vary.add("Accept-Encoding")
    response.make_conditional(incoming)
    return response


def degraded_response(page: pagecache.CachedPage) -> Response:
    """A saved copy of any age, marked as such, while the database is unreachable."""
    saved_at = dt.datetime.fromtimestamp(page.stored_at, dt.UTC)
    notice = render_template("public/_saved_notice.html", saved_at=saved_at)
    body = page.plain().replace(NOTICE_MARKER, str(notice).encode(), 1)
    response = Response(body, mimetype=page.mimetype)
    response.headers["Cache-Control"] = DEGRADED_CACHE_CONTROL
    response.headers["X-Served-From"] = "saved-copy"
    return response


def unavailable_response() -> ResponseReturnValue:
    """503 for a page we have no saved copy of while the database is unreachable."""
    body = render_template(
        "errors/generic.html",
        code=503,
        title="This page is not available right now",
        message=(
            "We can't reach our catalog at the moment and have no saved copy of this page. "
            "Pages opened recently still work: try the home page, or come back in a minute."
        ),
    )
    return body, 503, {"Retry-After": "30", "Cache-Control": DEGRADED_CACHE_CONTROL}


def saved_copy_or_unavailable() -> ResponseReturnValue:
    """After a failed query: this page's saved copy (any age) or the 503 page."""
    g.served_saved = True
    key = page_key()
    page = pagecache.get_cache().get(key) if key else None
    return degraded_response(page) if page is not None else unavailable_response()


def before_request() -> ResponseReturnValue | None:
    """Answer from the page cache when the copy is fresh, or when the database is down."""
    g.served_saved = False  # `g` can outlive a request (a test's app context): start clean
    g.offer_ids = ()
    g.view_metrics = ()
    key = g.page_key = page_key()
    if key is None:
        return None
    page = pagecache.get_cache().get(key)
    database_down = readonly.is_database_down()
    if database_down:
        g.served_saved = True
        return degraded_response(page) if page is not None else unavailable_response()
    if page is None:
        return None
    if page.age() < POLICIES[request.endpoint or ""].fresh_seconds():
        g.served_saved = True
        g.offer_ids = page.meta.get("offer_ids", ())
        g.view_metrics = page.meta.get("metrics", ())
        return saved_response(page)
    return None


def after_request(response: Response) -> Response:
    """Save what the view rendered, add validators, count impressions, flush counters."""
    key = g.get("page_key")
    rendered = not g.get("served_saved")
    if rendered and response.status_code < 500:
        readonly.mark_database_reachable()  # the view's queries worked
    if key and rendered and response.status_code == 200:
        policy = POLICIES.get(request.endpoint or "")
        if policy is not None:
            response.headers.setdefault("Cache-Control", policy.cache_control)
    if (
        key
        and rendered
        and response.status_code == 200
        and not response.is_streamed
        and response.mimetype == "text/html"
        and "Content-Encoding" not in response.headers
    ):
        body = response.get_data()
        page = pagecache.CachedPage(
            key=key,
            body=body,
            etag=pagecache.etag_for(body),
            stored_at=time.time(),
            mimetype=response.mimetype,
            cache_control=response.headers.get("Cache-Control", ""),
            meta={
                "offer_ids": list(g.get("offer_ids", ())),
                "metrics": [list(metric) for metric in g.get("view_metrics", ())],
            },
        )
        pagecache.get_cache().put(page)
        response.set_etag(page.etag)
        response.last_modified = dt.datetime.fromtimestamp(page.stored_at, dt.UTC)
        response.make_conditional(request)
    if response.status_code in {200, 304} and not is_bot(request.user_agent.string):
        count_view(counters.buffer(), g.get("offer_ids", ()), g.get("view_metrics", ()))
    counters.flush()
    return response


class SharedPageSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, minus "Vary: Cookie" on the cached public pages.

    The login extensions read the session on every request, so Flask would add "Vary:
    Cookie" everywhere; but a cached page is the same bytes for every visitor (its saved copy
    is served whatever the cookies), so shared caches may keep one copy for all of them.
    """

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        super().save_session(app, session, response)
        if g.get("page_key") and not session.modified:
            response.vary.discard("cookie")  # lower case: HeaderSet.remove compares so


def init_app(app: Flask) -> None:
    """Defaults for the cache settings (tests override them), and the WSGI shortcut."""
    from app.public.shortcut import SavedPageShortcut

    app.config.setdefault("PAGE_CACHE_SECONDS", 300)
    app.session_interface = SharedPageSessionInterface()
    app.wsgi_app = SavedPageShortcut(app, app.wsgi_app)  # type: ignore[method-assign]
