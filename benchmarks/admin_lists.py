"""Admin benchmark: list pages and the verification queue over millions of fitments
(budget ≤ 300 ms per page, no full COUNT(*)).

    .venv/bin/python -m benchmarks.admin_lists                      # 5,000,000 fitments
    .venv/bin/python -m benchmarks.admin_lists --fitments 1000000
    .venv/bin/python -m benchmarks.admin_lists --reuse              # skip seeding

Seeds a fresh database with the public-site seeder (benchmarks/seed_public.py: set-based
SQL, 85 % verified / 10 % unverified / 3 % needs review / 2 % rejected, one import source
per fitment), then adds what the queue reads: a second source for 40 % of open fitments,
a few contradicting sources, bike page views, and the full queue refresh (timed: that is
the nightly `curation.refresh_queue_full` job). Then a curator logs in and every page is
requested through the real app (Flask test client: server time, rendering included).
Each page: one warm-up, then --repeat timed requests; median and p95 are printed with the
ratio to the budget and to the reference measured in the same run (GET /healthz).
Without --database-url an embedded PostgreSQL runs under instance/bench-pgdata.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from pathlib import Path
from typing import Any

import psycopg

from benchmarks import seed_public

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATABASE = "mpp_bench_admin"
BUDGET_MS = 300.0
EMAIL, PASSWORD = "bench.curator@example.com", "benchmark curator password"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fitments", type=int, default=5_000_000)
    parser.add_argument("--parts", type=int, default=0, help="default: fitments / 5")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    parser.add_argument("--database-url", default="", help="server admin URL (default: embedded)")
    return parser.parse_args()


def _step(conn: psycopg.Connection, label: str, sql: str, **params: object) -> None:
    started = time.perf_counter()
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.rowcount
    conn.commit()
    print(f"  {label:<34} {rows:>10,} rows  {time.perf_counter() - started:7.1f} s", flush=True)


def _curation_extras(conn: psycopg.Connection) -> None:
    """Second sources, contradictions and page views on top of the public seed."""
    _step(
        conn,
        "second sources (40 % of open)",
        "INSERT INTO fitment_evidence (fitment_id, kind, supports, import_batch_id, line_no,"
        "                              raw_text)"
        " SELECT f.id, 'import', true, b.lo + (f.id + 7) %% 20, f.id, 'second source ' || f.id"
        " FROM fitments f, (SELECT min(id) AS lo FROM import_batches) b"
        " WHERE f.status IN ('unverified', 'needs_review') AND f.id %% 5 < 2",
    )
    _step(
        conn,
        "contradicting sources",
        "INSERT INTO fitment_evidence (fitment_id, kind, supports, import_batch_id, line_no,"
        "                              raw_text)"
        " SELECT f.id, 'import', false, b.lo + (f.id + 13) %% 20, f.id, 'does not fit ' || f.id"
        " FROM fitments f, (SELECT min(id) AS lo FROM import_batches) b"
        " WHERE f.status = 'needs_review' AND f.id %% 10 = 6",
    )
    _step(
        conn,
        "bike page views",
        "INSERT INTO metric_counters (day, name, dimension, value)"
        " SELECT current_date - (v.id %% 20), 'bike_view', v.id::text, 1 + (v.id * 37) %% 900"
        " FROM vehicles v WHERE v.id %% 7 = 0 ON CONFLICT DO NOTHING",
    )


def _refresh(url: str) -> float:
    from app import create_app
    from app.extensions import db
    from app.services.queue import refresh_stats

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        started = time.perf_counter()
        changed = refresh_stats(db.session())
        db.session.commit()
        seconds = time.perf_counter() - started
        db.engine.dispose()
    print(f"  {'queue refresh (nightly job)':<34} {changed:>10,} rows  {seconds:7.1f} s")
    return seconds


def _seed(admin_url: str, args: argparse.Namespace) -> str:
    url = seed_public._recreate(admin_url, DATABASE)
    print(f"database {DATABASE}: migrating")
    seed_public._migrate(url)
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    seed_args = argparse.Namespace(
        fitments=args.fitments,
        parts=args.parts or max(1000, args.fitments // 5),
        models_per_make=100,
        extra_brands=380,
        evidence=1.0,
        offer_share=0.6,
    )
    print(f"seeding {seed_args.parts:,} parts and {args.fitments:,} fitments")
    with psycopg.connect(plain) as conn:
        seed_public.seed(conn, seed_args)
        _curation_extras(conn)
    _refresh(url)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return url


def _login(client: Any) -> None:
    page = client.get("/account/login")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.data)
    assert token, "no CSRF token on the login page"
    response = client.post(
        "/account/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1).decode()},
    )
    assert response.status_code == 302, response.status_code


def _filter_url(app: Any, endpoint: str, label: str, operation: str, value: str) -> str:
    (admin,) = app.extensions["admin"]
    view = next(v for v in admin._views if v.endpoint == endpoint)
    for key, (_index, flt) in view._filter_args.items():
        if str(flt.name) == label and str(flt.operation()) == operation:
            return f"/admin/{endpoint}/?flt0_{key}={value}"
    raise SystemExit(f"no filter {label} {operation} on {endpoint}")


def _pages(app: Any, conn: psycopg.Connection, client: Any) -> list[tuple[str, str]]:
    def one(sql: str) -> Any:
        return conn.execute(sql).fetchone()[0]  # type: ignore[index]

    model_id, year = conn.execute(  # a Honda model-year with open fitments
        "SELECT v.model_id, v.year FROM fitments f JOIN vehicles v ON v.id = f.vehicle_id"
        " JOIN models m ON m.id = v.model_id JOIN makes k ON k.id = m.make_id"
        " WHERE k.name = 'Honda' AND f.status = 'unverified' ORDER BY f.id LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    category = one("SELECT id FROM categories WHERE name = 'Brake Pads'")
    root = one("SELECT id FROM categories WHERE name = 'Brakes' AND parent_id IS NULL")
    batch = one("SELECT min(id) + 3 FROM import_batches")
    part = one("SELECT part_id FROM fitments WHERE status = 'unverified' ORDER BY id DESC LIMIT 1")
    first = client.get("/admin/queue/").get_data(as_text=True)
    next_link = re.search(r'href="([^"]+)" rel="next"', first)
    second = next_link.group(1).replace("&amp;", "&") if next_link else "/admin/queue/"
    return [
        ("reference: GET /healthz", "/healthz"),
        ("fitments list", "/admin/fitments/"),
        (
            "fitments: status = needs_review",
            _filter_url(app, "fitments", "Status", "equals", "needs_review"),
        ),
        (
            "fitments: status = unverified",
            _filter_url(app, "fitments", "Status", "equals", "unverified"),
        ),
        (
            "fitments: brand = EBC Brakes",
            _filter_url(app, "fitments", "Brand", "equals", "EBC Brakes"),
        ),
        ("fitments: make = Honda", _filter_url(app, "fitments", "Make", "equals", "Honda")),
        ("parts list", "/admin/parts/"),
        ("parts: brand = Brembo", _filter_url(app, "parts", "Brand", "equals", "Brembo")),
        ("vehicles list", "/admin/vehicles/"),
        ("offers list", "/admin/offers/"),
        ("audit log", "/admin/audit/"),
        ("queue, first page", "/admin/queue/"),
        ("queue, next page (keyset)", second),
        ("queue: status = unverified", "/admin/queue/?status=unverified"),
        ("queue: make = Honda", "/admin/queue/?make=Honda"),
        ("queue: Honda, one model, one year", f"/admin/queue/?model={model_id}&year={year}"),
        ("queue: brand = EBC Brakes", "/admin/queue/?brand=EBC+Brakes"),
        ("queue: category Brake Pads", f"/admin/queue/?category={category}"),
        ("queue: category Brakes (tree)", f"/admin/queue/?category={root}"),
        ("queue: source batch", f"/admin/queue/?batch={batch}"),
        ("queue: sources = 1", "/admin/queue/?sources=1"),
        ("queue: sources = 2", "/admin/queue/?sources=2"),
        ("queue: unverified, 3+ sources", "/admin/queue/?status=unverified&sources=3%2B"),
        ("queue: one part", f"/admin/queue/?part={part}"),
        ("part page with open fitments", f"/admin/parts/edit/?id={part}"),
        ("dashboard (admin home)", "/admin/"),
        ("duplicate candidates", "/admin/dedup/"),
    ]


def _time_pages(client: Any, pages: list[tuple[str, str]], repeat: int) -> None:
    """Warm each page once, time it `repeat` times, print median / p95 and the ratios."""
    print(f"{'page':<36} {'rows':>5} {'median':>9} {'p95':>9}  {'budget':>7} {'× ref':>7}")
    reference = None
    slow = []
    for label, path in pages:
        client.get(path)  # warm-up (caches, plans)
        times = []
        for _ in range(repeat):
            begun = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - begun) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        body = response.get_data(as_text=True)
        rows = (
            body.count('name="fitment" value=')
            or body.count('name="rowid"')
            or (body.count("<tr") - 1 if "<table" in body else 0)
        )
        median = statistics.median(times)
        p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
        reference = reference or median
        ratio = median / BUDGET_MS
        if median > BUDGET_MS:
            slow.append(label)
        print(
            f"{label:<36} {rows:>5} {median:>7.1f}ms {p95:>7.1f}ms  {ratio:>6.0%}"
            f" {median / reference:>6.1f}×",
            flush=True,
        )
    print()
    print(
        f"budget {BUDGET_MS:.0f} ms per page: "
        + ("all pages within it" if not slow else f"over budget: {', '.join(slow)}")
    )


def main() -> None:
    args = _arguments()
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    admin_url = seed_public._server(argparse.Namespace(database_url=args.database_url))
    started = time.perf_counter()
    if args.reuse:
        from sqlalchemy.engine import make_url

        from app.config import sqlalchemy_url

        database = make_url(sqlalchemy_url(admin_url)).set(database=DATABASE)
        url = database.render_as_string(hide_password=False)
    else:
        url = _seed(admin_url, args)
        print(f"seeded in {time.perf_counter() - started:.0f} s")

    from flask_security import hash_password
    from sqlalchemy import select

    from app import create_app
    from app.extensions import db
    from app.models import User
    from app.services.users import create_user

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "LOGIN_RATE_LIMIT": "1000 per minute", "TESTING": True}
    )
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with app.app_context():
        if db.session.scalar(select(User.id).where(User.email == EMAIL)) is None:
            create_user(
                db.session(),
                email=EMAIL,
                password=PASSWORD,
                role_names=["curator", "admin"],
                hash_password=hash_password,
            )
            db.session.commit()
        db.session.remove()
    with psycopg.connect(plain) as conn:
        counts = {
            t: conn.execute(
                f"SELECT reltuples::bigint FROM pg_class WHERE relname = '{t}'"
            ).fetchone()[0]  # type: ignore[index]
            for t in ("fitments", "fitment_evidence", "parts", "vehicles")
        }
        open_rows = conn.execute(
            "SELECT count(*) FROM fitments WHERE status IN ('unverified', 'needs_review')"
        ).fetchone()[0]  # type: ignore[index]
        client = app.test_client()
        _login(client)
        pages = _pages(app, conn, client)

    print()
    print(
        "catalog: "
        + ", ".join(f"{t} ≈{n:,}" for t, n in counts.items())
        + f"; open fitments in the queue {open_rows:,}"
    )
    _time_pages(client, pages, args.repeat)
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
