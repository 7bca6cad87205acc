"""HTTP caching: validators, 304s, Cache-Control per page, the page cache, compression and
fingerprinted static files."""

from __future__ import annotations

import gzip
import random
import re

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import pagecache
from tests.public.conftest import CatalogBuilder, Garage

PAGES = [
    "/",
    "/bikes/honda",
    "/bikes/honda/cbr600rr",
    "/bikes/honda/cbr600rr/2015",
    "/parts/ebc-brakes/fa390hh",
]


@pytest.fixture
def cached(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Saved pages are served for five minutes, as in production."""
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 300)


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_validators_and_answer_304(
    client: FlaskClient, garage: Garage, cached: None, path: str
) -> None:
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{24}"', etag)
    assert first.headers["Last-Modified"]
    assert first.headers["Cache-Control"].startswith("public, max-age=300")
    assert "stale-if-error" in first.headers["Cache-Control"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    since = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    changed = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200


def test_fresh_saved_pages_skip_the_database(
    client: FlaskClient, garage: Garage, cached: None, count_queries: list[str]
) -> None:
    first = client.get("/bikes/honda/cbr600rr/2015")
    assert count_queries
    count_queries.clear()
    second = client.get("/bikes/honda/cbr600rr/2015")
    assert second.get_data() == first.get_data()
    assert count_queries == []


def test_unknown_parameters_share_one_saved_page(
    app: Flask, client: FlaskClient, garage: Garage, cached: None
) -> None:
    cache = pagecache.get_cache(app)
    client.get("/bikes/honda/cbr600rr/2015")
    for n in range(5):
        client.get(f"/bikes/honda/cbr600rr/2015?utm_source={n}&x={n}")
    client.get("/bikes/HONDA/cbr600rr/2015")
    assert len(cache) == 1
    client.get("/bikes/honda/cbr600rr/2015?sort=brand")
    client.get("/bikes/honda/cbr600rr/2015?sort=brand&page=1")
    assert len(cache) == 2


def test_expired_pages_are_rendered_again(
    app: Flask,
    client: FlaskClient,
    garage: Garage,
    build: CatalogBuilder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 0)
    client.get("/parts/ebc-brakes/fa390hh")
    build.offer(garage.pads, build.retailer("New Shop"), "10.00")
    assert "New Shop" in client.get("/parts/ebc-brakes/fa390hh").get_data(as_text=True)


@pytest.mark.parametrize(
    ("encoding", "decompress"), [("gzip", gzip.decompress), ("br", brotli.decompress)]
)
def test_pages_are_compressed_with_their_own_etag(
    client: FlaskClient, garage: Garage, cached: None, encoding: str, decompress: object
) -> None:
    plain = client.get("/bikes/honda/cbr600rr/2015")
    for attempt in ("rendered", "saved"):
        response = client.get("/bikes/honda/cbr600rr/2015", headers={"Accept-Encoding": encoding})
        assert response.headers["Content-Encoding"] == encoding, attempt
        assert "Accept-Encoding" in response.headers["Vary"]
        assert decompress(response.get_data()) == plain.get_data()  # type: ignore[operator]
        etag = response.headers["ETag"]
        assert etag.endswith(f':{encoding}"')
        repeat = client.get(
            "/bikes/honda/cbr600rr/2015",
            headers={"Accept-Encoding": encoding, "If-None-Match": etag},
        )
        assert repeat.status_code == 304


def test_api_and_search_are_compressed_too(client: FlaskClient, garage: Garage) -> None:
    response = client.get("/search?q=pads", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"Sintered" in gzip.decompress(response.get_data())
    response = client.get("/api/v1/makes", headers={"Accept-Encoding": "br"})
    assert response.headers.get("Content-Encoding") in {None, "br"}  # small bodies stay plain


def test_static_files_are_fingerprinted_and_cached_for_a_year(
    client: FlaskClient, garage: Garage
) -> None:
    html = client.get("/").get_data(as_text=True)
    for name in ("site.css", "site.js", "favicon.svg"):
        match = re.search(rf'"(/static/{re.escape(name)}\?v=[0-9a-f]{{12}})"', html)
        assert match, name
        response = client.get(match.group(1))
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        response.close()
    stale = client.get("/static/site.css?v=000000000000")
    assert stale.headers["Cache-Control"] == "public, max-age=300"
    stale.close()
    bare = client.get("/static/site.js")
    assert bare.headers["Cache-Control"] == "public, max-age=300"
    assert "text/javascript" in bare.headers["Content-Type"]
    bare.close()


def test_redirects_and_clicks_are_never_cached(
    client: FlaskClient, garage: Garage, build: CatalogBuilder
) -> None:
    offer = build.offer(garage.pads, build.retailer("Moto Shop"), "54.50")
    assert client.get(f"/go/{offer.id}").headers["Cache-Control"] == "no-store"
    sitemap = client.get("/sitemap.xml")
    assert sitemap.headers["Cache-Control"] == "public, max-age=3600"
    sitemap.close()
    assert client.get("/robots.txt").headers["Cache-Control"] == "public, max-age=86400"


def test_disk_copy_is_shared_and_survives_a_new_process(
    app: Flask, client: FlaskClient, garage: Garage, cached: None, tmp_path: object
) -> None:
    cache = pagecache.get_cache(app)
    body = client.get("/bikes/honda").get_data()
    key = next(iter(cache._memory))
    other_process = pagecache.PageCache(cache.directory, max_bytes=10_000_000, max_files=100)
    saved = other_process.get(key)
    assert saved is not None and saved.body == body
    # Compressed once when saved: the other process serves the stored bytes as they are.
    import gzip

    import brotli

    assert set(saved.encoded) == {"br", "gzip"}
    assert brotli.decompress(saved.encoded["br"]) == body
    assert gzip.decompress(saved.encoded["gzip"]) == body
    assert other_process.get("no such key") is None


def test_page_cache_is_bounded(tmp_path: object) -> None:
    from pathlib import Path

    directory = Path(str(tmp_path)) / "pages"
    cache = pagecache.PageCache(directory, max_bytes=5000, max_files=3)
    for n in range(10):
        body = random.Random(n).randbytes(1000)  # incompressible: br and gzip ~1,000 bytes each
        cache.put(pagecache.CachedPage(f"k{n}", body, pagecache.etag_for(body), 0.0))
    assert len(cache) == 2  # memory keeps the compressed variants only: ~2,000 bytes a page
    saved = cache.get("k9")
    assert saved is not None and saved.slim and saved.plain() == random.Random(9).randbytes(1000)
    assert cache.prune() == 7
    assert len(list(directory.iterdir())) == 3
    (directory / "garbage.page").write_bytes(b"not json\n")
    torn = directory / next(p.name for p in directory.iterdir() if p.name != "garbage.page")
    torn.write_bytes(torn.read_bytes()[:-10])
    cache.clear(disk=False)
    assert sum(cache.get(f"k{n}") is not None for n in range(10)) == 2


def test_fresh_pages_are_answered_before_flask_runs(
    app: Flask,
    client: FlaskClient,
    *,
    garage: Garage,
    build: CatalogBuilder,
    cached: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flask import request_started

    from app.public import counters

    monkeypatch.setitem(app.config, "METRICS_FLUSH_SECONDS", 3600)
    offer = build.offer(garage.pads, build.retailer("Moto Shop"), "54.50")
    browser = {"User-Agent": "Mozilla/5.0 Firefox/130.0"}
    first = client.get("/parts/ebc-brakes/fa390hh", headers=browser)
    counters.buffer(app).take()
    flask_requests: list[object] = []

    def seen(sender: object, **extra: object) -> None:
        flask_requests.append(sender)

    with request_started.connected_to(seen, app):
        again = client.get("/parts/ebc-brakes/fa390hh", headers=browser)
        not_modified = client.get(
            "/parts/ebc-brakes/fa390hh", headers={**browser, "If-None-Match": first.headers["ETag"]}
        )
        assert flask_requests == []  # neither reached Flask
        client.get("/search?q=pads")
        assert len(flask_requests) == 1  # searches always do
    assert again.get_data() == first.get_data()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert not_modified.status_code == 304
    for response in (again, not_modified):
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"].startswith("public, max-age=300")
    _, impressions = counters.buffer(app).take()
    assert sum(n for (offer_id, _), n in impressions.items() if offer_id == offer.id) == 2


def test_only_views_a_page_links_to_are_saved(
    app: Flask, client: FlaskClient, garage: Garage, cached: None
) -> None:
    cache = pagecache.get_cache(app)
    for n in range(5):
        assert client.get(f"/bikes/honda/cbr600rr/2015?brand=made-up-{n}").status_code == 200
        client.get(f"/bikes/honda/cbr600rr/2015?page={n + 2}")  # there is only one page
        client.get(f"/bikes/honda/cbr600rr/2015?category=nothing-{n}")
        client.get(f"/search?q=pads+{n}")
    assert len(cache) == 0
    client.get("/bikes/honda/cbr600rr/2015?brand=ebc-brakes")
    client.get("/bikes/honda/cbr600rr/2015?category=brakes")
    assert len(cache) == 2
    assert client.get("/search?q=pads").headers["Cache-Control"] == "public, max-age=60"


SAME_HEADERS = (
    "Content-Type",
    "Content-Length",
    "Content-Encoding",
    "Cache-Control",
    "ETag",
    "Last-Modified",
    "Vary",
    "Content-Security-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Permissions-Policy",
)


@pytest.mark.parametrize("encoding", ["", "gzip", "br", "gzip;q=1, br;q=0"])
def test_the_shortcut_answers_exactly_like_flask(
    app: Flask,
    client: FlaskClient,
    *,
    garage: Garage,
    cached: None,
    monkeypatch: pytest.MonkeyPatch,
    encoding: str,
) -> None:
    from app.public import shortcut

    monkeypatch.setitem(app.config, "METRICS_FLUSH_SECONDS", 3600)
    headers = {"User-Agent": "Mozilla/5.0 Firefox/130.0", "Accept-Encoding": encoding}
    path = "/bikes/honda/cbr600rr/2015"
    client.get(path, headers=headers)  # rendered and saved
    # The same saved page answered by Flask's before_request and by the WSGI shortcut.
    with monkeypatch.context() as patched:
        patched.setattr(shortcut.SavedPageShortcut, "_fresh_copy", lambda self, environ: None)
        by_flask = client.get(path, headers=headers)
    by_shortcut = client.get(path, headers=headers)
    assert by_flask.status_code == by_shortcut.status_code == 200
    assert by_shortcut.get_data() == by_flask.get_data()
    for name in SAME_HEADERS:
        assert by_shortcut.headers.get(name) == by_flask.headers.get(name), name
    assert by_shortcut.headers.get("Content-Encoding") == (
        {"gzip": "gzip", "br": "br", "gzip;q=1, br;q=0": "gzip"}.get(encoding)
    )
    head = client.head(path, headers=headers)
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Length"] == by_flask.headers["Content-Length"]
    since = client.get(
        path, headers={**headers, "If-Modified-Since": by_flask.headers["Last-Modified"]}
    )
    assert since.status_code == 304 and since.get_data() == b""
    assert "Content-Length" not in since.headers or since.headers["Content-Length"] == "0"
    other = client.get(path, headers={**headers, "If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_bike_views_are_counted_for_the_curation_queue_even_from_the_cache(
    app: Flask, client: FlaskClient, garage: Garage, cached: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.public import counters
    from app.services.queue import BIKE_VIEW_COUNTER

    monkeypatch.setitem(app.config, "METRICS_FLUSH_SECONDS", 3600)
    browser = {"User-Agent": "Mozilla/5.0 Firefox/130.0"}
    for _ in range(3):  # rendered once, then twice from the saved copy
        assert client.get("/bikes/honda/cbr600rr/2015", headers=browser).status_code == 200
    client.get("/bikes/honda/cbr600rr/2015", headers={"User-Agent": "Googlebot/2.1"})
    views, _ = counters.buffer(app).take()
    counted = {dim: n for (_, name, dim), n in views.items() if name == BIKE_VIEW_COUNTER}
    # 2015 has two vehicles (the base bike and the US ABS variant): each gets three views.
    assert counted == {str(garage.years[2015].id): 3, str(garage.abs_2015.id): 3}


def _shortcut(app: Flask) -> object:
    from app.public.shortcut import SavedPageShortcut

    layer: object = app.wsgi_app
    while not isinstance(layer, SavedPageShortcut):
        layer = getattr(layer, "wsgi_app", None) or layer.app  # type: ignore[attr-defined]
    return layer


def test_the_shortcut_remembers_only_short_strings(
    app: Flask, client: FlaskClient, garage: Garage, cached: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Huge headers and URLs are answered, never kept: no client can fill a worker's memory."""
    monkeypatch.setitem(app.config, "METRICS_FLUSH_SECONDS", 3600)
    shortcut = _shortcut(app)
    path = "/bikes/honda/cbr600rr/2015"
    client.get(path)
    huge = {"Accept-Encoding": "gzip, " + "x" * 4000, "User-Agent": "Mozilla/5.0 " + "y" * 4000}
    for n in range(3):
        response = client.get(f"{path}?junk={'z' * 2000}{n}", headers=huge)
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == "gzip"
    assert all(len(accept) <= 512 for accept in shortcut._encodings)  # type: ignore[attr-defined]
    assert all(len(p) + len(q) <= 512 for p, q in shortcut._keys)  # type: ignore[attr-defined]
    from app.services.clicks import _is_bot_remembered, is_bot

    remembered = _is_bot_remembered.cache_info().currsize
    assert is_bot("Mozilla/5.0 " + "q" * 4000) is False
    assert is_bot("Googlebot/2.1 " + "q" * 4000) is True
    assert _is_bot_remembered.cache_info().currsize == remembered


def test_conditional_requests_the_shortcut_leaves_to_flask(
    app: Flask, client: FlaskClient, garage: Garage, cached: None
) -> None:
    path = "/bikes/honda/cbr600rr/2015"
    etag = client.get(path).headers["ETag"]
    assert client.get(path, headers={"If-Match": '"other"'}).status_code == 412
    assert client.get(path, headers={"If-Match": etag}).status_code == 200
