# syntax=docker/dockerfile:1
# MotoPartPicker image: the web process (gunicorn, default CMD) and the worker
# (`flask --app wsgi worker`, fly.toml [processes]) run from this one image.
#
# Stage 1 resolves nothing: it installs exactly what uv.lock pins into /opt/venv.
# Stage 2 is the slim runtime: the venv, the app code, a non-root user, no build tools.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1

# The same uv the Makefile pins, so the lock file is read by the version that wrote it.
RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /src
# Only the dependency manifests: this layer is rebuilt when the lock changes, not the code.
COPY pyproject.toml uv.lock ./
# --frozen: install the lock as is and fail if it is stale; no dev tools in production.
RUN uv sync --frozen --no-dev --no-install-project

# ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="motopartpicker" \
      org.opencontainers.image.description="Evidence-backed motorcycle part fitments"

ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8080 \
    INSTANCE_DIR=/app/instance

# A fixed, unprivileged uid/gid so volume ownership is predictable across rebuilds.
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid app \
       --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app

COPY --from=builder /opt/venv /opt/venv
# Code is owned by root and read-only for `app`; only instance/ (local files) is writable.
COPY app/ ./app/
COPY admin/ ./admin/
COPY importers/ ./importers/
COPY migrations/ ./migrations/
COPY data/ ./data/
COPY wsgi.py gunicorn.conf.py ./
RUN install -d -o app -g app -m 0750 /app/instance

# Numeric so Kubernetes-style "runAsNonRoot" checks can verify it without /etc/passwd.
USER 10001:10001

EXPOSE 8080

# Liveness only (/healthz never touches the database), mirroring fly.toml's http check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8080') + '/healthz', timeout=4)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
