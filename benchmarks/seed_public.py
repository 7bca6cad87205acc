"""Seed a separate database for the public-site benchmark: set-based SQL, no ORM, no CSV.

Everything is generated inside PostgreSQL with generate_series (deterministic: the same
arguments give the same catalog), so 5M fitments and 1M parts load in minutes, not hours.

    .venv/bin/python -m benchmarks.seed_public                       # 5M fitments, 1M parts
    .venv/bin/python -m benchmarks.seed_public --fitments 500000 --parts 100000

Without --database-url it starts (and leaves running) an embedded PostgreSQL under
instance/bench-pgdata and recreates the database `mpp_bench` there. The schema comes from
the real migrations. Prints the URL to hand to benchmarks/public_pages.py.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import psycopg

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_PGDATA = PROJECT_ROOT / "instance" / "bench-pgdata"
DATABASE = "mpp_bench"

MAKES = [
    "Honda", "Yamaha", "Kawasaki", "Suzuki", "Ducati", "BMW", "KTM", "Triumph",
    "Harley-Davidson", "Aprilia", "Moto Guzzi", "MV Agusta", "Indian", "Husqvarna",
    "Royal Enfield", "Benelli", "Beta", "GasGas", "Sherco", "CFMoto", "Zero", "Buell",
    "Bimota", "Norton", "Victory", "Can-Am", "Kymco", "SYM", "Vespa", "Piaggio",
]  # fmt: skip
BRANDS = [
    "EBC Brakes", "K&N", "Hiflofiltro", "DID", "NGK", "Yuasa", "Galfer", "Brembo", "RK",
    "Renthal", "Ohlins", "Pirelli", "Vesrah", "SBS", "JT Sprockets", "Shorai", "Oxford",
    "Puig", "R&G", "Motion Pro",
]  # fmt: skip
TITLE_WORDS = [
    "sintered", "organic", "ceramic", "racing", "street", "touring", "heavy duty",
    "premium", "sport", "offroad", "stainless", "braided", "lightweight", "reinforced",
]  # fmt: skip
# (root, leaf, noun used in titles)
LEAVES = [
    ("Brakes", "Brake Pads", "brake pads"), ("Brakes", "Brake Rotors", "brake rotor"),
    ("Brakes", "Brake Lines", "brake line kit"), ("Engine", "Air Filters", "air filter"),
    ("Engine", "Oil Filters", "oil filter"), ("Engine", "Spark Plugs", "spark plug"),
    ("Drive", "Chains", "drive chain"), ("Drive", "Front Sprockets", "front sprocket"),
    ("Drive", "Rear Sprockets", "rear sprocket"), ("Electrical", "Batteries", "battery"),
    ("Electrical", "Lighting", "LED headlight"), ("Controls", "Levers", "brake lever"),
    ("Controls", "Grips", "grips"), ("Body", "Windscreens", "windscreen"),
    ("Body", "Frame Sliders", "frame sliders"), ("Suspension", "Fork Springs", "fork springs"),
    ("Suspension", "Rear Shocks", "rear shock"),
]  # fmt: skip


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fitments", type=int, default=5_000_000)
    parser.add_argument("--parts", type=int, default=1_000_000)
    parser.add_argument("--models-per-make", type=int, default=100)
    parser.add_argument("--extra-brands", type=int, default=380, help="synthetic brands")
    parser.add_argument(
        "--evidence", type=float, default=1.0, help="import evidence rows per fitment (0-1)"
    )
    parser.add_argument("--offer-share", type=float, default=0.6, help="parts with offers")
    parser.add_argument("--database-url", default="", help="server admin URL (default: embedded)")
    parser.add_argument("--database", default=DATABASE)
    return parser.parse_args()


def _step(conn: psycopg.Connection, label: str, sql: str, **params: object) -> None:
    started = time.perf_counter()
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.rowcount
    conn.commit()
    print(f"  {label:<34} {rows:>10,} rows  {time.perf_counter() - started:7.1f} s", flush=True)


def _server(args: argparse.Namespace) -> str:
    if args.database_url:
        return str(args.database_url)
    from app import embedded_db

    server, _ = embedded_db.start(BENCH_PGDATA, keep_running=True, database="postgres")
    return str(server.get_uri())


def _recreate(admin_url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    from app.config import sqlalchemy_url

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    url = make_url(sqlalchemy_url(admin_url)).set(database=database)
    return url.render_as_string(hide_password=False)


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    from app import create_app

    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()


def seed(conn: psycopg.Connection, args: argparse.Namespace) -> None:
    """Fill the catalog tables; each step prints its row count and time."""
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET maintenance_work_mem = '256MB'")
    conn.execute("SET session_replication_role = replica")  # skip FK triggers while loading
    models_per_make = args.models_per_make
    _step(
        conn,
        "makes",
        "INSERT INTO makes (name, slug, name_key)"
        " SELECT n, regexp_replace(lower(n), '[^a-z0-9]+', '-', 'g'),"
        "        regexp_replace(lower(n), '[^a-z0-9]+', '', 'g')"
        " FROM unnest(%(names)s::text[]) AS n",
        names=MAKES,
    )
    # Model names look like real ones: "ZX-10R", "CBR600RR"-style letters, digits, suffix.
    _step(
        conn,
        "models",
        "INSERT INTO models (make_id, name, slug, name_key, model_code)"
        " SELECT m.id, v.name, regexp_replace(lower(v.name), '[^a-z0-9]+', '-', 'g'),"
        "        regexp_replace(lower(v.name), '[^a-z0-9]+', '', 'g'), NULL"
        " FROM makes m CROSS JOIN LATERAL ("
        "   SELECT (CASE WHEN m.name = 'Kawasaki' AND i = 1 THEN 'Ninja ZX-10R'"
        "                WHEN m.name = 'Honda' AND i = 1 THEN 'CBR600RR'"
        "                ELSE (ARRAY['CB','ZX','GSX','YZF','R','MT','FZ','SV','DL','XR','CRF',"
        "                            'KLX','VFR','ST','RS','TR'])[1 + (i * 7 + m.id) %% 16]"
        "                     || '-' || (100 + i * 25 + m.id) || "
        "                     (ARRAY['','R','RR','S','X','F','GT','SE'])[1 + (i + m.id) %% 8]"
        "           END) AS name"
        "   FROM generate_series(1, %(per_make)s) AS i) v",
        per_make=models_per_make,
    )
    # Each model spans 5-20 model years between 1995 and 2025; 1 in 8 also has an ABS variant.
    _step(
        conn,
        "vehicles",
        "INSERT INTO vehicles (model_id, year, variant, market)"
        " SELECT mo.id, y, v.variant, '' FROM models mo"
        " CROSS JOIN LATERAL (SELECT 1995 + (mo.id * 37) %% 20 AS first,"
        "                            5 + (mo.id * 13) %% 16 AS span) s"
        " CROSS JOIN LATERAL generate_series(s.first, least(2025, s.first + s.span - 1)) AS y"
        " CROSS JOIN LATERAL (SELECT '' AS variant UNION ALL"
        "                     SELECT 'ABS' WHERE mo.id %% 8 = 0) v"
        " ORDER BY mo.id, y, v.variant",
    )
    _step(
        conn,
        "brands",
        "INSERT INTO brands (name, slug, name_key)"
        " SELECT n, regexp_replace(regexp_replace(lower(n), '[^a-z0-9]+', '-', 'g'), '^-|-$', '',"
        "        'g'), regexp_replace(lower(n), '[^a-z0-9]+', '', 'g')"
        " FROM (SELECT unnest(%(names)s::text[]) AS n"
        "       UNION ALL SELECT 'Brand ' || i FROM generate_series(1, %(extra)s) i) b",
        names=BRANDS,
        extra=args.extra_brands,
    )
    roots = sorted({root for root, _, _ in LEAVES}, key=[r for r, _, _ in LEAVES].index)
    _step(
        conn,
        "categories (roots)",
        "INSERT INTO categories (name, slug, position)"
        " SELECT r, lower(r), o FROM unnest(%(roots)s::text[]) WITH ORDINALITY AS t(r, o)",
        roots=roots,
    )
    _step(
        conn,
        "categories (leaves)",
        "INSERT INTO categories (parent_id, name, slug, position)"
        " SELECT p.id, l.leaf, regexp_replace(lower(l.leaf), '[^a-z0-9]+', '-', 'g'), l.o"
        " FROM unnest(%(roots)s::text[], %(leaves)s::text[]) WITH ORDINALITY AS l(root, leaf, o)"
        " JOIN categories p ON p.name = l.root AND p.parent_id IS NULL",
        roots=[root for root, _, _ in LEAVES],
        leaves=[leaf for _, leaf, _ in LEAVES],
    )
    conn.execute(
        "CREATE TEMP TABLE leaf_nouns AS"
        " SELECT row_number() OVER (ORDER BY c.id) - 1 AS n, c.id, l.noun"
        " FROM unnest(%(leaves)s::text[], %(nouns)s::text[]) AS l(leaf, noun)"
        " JOIN categories c ON c.name = l.leaf AND c.parent_id IS NOT NULL",
        {"leaves": [leaf for _, leaf, _ in LEAVES], "nouns": [n for _, _, n in LEAVES]},
    )
    conn.execute(
        "CREATE TEMP TABLE brand_list AS"
        " SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, upper(left(name_key, 3)) AS prefix"
        " FROM brands"
    )
    _step(
        conn,
        "parts",
        "INSERT INTO parts (brand_id, mpn, mpn_key, title, category_id, description)"
        " SELECT b.id, b.prefix || '-' || (1000 + i), b.prefix || (1000 + i),"
        "        initcap((%(words)s::text[])[1 + (i * 7) %% %(nwords)s]) || ' ' || l.noun"
        "          || CASE WHEN i %% 3 = 0 THEN ' kit' ELSE '' END,"
        "        l.id, 'Generated benchmark part ' || i"
        " FROM generate_series(1, %(parts)s) AS i"
        " JOIN brand_list b ON b.n = i %% (SELECT count(*) FROM brand_list)"
        " JOIN leaf_nouns l ON l.n = (i / 7) %% (SELECT count(*) FROM leaf_nouns)",
        words=TITLE_WORDS,
        nwords=len(TITLE_WORDS),
        parts=args.parts,
    )
    conn.execute(
        "INSERT INTO import_batches (source, format, filename, sha256, status, committed_at)"
        " SELECT 'Benchmark feed ' || i, 'fitments', 'bench-' || i || '.csv',"
        "        md5('bench' || i) || md5('batch' || i), 'committed', now()"
        " FROM generate_series(1, 20) i"
    )
    conn.commit()
    # Part j fits `per_part` consecutive vehicles (consecutive years of one model, mostly).
    # Ids are dense after a fresh load, so id arithmetic picks existing rows.
    _step(
        conn,
        "fitments",
        "WITH bounds AS (SELECT min(id) AS lo, count(*) AS n FROM vehicles),"
        "     pb AS (SELECT min(id) AS lo FROM parts)"
        " INSERT INTO fitments (part_id, vehicle_id, position, qty, note, status, verified_at)"
        " SELECT pb.lo + (k %% %(parts)s),"
        "        bounds.lo + ((((k %% %(parts)s) * 7919) + k / %(parts)s) %% bounds.n),"
        "        '', 1, CASE WHEN k %% 50 = 0 THEN 'Non-ABS models only' ELSE '' END,"
        "        CASE WHEN k %% 100 < 85 THEN 'verified' WHEN k %% 100 < 95 THEN 'unverified'"
        "             WHEN k %% 100 < 98 THEN 'needs_review' ELSE 'rejected' END,"
        "        CASE WHEN k %% 100 < 85 THEN now() - (k %% 400) * interval '1 day' END"
        " FROM bounds, pb, generate_series(0::bigint, %(fitments)s - 1) AS k",
        parts=args.parts,
        fitments=args.fitments,
    )
    if args.evidence > 0:
        _step(
            conn,
            "fitment evidence",
            "INSERT INTO fitment_evidence (fitment_id, kind, supports, import_batch_id,"
            "                              line_no, raw_text)"
            " SELECT f.id, 'import', true, (SELECT min(id) FROM import_batches) + f.id %% 20,"
            "        f.id, 'benchmark row ' || f.id"
            " FROM fitments f WHERE (f.id %% 1000) < %(share)s * 1000",
            share=args.evidence,
        )
    _step(
        conn,
        "retailers",
        "INSERT INTO retailers (name, slug, homepage, allowed_hosts)"
        " VALUES ('RevZilla', 'revzilla', 'https://www.revzilla.com', '{www.revzilla.com}'),"
        "        ('Rocky Mountain ATV/MC', 'rocky-mountain-atv-mc',"
        "         'https://www.rockymountainatvmc.com', '{www.rockymountainatvmc.com}'),"
        "        ('Moto Outlet', 'moto-outlet', 'https://shop.moto-outlet.example',"
        "         '{shop.moto-outlet.example}')",
    )
    _step(
        conn,
        "offers",
        "INSERT INTO offers (part_id, retailer_id, sku, url, price, currency, in_stock,"
        "                    fetched_at)"
        " SELECT p.id, r.id, r.slug || '-' || p.mpn_key,"
        "        r.homepage || '/p/' || p.mpn_key, 9 + (p.id * 31 + r.id * 17) %% 400 + 0.99,"
        "        'USD', (p.id + r.id) %% 5 <> 0, now() - ((p.id + r.id) %% 72) * interval '1 hour'"
        " FROM parts p CROSS JOIN retailers r"
        " WHERE (p.id %% 100) < %(share)s * 100 AND (p.id + r.id) %% 3 <> 0",
        share=args.offer_share,
    )
    # Triggers do not fire in replica mode: fill the search vocabulary as migration 0008 does.
    _step(
        conn,
        "search terms",
        "INSERT INTO search_terms (term) SELECT DISTINCT word"
        " FROM parts, regexp_split_to_table(lower(parts.title), '[^[:alnum:]]+') AS word"
        " WHERE length(word) BETWEEN 3 AND 60 AND word !~ '[0-9]' ON CONFLICT DO NOTHING",
    )
    conn.execute("SET session_replication_role = DEFAULT")
    conn.commit()
    started = time.perf_counter()
    conn.autocommit = True
    conn.execute("VACUUM (ANALYZE)")
    print(f"  {'vacuum analyze':<34} {'':>10}       {time.perf_counter() - started:7.1f} s")


def main() -> None:
    args = _arguments()
    started = time.perf_counter()
    admin_url = _server(args)
    url = _recreate(admin_url, args.database)
    print(f"database {args.database}: migrating")
    _migrate(url)
    print(f"seeding {args.parts:,} parts and {args.fitments:,} fitments")
    plain_url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain_url) as conn:
        seed(conn, args)
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            for table in ("makes", "models", "vehicles", "parts", "fitments", "offers")
        }
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        db_size = size.fetchone()[0]  # type: ignore[index]
    print("counts: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()) + f"; size {db_size}")
    print(f"seeded in {time.perf_counter() - started:.1f} s")
    print(f"BENCH_DATABASE_URL={plain_url}")


if __name__ == "__main__":
    main()
