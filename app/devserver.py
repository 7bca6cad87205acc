"""`make run`: embedded Postgres unless DATABASE_URL, migrate, first admin, demo data, serve.

Also `--migrate-only` (make migrate) and `--worker-only` (make worker). Everything here is
development convenience; production runs gunicorn and `flask db upgrade` (see fly.toml).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

from app.config import PROJECT_ROOT


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM into a normal exit so atexit stops the embedded server cleanly.
    raise SystemExit(0)


def ensure_database_url() -> None:
    """Start the embedded server when no DATABASE_URL is configured."""
    if os.environ.get("DATABASE_URL"):
        print(" * Using DATABASE_URL from the environment", flush=True)
        return
    from app import embedded_db

    instance = os.environ.get("INSTANCE_DIR", str(PROJECT_ROOT / "instance"))
    print(f" * Starting embedded PostgreSQL in {instance}/pgdata …", flush=True)
    _server, url = embedded_db.start(Path(instance) / "pgdata")
    os.environ["DATABASE_URL"] = url


def prepare() -> None:
    """Migrate, create the first admin, load the demo catalog on an empty database."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services import demo, users

    app = create_app()
    with app.app_context():
        print(" * Applying migrations …", flush=True)
        upgrade()
        from flask_security import hash_password

        created = users.ensure_first_admin(db.session(), hash_password)
        if created is not None:
            email, password = created
            db.session.commit()
            print("\n" + "=" * 64)
            print(" First admin account created (shown once, store it now):")
            print(f"   email:    {email}\n   password: {password}")
            print("=" * 64 + "\n", flush=True)
        if demo.catalog_is_empty(db.session()):
            print(" * Loading the demo catalog (first run) …", flush=True)
            summary = demo.load_demo(db.session())
            db.session.commit()
            print(f" * Demo catalog loaded: {summary}", flush=True)
        from app.tasks.prices import defer_refresh

        defer_refresh(db.session())  # demo prices from data/sample_feeds, once the worker starts
        db.session.commit()


def start_worker() -> subprocess.Popen[bytes]:
    """The job worker as a child process sharing this environment (DATABASE_URL included)."""
    print(" * Starting the job worker (flask worker) …", flush=True)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=PROJECT_ROOT
    )


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """Ask the worker to finish its current job and exit; kill it if it does not."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def serve() -> None:
    """Serve the public site and /admin on 127.0.0.1:5000 (threaded, no reloader)."""
    from app import create_app

    app = create_app()
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(
        f" * MotoPartPicker on http://{host}:{port}/  (admin: http://{host}:{port}/admin/)",
        flush=True,
    )
    app.run(host=host, port=port, threaded=True, use_reloader=False, debug=False)


def main(argv: list[str] | None = None) -> int:
    """Entry point for `python -m app.devserver`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--migrate-only", action="store_true")
    parser.add_argument("--worker-only", action="store_true")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    ensure_database_url()
    prepare()
    if args.migrate_only:
        return 0
    if args.worker_only:
        worker = start_worker()
        with contextlib.suppress(KeyboardInterrupt):
            worker.wait()
        stop_worker(worker)
        return 0
    worker = start_worker()
    try:
        with contextlib.suppress(KeyboardInterrupt):
            serve()
    finally:
        stop_worker(worker)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
