"""Import benchmark: a seeded, messy fitment CSV through the real import service.

    .venv/bin/python -m benchmarks.import_fitments                 # 1,000,000 rows
    .venv/bin/python -m benchmarks.import_fitments --rows 200000
    .venv/bin/python -m benchmarks.import_fitments --keep          # keep the DB to inspect
    BENCH_EXPLAIN_MS=1000 .venv/bin/python -m benchmarks.import_fitments   # slow plans -> PG log

Each import prints its seconds per phase (read and stage, resolve names, create names,
classify claims, write fitments, write evidence), as the batch report records them.

Measures in one run, on one fresh database (the schema from the real migrations):

1. reference: a raw `COPY` of the same file into an unindexed 10-column text table;
2. first import: upload (hash + store) → parse → normalize → validate → commit, evidence
   included, into an empty catalog;
3. re-import of the same file: must write zero catalog rows. The importing machine kept
   the first import's parse (app/services/imports/parsecache.py), so it is not parsed again;
4. the same re-import on another machine (a second worker, or a replaced one): its own
   empty cache folder, but the first import's job shared the parse through the file store
   (app/services/imports/parseshare.py; a local folder here, R2 in production);
5. the same re-import with no kept parse anywhere: parsed again, for comparison;
6. another vendor's file (the next seed) into the catalog the first one made;
7. the admin wizard's way to the first import, into an empty catalog again: upload and
   preview (parsed, and the parse kept), then the commit from the kept parse.

Each import runs in its own child process (`--child`), so its peak RSS is the importing
process's alone. Without --database-url an embedded PostgreSQL is started under
instance/bench-import-pgdata (and stopped at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_PGDATA = PROJECT_ROOT / "instance" / "bench-import-pgdata"
DATABASE = "mpp_bench_import"
CATALOG_TABLES = (
    "makes",
    "models",
    "vehicles",
    "brands",
    "parts",
    "fitments",
    "fitment_evidence",
    "offers",
    "import_changes",
)
BUDGET_FIRST_S, BUDGET_REIMPORT_S, BUDGET_RSS_MB = 20.0, 10.0, 256


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _fresh_database(admin_url: str | None) -> tuple[str, Any]:
    """(SQLAlchemy URL of a freshly created database, server handle or None)."""
    from sqlalchemy.engine import make_url

    from app import embedded_db
    from app.config import sqlalchemy_url

    server = None
    if admin_url is None:
        server, _ = embedded_db.start(BENCH_PGDATA, database="postgres")
        admin_url = str(server.get_uri())
    embedded_db.drop_database(admin_url, DATABASE)
    embedded_db.create_database(admin_url, DATABASE)
    url = make_url(sqlalchemy_url(admin_url)).set(database=DATABASE)
    return url.render_as_string(hide_password=False), server


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        from app.extensions import db

        db.engine.dispose()


def _copy_reference(url: str, path: Path) -> float:
    """Seconds for a raw COPY of the file into an unindexed text table (client-side stream)."""
    import psycopg

    with psycopg.connect(_psycopg_url(url)) as conn:
        conn.execute(
            "CREATE UNLOGGED TABLE IF NOT EXISTS bench_copy (c1 text, c2 text, c3 text, "
            "c4 text, c5 text, c6 text, c7 text, c8 text, c9 text, c10 text)"
        )
        conn.execute("TRUNCATE bench_copy")
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy("COPY bench_copy FROM STDIN (FORMAT csv, HEADER true)") as copy,
            path.open("rb") as handle,
        ):
            while chunk := handle.read(1024 * 1024):
                copy.write(chunk)
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy")
        conn.commit()
    return elapsed


def _table_stats(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(_psycopg_url(url)) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = conn.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables "
            "WHERE relname = ANY(%s)",
            (list(CATALOG_TABLES),),
        ).fetchall()
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            for table in CATALOG_TABLES
        }
    return {"written": sum(int(n) for _, n in rows), **counts}


def child(url: str, path: Path) -> None:
    """One step in this process; prints a JSON line with seconds and peak RSS. The step
    (BENCH_STEP) is a whole import (upload, then commit), an upload and its preview, or the
    commit of a previewed batch (BENCH_BATCH)."""
    import datetime as dt

    from app import create_app
    from app.adapters.storage import from_config
    from app.extensions import db
    from app.models import ImportBatch
    from app.services import imports
    from importers.sources import READER

    step = os.environ.get("BENCH_STEP", "import")

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        storage = from_config(app.config)
        session = db.session()
        if os.environ.get("BENCH_EXPLAIN_MS"):  # plans of slow statements into the server log
            for setting in (
                "LOAD 'auto_explain'",
                f"SET auto_explain.log_min_duration = {int(os.environ['BENCH_EXPLAIN_MS'])}",
                "SET auto_explain.log_analyze = on",
                "SET auto_explain.log_timing = off",  # per-node clocks would skew the figures
                "SET auto_explain.log_nested_statements = on",
                "SET auto_explain.log_triggers = on",
            ):
                session.execute(db.text(setting))
        started = time.perf_counter()
        this_year = dt.datetime.now(dt.UTC).year
        cache = imports.parse_cache(app.config, storage)
        if step == "commit":
            batch = session.get(ImportBatch, int(os.environ["BENCH_BATCH"]))
            assert batch is not None
        else:
            with path.open("rb") as stream:
                created = imports.create_batch(
                    session,
                    storage,
                    READER,
                    stream=stream,
                    filename=path.name,
                    source="Benchmark Vendor",
                    max_bytes=1024 * 1024 * 1024,
                )
            batch = created.batch
            imports.save_mapping(session, batch, READER, batch.mapping)
        if step == "preview":
            found = imports.preview(
                session, storage, READER, batch, this_year=this_year, cache=cache
            )
        else:
            found = imports.commit(
                session, storage, READER, batch, this_year=this_year, actor_id=None, cache=cache
            )
        session.commit()
        elapsed = time.perf_counter() - started
        # What the import job does next, after its transaction (not on the import's clock).
        shared_s = time.perf_counter()
        shared = imports.share_parse(cache, READER, batch, this_year=this_year)
        shared_s = time.perf_counter() - shared_s if shared else 0.0
        session.execute(db.text("SELECT pg_stat_force_next_flush()"))
        session.commit()
        counts, batch_id = dict(batch.counts), batch.id
        db.engine.dispose()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # A big file's parser runs in a forked child (app/services/imports/parsefork.py): its
    # peak, which counts the memory it shares with this process too.
    parser_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    timings = found.details.get("timings", {})
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "rss_mb": rss_mb,
                "parser_mb": parser_mb,
                "shared_s": shared_s,
                "counts": counts,
                "timings": timings,
                "batch": batch_id,
            }
        )
    )


def _run_child(
    url: str,
    path: Path,
    instance: Path,
    *,
    cache: bool = True,
    step: str = "import",
    batch: int = 0,
) -> dict[str, Any]:
    # Kept parses are shared through the file store (instance/files here, R2 in production).
    env = {**os.environ, "INSTANCE_DIR": str(instance), "LOG_LEVEL": "WARNING"}
    env["IMPORT_PARSE_CACHE_SHARED"] = "1"
    env.update({"BENCH_STEP": step, "BENCH_BATCH": str(batch)})
    if not cache:
        env["IMPORT_PARSE_CACHE_MB"] = "0"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.import_fitments", "--child", url, str(path)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"import failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", help="a superuser URL of another PostgreSQL server")
    parser.add_argument(
        "--keep", action="store_true", help=f"keep the {DATABASE} database for inspection"
    )
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return

    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        _benchmark(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _benchmark(args: argparse.Namespace, workdir: Path) -> None:
    from benchmarks.fitment_data import generate

    path = workdir / f"fitments-{args.rows}.csv"
    started = time.perf_counter()
    generate(path, args.rows, seed=args.seed)
    size_mb = path.stat().st_size / 1024 / 1024
    print(
        f"generated {args.rows:,} rows ({size_mb:.0f} MB) in {time.perf_counter() - started:.1f} s"
    )

    url, server = _fresh_database(args.database_url)
    try:
        _migrate(url)
        copy_s = _copy_reference(url, path)
        print(f"reference COPY      {copy_s:7.2f} s  {args.rows / copy_s:>12,.0f} rows/s")

        first = _run_child(url, path, workdir / "instance")
        after_first = _table_stats(url)
        second = _run_child(url, path, workdir / "instance")
        after_second = _table_stats(url)
        # The same re-import on another machine (a second worker, or a replaced one): its
        # own empty cache folder, the same file store, where the first import shared its
        # parse.
        other = workdir / "instance-other"
        other.mkdir()
        (other / "files").symlink_to(workdir / "instance" / "files")
        fetched = _run_child(url, path, other)
        # ... and with no kept parse anywhere: the file is parsed again.
        third = _run_child(url, path, workdir / "instance", cache=False)
        after_third = _table_stats(url)
        # Another vendor's file (another seed: other parts, mostly other claims) into the
        # catalog the first one made: a first import, into a catalog that is not empty.
        other_file = workdir / f"fitments-{args.rows}-other.csv"
        generate(other_file, args.rows, seed=args.seed + 1)
        second_file = _run_child(url, other_file, workdir / "instance")
        # The admin wizard's way to the same first import: preview (parsed and kept), then
        # commit from the kept parse, into an empty catalog again.
        admin_url = args.database_url or str(server.get_uri())
        url, _ = _fresh_database(admin_url)
        _migrate(url)
        wizard = workdir / "instance-wizard"
        preview = _run_child(url, path, wizard, step="preview")
        commit = _run_child(url, path, wizard, step="commit", batch=preview["batch"])
    finally:
        if server is not None and not args.keep:
            from app import embedded_db

            embedded_db.drop_database(str(server.get_uri()), DATABASE)
    written = after_second["written"] - after_first["written"]
    written_uncached = after_third["written"] - after_second["written"]
    for label, run, budget in (
        ("first import", first, f"budget {BUDGET_FIRST_S:.0f} s"),
        ("re-import", second, f"budget {BUDGET_REIMPORT_S:.0f} s"),
        ("re-import, shared", fetched, f"budget {BUDGET_REIMPORT_S:.0f} s"),
        ("re-import, no cache", third, f"budget {BUDGET_REIMPORT_S:.0f} s"),
        ("another file", second_file, f"budget {BUDGET_FIRST_S:.0f} s"),
        ("wizard: preview", preview, "no budget"),
        ("wizard: then commit", commit, "the kept parse"),
    ):
        seconds = run["seconds"]
        print(
            f"{label:<19} {seconds:7.2f} s  {args.rows / seconds:>12,.0f} rows/s  "
            f"COPY/import {copy_s / seconds:6.1%}  peak RSS {run['rss_mb']:.0f} MB "
            f"(parser child {run['parser_mb']:.0f} MB, shared pages counted in both)  "
            f"({budget}, {BUDGET_RSS_MB} MB)"
        )
        phases = ", ".join(f"{name} {took:.1f} s" for name, took in run["timings"].items())
        print(f"{'':<19} phases: {phases}")
        if run["shared_s"] >= 0.05:  # it uploaded (not: found it there already)
            print(
                f"{'':<19} then (the job, after its commit) shared the parse "
                f"in {run['shared_s']:.1f} s"
            )
    packs = [p.stat().st_size for p in (workdir / "instance" / "files").rglob("*.copy.gz")]
    print(
        f"parses shared in the file store: {len(packs)}, "
        f"{sum(packs) / max(1, len(packs)) / 1024 / 1024:.0f} MB each (gzip)"
    )
    counts = first["counts"]
    print(
        f"first import: {counts.get('rows', 0):,} valid rows, "
        f"{counts.get('invalid', 0):,} invalid, "
        f"{counts.get('fitments_created', 0):,} fitments, {counts.get('evidence_added', 0):,} "
        f"evidence rows, created {counts.get('created')}"
    )
    print(
        f"re-import: {second['counts'].get('changes')} changes reported, {written} catalog rows "
        f"written (without the kept parse: {third['counts'].get('changes')} changes, "
        f"{written_uncached} rows); tables { ({t: after_third[t] for t in CATALOG_TABLES}) }"
    )


if __name__ == "__main__":
    main()
