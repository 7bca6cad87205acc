"""Read-only and degraded mode: the READ_ONLY switch, and a database that goes away.

These tests build their own apps over their own committed database (the shared `app`
fixture must never see the database "down"), warm the page cache, then take the database
away: once by pointing a second app at a port nobody listens on (same disk cache: a new
process after a restart), once by dropping the database under a running app.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app, readonly
from app.extensions import db
from tests.public.conftest import CatalogBuilder

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:9/nothing?connect_timeout=2"
WARM = ["/", "/bikes/honda", "/bikes/honda/cbr600rr/2015", "/parts/ebc-brakes/fa390hh"]
NOTICE = "Showing saved data."


def _app(url: str, cache_dir: Path, **extra: Any) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "PAGE_CACHE_DIR": str(cache_dir),
            "PAGE_CACHE_SECONDS": 0,  # always re-render while the database is up
            "DB_RETRY_SECONDS": 60,
            "METRICS_FLUSH_SECONDS": 0,
            **extra,
        }
    )


@pytest.fixture
def catalog_db(fresh_database: Any) -> str:
    """A migrated database holding a small committed catalog."""
    from flask_migrate import upgrade

    url = str(fresh_database("mpp_degraded"))
    application = _app(url, Path("/nonexistent-unused"), PAGE_CACHE_DISK=False)
    with application.app_context():
        upgrade()
        build = CatalogBuilder(db.session())
        honda = build.make("Honda")
        cbr = build.model(honda, "CBR600RR")
        years = build.vehicles(cbr, range(2014, 2017))
        pads = build.part(build.brand("EBC Brakes"), "FA-390HH", "Sintered pads")
        build.fit(pads, years.values())
        build.offer(pads, build.retailer("Moto Shop"), "54.50")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


@pytest.fixture
def warmed(catalog_db: str, tmp_path: Path) -> Iterator[tuple[Flask, Path]]:
    """An app over the catalog whose public pages have all been rendered once."""
    cache_dir = tmp_path / "pagecache"
    application = _app(catalog_db, cache_dir)
    client = application.test_client()
    for path in WARM:
        response = client.get(path)
        assert response.status_code == 200, path
        assert NOTICE not in response.get_data(as_text=True)
    yield application, cache_dir
    with application.app_context():
        db.engine.dispose()


def test_saved_pages_survive_an_unreachable_database(warmed: tuple[Flask, Path]) -> None:
    _, cache_dir = warmed
    down = _app(UNREACHABLE, cache_dir)  # a fresh process: only the disk copies are left
    client = down.test_client()
    started = time.monotonic()
    for path in WARM:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert NOTICE in html, path
        assert 'role="status"' in html
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Served-From"] == "saved-copy"
        assert "Content-Security-Policy" in response.headers
    assert "Sintered pads" in client.get("/parts/ebc-brakes/fa390hh").get_data(as_text=True)
    assert time.monotonic() - started < 10  # one failed connect, then no more attempts

    never_saved = client.get("/bikes/honda/cbr600rr/2016")
    assert never_saved.status_code == 503
    assert never_saved.headers["Retry-After"] == "30"
    assert "try the home page" in never_saved.get_data(as_text=True)

    search = client.get("/search?q=pads")
    assert search.status_code == 503

    api = client.get("/api/v1/makes")
    assert api.status_code == 503
    assert api.get_json()["error"] == "unavailable"

    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200

    with down.test_request_context("/"):
        assert readonly.is_read_only()
        assert readonly.is_database_down()
        assert "cannot be reached" in readonly.read_only_reason()

    refused = client.post("/admin/fitment/new/", data={"part": "1"})
    assert refused.status_code == 503
    assert "read-only" in refused.get_data(as_text=True)
    assert "cannot be reached" in refused.get_data(as_text=True)


def test_a_running_app_keeps_serving_when_its_database_stops(
    warmed: tuple[Flask, Path], catalog_db: str, pg_admin_url: str
) -> None:
    application, _ = warmed
    from sqlalchemy.engine import make_url

    from app.embedded_db import drop_database

    drop_database(pg_admin_url, make_url(catalog_db).database or "")
    client = application.test_client()
    for path in WARM:
        response = client.get(path)
        assert response.status_code == 200, path
        assert NOTICE in response.get_data(as_text=True), path
    assert client.get("/bikes/honda/cbr600rr/2014").status_code == 503
    assert client.get("/go/1").status_code == 503


def test_the_site_recovers_when_the_database_comes_back(warmed: tuple[Flask, Path]) -> None:
    application, _ = warmed
    client = application.test_client()
    with application.test_request_context("/"):
        readonly.mark_database_unreachable()
    assert NOTICE in client.get("/bikes/honda").get_data(as_text=True)
    state = application.extensions[readonly.EXTENSION_KEY]
    state.last_failure_at -= 120  # the retry window has passed
    response = client.get("/bikes/honda")
    assert response.status_code == 200
    assert NOTICE not in response.get_data(as_text=True)
    with application.test_request_context("/"):
        assert not readonly.is_read_only()


def test_read_only_switch_keeps_the_site_up_and_refuses_admin_writes(
    catalog_db: str, tmp_path: Path
) -> None:
    application = _app(catalog_db, tmp_path / "cache", READ_ONLY=True)
    client = application.test_client()
    assert client.get("/bikes/honda/cbr600rr/2015").status_code == 200
    for method in (client.post, client.put, client.delete, client.patch):
        response = method("/admin/part/edit/?id=1")
        assert response.status_code == 503
        assert "switched on read-only mode" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code != 503  # reading the back office is fine
    assert client.post("/account/login").status_code != 503  # only /admin is guarded
    with application.test_request_context("/"):
        assert readonly.is_read_only()
        assert not readonly.is_database_down()
    with application.app_context():
        db.engine.dispose()


def test_in_process_switch(catalog_db: str, tmp_path: Path) -> None:
    application = _app(catalog_db, tmp_path / "cache")
    with application.test_request_context("/"):
        assert not readonly.is_read_only()
        readonly.switch_read_only(True)
        assert readonly.is_read_only()
        readonly.switch_read_only(False)
        assert not readonly.is_read_only()
    assert not readonly.is_read_only()  # outside any app: never read-only
    with application.app_context():
        db.engine.dispose()


def test_unreachable_errors_are_told_apart() -> None:
    from sqlalchemy.exc import DataError, IntegrityError, OperationalError

    assert readonly.is_unreachable_error(OperationalError("SELECT 1", {}, Exception("refused")))
    assert not readonly.is_unreachable_error(DataError("SELECT 1", {}, Exception("bad")))
    assert not readonly.is_unreachable_error(IntegrityError("INSERT", {}, Exception("dup")))


def test_views_that_refuse_writes_themselves_are_left_to_it(
    catalog_db: str, tmp_path: Path
) -> None:
    application = _app(catalog_db, tmp_path / "cache", READ_ONLY=True, WTF_CSRF_ENABLED=False)

    def polite() -> tuple[str, int]:
        return "the view explains read-only mode itself", 200

    polite.handles_read_only = True  # type: ignore[attr-defined]
    application.add_url_rule("/admin/polite", "polite", polite, methods=["POST"])
    client = application.test_client()
    assert client.post("/admin/polite").get_data(as_text=True).startswith("the view explains")
    with application.test_request_context("/"):
        readonly.mark_database_unreachable()
    assert client.post("/admin/polite").status_code == 503  # no database: refused regardless
    with application.app_context():
        db.engine.dispose()
