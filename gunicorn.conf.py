"""Gunicorn settings for the web process (Dockerfile CMD and fly.toml `web`), sized for Fly.io.

Importing this module only reads the environment; the `post_fork` hook below runs inside
gunicorn. Every number here is chosen for one 256 MB shared-cpu-1x machine (see
DESIGN.md §5: master + 2 workers must stay under ~180 MB PSS).
"""

from __future__ import annotations

import os
from typing import Any

# --- Socket -----------------------------------------------------------------------------
# Fly's proxy connects to internal_port (fly.toml) on the machine's private address, so
# listen on every interface. PORT comes from the image / fly.toml [env]; 8080 by default.
bind = f"0.0.0.0:{os.environ.get('PORT', '8080')}"

# --- Workers ----------------------------------------------------------------------------
# Two processes x two threads = four requests in flight per machine. A warmed worker is
# ~65-120 MB RSS, so a third process would not fit in 256 MB; threads add concurrency for
# requests that wait on Postgres (I/O) at almost no memory cost. With threads > 1 gunicorn's
# "sync" model runs as the threaded `gthread` worker, so name it explicitly.
# Fly scales out by adding machines (soft_limit 100 in fly.toml), not by adding workers.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"

# --- Memory -----------------------------------------------------------------------------
# preload_app imports the Flask app once in the master before forking, so the workers share
# the already-imported code (Flask, SQLAlchemy, Jinja, models) copy-on-write instead of each
# importing its own ~60 MB. The cost: code changes need a full restart (a deploy does that).
# Connections opened in the master must not be shared by forks -- see post_fork below.
preload_app = True

# Recycle each worker after ~1,000,000 requests (jittered so both never restart together) to
# cap slow memory growth (every cache in the worker is bounded, so this is a safety net).
# Measured with benchmarks/public_pages.py: a cached page costs the worker ~0.3 ms, so at
# saturation a worker serves ~3,000 requests/s; at 1,000 or 20,000 it restarted every second
# or every few seconds, and each restart (its connections dropped, its memory cache cold)
# dominated the p99. At this value it lives ~5 minutes at saturation, days at normal traffic.
max_requests = 1_000_000
max_requests_jitter = 100_000

# The heartbeat file lives in RAM; a container's overlay /tmp can stall the heartbeat.
worker_tmp_dir = "/dev/shm"  # noqa: S108 -- tmpfs on purpose, not a predictable temp file

# The app knows it is a web process (create_app skips the migration tooling; the release
# command and the CLI migrate). gunicorn sets this before loading (preloading) the app.
raw_env = ["APP_ROLE=web"]

# --- Timeouts ---------------------------------------------------------------------------
# A request slower than 30 s is a bug (large imports run as jobs in the worker process):
# kill the stuck worker rather than let it hold one of only four slots.
timeout = 30
# On SIGTERM (fly.toml kill_signal) finish in-flight requests for up to 20 s; fly.toml's
# kill_timeout (25 s) is longer so Fly does not SIGKILL us mid-drain during a rolling deploy.
graceful_timeout = 20
# Fly's proxy reuses upstream connections; keep them open a little longer than the default
# 2 s so the proxy does not pay a new TCP handshake for each request.
keepalive = 5

# --- Proxy headers ----------------------------------------------------------------------
# "*" trusts X-Forwarded-Proto / X-Forwarded-For from any peer. That is safe ONLY because
# Fly's proxy is the sole ingress: machines have no public address of their own, and the
# app's port is reachable only through fly-proxy (and Fly's private 6PN network). Do not
# reuse this setting on a host that is exposed directly to the internet.
# Gunicorn uses it only for the scheme (wsgi.url_scheme); the client's address comes from
# werkzeug's ProxyFix, which create_app installs when BEHIND_PROXY=1 (fly.toml [env]).
forwarded_allow_ips = "*"

# No runtime control socket (gunicorn >= 25): nothing uses `gunicornc` in production, and the
# default path under $HOME is not writable for the unprivileged `app` user.
control_socket_disable = True

# --- Logging ----------------------------------------------------------------------------
# Both logs go to stdout/stderr, which Fly (and `docker compose logs`) collect.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Request line, status, size, duration in microseconds and Fly's request id for tracing.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)sus "%(a)s" fly_request_id=%({fly-request-id}i)s'
proc_name = "motopartpicker-web"


def pre_fork(server: Any, worker: Any) -> None:
    """Freeze the preloaded heap so the collector never touches (and un-shares) its pages."""
    import gc

    gc.freeze()


def post_fork(server: Any, worker: Any) -> None:
    """Forget pooled DB connections inherited from the preloaded master.

    SQLAlchemy's pool must never share a socket between processes; `dispose(close=False)`
    drops the parent's connections in this child without closing them for the parent.
    """
    from app.extensions import db

    wsgi_app = server.app.wsgi()
    with wsgi_app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
