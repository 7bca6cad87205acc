"""Dedup benchmark: `flask dedup scan` over 200,000 parts (budget ≤ 30 s).

    .venv/bin/python -m benchmarks.dedup_scan                  # 200,000 parts
    .venv/bin/python -m benchmarks.dedup_scan --parts 50000

Seeds a fresh database (schema from the real migrations) with set-based SQL: makes, models
with a sprinkling of real-world spellings (legacy keys, typos, FLHT/FLHTC-style codes),
brands (some spelled two ways), and parts of which ~1 % have a twin that differs only in
punctuation, ~0.5 % share a GTIN, and many share an MPN with another brand (which must NOT
be proposed). Then times the real scan through the CLI (`dedup scan --json`) and, as the
reference measured in the same run, a bare fetch of the columns the scan reads.
Without --database-url an embedded PostgreSQL runs under instance/bench-dedup-pgdata.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import psycopg

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_PGDATA = PROJECT_ROOT / "instance" / "bench-dedup-pgdata"
DATABASE = "mpp_bench_dedup"
BUDGET_SECONDS = 30.0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", type=int, default=200_000)
    parser.add_argument("--brands", type=int, default=600)
    parser.add_argument("--models", type=int, default=6000)
    parser.add_argument("--database-url", default="", help="server admin URL (default: embedded)")
    return parser.parse_args()


def _server(args: argparse.Namespace) -> str:
    if args.database_url:
        return str(args.database_url)
    from app import embedded_db

    server, _ = embedded_db.start(BENCH_PGDATA, keep_running=True, database="postgres")
    return str(server.get_uri())


def _recreate(admin_url: str) -> str:
    from sqlalchemy.engine import make_url

    from app.config import sqlalchemy_url

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    return (
        make_url(sqlalchemy_url(admin_url))
        .set(database=DATABASE)
        .render_as_string(hide_password=False)
    )


def _app(url: str):  # type: ignore[no-untyped-def]
    from app import create_app

    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def _seed(conn: psycopg.Connection, args: argparse.Namespace) -> None:
    def step(label: str, sql: str, **params: object) -> None:
        started = time.perf_counter()
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.rowcount
        conn.commit()
        print(f"  {label:<28} {rows:>9,} rows {time.perf_counter() - started:6.1f} s", flush=True)

    step(
        "makes",
        "INSERT INTO makes (name, slug, name_key)"
        " SELECT 'Maker ' || i || ' Motor Works', 'maker-' || i, 'maker' || i || 'motorworks'"
        " FROM generate_series(1, 150) i",
    )
    step(  # a make stored before key normalization: the scan must find it
        "makes (legacy spellings)",
        "INSERT INTO makes (name, slug, name_key) VALUES"
        " ('Harley-Davidson', 'harley-davidson', 'harleydavidson'),"
        " ('Harley Davidson', 'harley-davidson-old', 'harley davidson'),"
        " ('Harley', 'harley', 'harley')",
    )
    step(
        "models",
        "INSERT INTO models (make_id, name, slug, name_key)"
        " SELECT m.id, v.name, lower(regexp_replace(v.name, '[^A-Za-z0-9]+', '-', 'g')),"
        "        lower(regexp_replace(v.name, '[^A-Za-z0-9]+', '', 'g'))"
        " FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM makes) m"
        " CROSS JOIN LATERAL (SELECT (ARRAY['CB','ZX','GSX','YZF','MT','FLHT','XL','KLX'])"
        "   [1 + (i + m.n) %% 8] || (100 + i * 7) ||"
        "   (ARRAY['','R','RR','S','C','X','GT','Sportster'])[1 + (i * 3 + m.n) %% 8] AS name"
        "   FROM generate_series(1, %(per_make)s) i) v ON CONFLICT DO NOTHING",
        per_make=max(1, args.models // 150),
    )
    step(
        "models (typos, legacy keys)",
        "INSERT INTO models (make_id, name, slug, name_key)"
        " SELECT make_id, replace(name, 'Sportster', 'Sporster'), slug || '-typo',"
        "        replace(name_key, 'sportster', 'sporster')"
        " FROM models WHERE name LIKE '%%Sportster' AND id %% 10 = 0",
    )
    step(
        "brands",
        "INSERT INTO brands (name, slug, name_key)"
        " SELECT 'Brand ' || i || CASE WHEN i %% 50 = 0 THEN ' Racing' ELSE '' END,"
        "        'brand-' || i, 'brand' || i || CASE WHEN i %% 50 = 0 THEN 'racing' ELSE '' END"
        " FROM generate_series(1, %(brands)s) i",
        brands=args.brands,
    )
    step(  # "Brand 7" also stored as "BRAND-7 Brakes": one company, two spellings
        "brands (second spellings)",
        "INSERT INTO brands (name, slug, name_key)"
        " SELECT 'BRAND-' || i || ' Brakes', 'brand-' || i || '-brakes', 'brand' || i || 'brakes'"
        " FROM generate_series(7, %(brands)s, 97) i",
        brands=args.brands,
    )
    step(  # MPNs repeat across brands (4 brands each): different parts, never proposed
        "parts",
        "INSERT INTO parts (brand_id, mpn, mpn_key, title, gtin)"
        " SELECT b.id, 'P-' || (i %% 49999), 'P' || (i %% 49999),"
        "        'Benchmark part ' || i,"
        "        CASE WHEN i %% 200 = 0 THEN lpad((i / 400)::text, 13, '0') END"
        " FROM generate_series(1, %(parts)s) i"
        " JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM brands) b"
        "   ON b.n = i %% %(brands)s",
        parts=int(args.parts * 0.99),
        brands=args.brands,
    )
    step(  # ~1 %: the same part again with an underscore the MPN key keeps
        "parts (punctuation twins)",
        "INSERT INTO parts (brand_id, mpn, mpn_key, title)"
        " SELECT brand_id, replace(mpn, '-', '_'), replace(mpn, '-', '_'), title || ' (dup)'"
        " FROM parts ORDER BY id LIMIT %(n)s",
        n=args.parts - int(args.parts * 0.99),
    )
    step(  # the second spelling of a brand lists some of the same parts
        "parts (under a 2nd brand name)",
        "INSERT INTO parts (brand_id, mpn, mpn_key, title)"
        " SELECT twin.id, lower(p.mpn), p.mpn_key, p.title"
        " FROM brands twin JOIN brands b ON b.name_key || 'brakes' = twin.name_key"
        " CROSS JOIN LATERAL (SELECT * FROM parts WHERE brand_id = b.id ORDER BY id LIMIT 20) p",
    )
    conn.autocommit = True
    conn.execute("VACUUM (ANALYZE)")
    conn.autocommit = False


def main() -> None:
    args = _arguments()
    admin_url = _server(args)
    url = _recreate(admin_url)
    application = _app(url)
    from flask_migrate import upgrade

    with application.app_context():
        upgrade()
    print(f"seeding {args.parts:,} parts")
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain) as conn:
        _seed(conn, args)
        parts = conn.execute("SELECT count(*) FROM parts").fetchone()[0]  # type: ignore[index]
        started = time.perf_counter()
        rows = conn.execute("SELECT id, brand_id, mpn, gtin FROM parts").fetchall()
        reference = time.perf_counter() - started
        assert len(rows) == parts

    runner = application.test_cli_runner()
    timings = {}
    results = {}
    for label, argv in (
        ("parts", ["dedup", "scan", "--entity", "parts", "--json"]),
        ("all four", ["dedup", "scan", "--json"]),
    ):
        started = time.perf_counter()
        outcome = runner.invoke(args=argv)
        timings[label] = time.perf_counter() - started
        if outcome.exit_code != 0:
            raise SystemExit(outcome.output)
        results[label] = json.loads(outcome.output)

    print()
    print(f"parts in the catalog           {parts:>12,}")
    for result in results["all four"]:
        pairs = result["records"] * (result["records"] - 1) // 2
        print(
            f"{result['entity'] + 's':<8} {result['records']:>9,} records "
            f"{result['pairs_compared']:>9,} pairs compared (all pairs: {pairs:,}) "
            f"{len(result['candidates']):>6,} candidates  {result['seconds']:6.2f} s in the scan"
        )
    reasons: dict[str, int] = {}
    for candidate in results["parts"][0]["candidates"]:
        key = candidate["reason"].split(";")[0]
        reasons[key] = reasons.get(key, 0) + 1
    print("part candidates by reason: " + ", ".join(f"{k}: {v:,}" for k, v in reasons.items()))
    print(f"reference: fetch the 4 columns of {parts:,} parts  {reference:8.2f} s")
    for label, seconds in timings.items():
        print(
            f"flask dedup scan ({label:<8})      {seconds:8.2f} s  "
            f"= {seconds / reference:5.1f}× the fetch, {seconds / BUDGET_SECONDS:4.0%} of the "
            f"{BUDGET_SECONDS:.0f} s budget"
        )
    with application.app_context():
        from app.extensions import db

        db.engine.dispose()


if __name__ == "__main__":
    main()
