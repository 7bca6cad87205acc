"""The embedded PostgreSQL default: reused between runs and recovered after a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

START = """
import sys
from pathlib import Path
from app import embedded_db
server, url = embedded_db.start(Path(sys.argv[1]), database="crashcheck")
import psycopg
with psycopg.connect(url, autocommit=True) as conn:
    conn.execute("CREATE TABLE IF NOT EXISTS kept (n int)")
    conn.execute("INSERT INTO kept VALUES (1)")
    print(conn.execute("SELECT count(*) FROM kept").fetchone()[0], flush=True)
"""


def _run(pgdata: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-c", START, str(pgdata)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return int(out.stdout.strip().splitlines()[-1])


def _postmaster_pid(pgdata: Path) -> int | None:
    pidfile = pgdata / "postmaster.pid"
    return int(pidfile.read_text().splitlines()[0]) if pidfile.exists() else None


def test_data_persists_and_a_killed_server_recovers(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    pgdata = tmp_path / "pgdata"
    assert _run(pgdata) == 1  # first start: initdb, create database
    assert _postmaster_pid(pgdata) is None, "the server should stop when its last user exits"
    assert _run(pgdata) == 2  # second start reuses the data

    # Simulate a crash: a server left running, then SIGKILLed (stale postmaster.pid).
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys,time\nfrom pathlib import Path\nfrom app import embedded_db\n"
            "embedded_db.start(Path(sys.argv[1]), database='crashcheck')\n"
            "print('up', flush=True)\ntime.sleep(60)",
            str(pgdata),
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "up"
    pid = _postmaster_pid(pgdata)
    assert pid
    os.kill(pid, signal.SIGKILL)
    holder.kill()
    holder.wait()
    holder.stdout.close()
    time.sleep(0.5)
    assert (pgdata / "postmaster.pid").exists(), "the crash leaves a stale pid file behind"
    try:
        assert _run(pgdata) == 3  # recovered, data intact
    finally:
        leftover = _postmaster_pid(pgdata)
        if leftover:
            os.kill(leftover, signal.SIGINT)
