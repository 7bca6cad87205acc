"""Drill: the runbook's backup and restore (docs/runbook.md "Data corruption / restore").

pg_dump the demo catalog with scripts/db-backup.sh, restore it into a fresh database with
scripts/db-restore.sh, and compare scripts/db-fingerprint.sql on both: every table's row
count, the schema revision, a checksum of the verified fitments and every sequence.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from tests.ops.conftest import libpq_url


def _verified_line(fingerprint_text: str) -> str:
    return next(line for line in fingerprint_text.splitlines() if line.startswith("verified_"))


def test_dump_restores_into_a_fresh_database_with_identical_data(
    demo_database: str,
    fresh_database: Any,
    run_script: Callable[..., Any],
    fingerprint: Callable[[str], str],
    tmp_path: Path,
) -> None:
    before = fingerprint(demo_database)
    verified = _verified_line(before).split("|")
    assert int(verified[1]) > 100, "the demo catalog should hold verified fitments"
    assert "rows:public.fitments|0" not in before

    dump = Path(run_script("db-backup.sh", demo_database, str(tmp_path)).stdout.strip())
    assert dump.parent == tmp_path and dump.suffix == ".dump" and dump.stat().st_size > 0
    assert not list(tmp_path.glob("*.partial"))

    target = str(fresh_database("mpp_restored"))
    restored = run_script("db-restore.sh", str(dump), target)
    assert "restored" in restored.stdout

    assert fingerprint(target) == before


def test_the_restored_database_takes_new_rows(
    demo_database: str,
    fresh_database: Any,
    run_script: Callable[..., Any],
    tmp_path: Path,
) -> None:
    """Sequences came back too: the next id after a restore is not one that already exists."""
    dump = run_script("db-backup.sh", demo_database, str(tmp_path)).stdout.strip()
    target = str(fresh_database("mpp_restored"))
    run_script("db-restore.sh", dump, target)

    with psycopg.connect(libpq_url(target)) as conn:
        new_id = conn.execute(
            "INSERT INTO brands (name, name_key, slug) VALUES ('Drill Brakes', 'drillbrakes',"
            " 'drill-brakes') RETURNING id"
        ).fetchone()
        highest = conn.execute("SELECT max(id) FROM brands WHERE name <> 'Drill Brakes'").fetchone()
    assert new_id and highest and new_id[0] > highest[0]


def test_the_checksum_notices_a_changed_verified_fitment(
    demo_database: str, fingerprint: Callable[[str], str]
) -> None:
    """The comparison is not vacuous: one curated row changing changes the fingerprint."""
    before = _verified_line(fingerprint(demo_database))
    with psycopg.connect(libpq_url(demo_database)) as conn:
        conn.execute(
            "UPDATE fitments SET note = note || ' (edited)'"
            " WHERE id = (SELECT min(id) FROM fitments WHERE status = 'verified')"
        )
    after = _verified_line(fingerprint(demo_database))
    assert after != before
    assert after.split("|")[1] == before.split("|")[1]  # same count, different content


def test_restore_refuses_a_database_that_already_has_tables(
    demo_database: str, run_script: Callable[..., Any], tmp_path: Path
) -> None:
    dump = run_script("db-backup.sh", demo_database, str(tmp_path)).stdout.strip()

    refused = run_script("db-restore.sh", dump, demo_database, check=False)

    assert refused.returncode == 2
    assert "refusing" in refused.stderr


def test_a_truncated_dump_restores_nothing(
    demo_database: str,
    fresh_database: Any,
    run_script: Callable[..., Any],
    tmp_path: Path,
) -> None:
    """All or nothing: a dump cut short (a failed upload, a full disk) leaves the target
    empty, never half the tables with the rest missing."""
    dump = Path(run_script("db-backup.sh", demo_database, str(tmp_path)).stdout.strip())
    truncated = tmp_path / "truncated.dump"
    truncated.write_bytes(dump.read_bytes()[: dump.stat().st_size * 2 // 3])
    target = str(fresh_database("mpp_restored"))

    failed = run_script("db-restore.sh", str(truncated), target, check=False)

    assert failed.returncode != 0
    with psycopg.connect(libpq_url(target)) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()
    assert tables == (0,)
