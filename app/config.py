"""Configuration read from the environment only; every variable is documented in .env.example."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Environments that face the internet: secrets are required and cookies are Secure. A preview
# app (one per pull request, on a copy of production's data) is held to production's rules.
PRODUCTION_LIKE_ENVS = frozenset({"production", "preview"})


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def sqlalchemy_url(url: str) -> str:
    """Use psycopg 3 for any Postgres URL (Neon and Fly hand out `postgres://…`)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(instance_dir: Path) -> str:
    """Embedded default only: a random key kept in instance/ so sessions survive restarts."""
    path = instance_dir / "secret_key"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass(frozen=True)
class Settings:
    """The typed view of the environment that create_app turns into Flask config."""

    env: str
    instance_dir: Path
    database_url: str
    database_direct_url: str
    behind_proxy: bool
    proxy_x_for: int
    secret_key: str
    password_salt: str
    read_only: bool
    log_level: str
    ratelimit_storage_uri: str
    login_rate_limit: str
    sentry_dsn: str
    sentry_traces_sample_rate: float
    resend_api_key: str
    email_from: str
    storage_backend: str
    r2: dict[str, str]
    public_base_url: str
    max_upload_mb: int
    import_inline_max_mb: float
    import_parse_cache_mb: float
    import_parse_cache_shared: bool
    integrations: dict[str, Any]  # Resend/outbox, retailers, Sentry, jobs: see below
    public_site: dict[str, Any]  # page cache, degraded mode, search/offer settings: see below

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get("APP_ENV", "development")
        instance_dir = Path(os.environ.get("INSTANCE_DIR", PROJECT_ROOT / "instance")).resolve()
        secret_key = os.environ.get("SECRET_KEY", "")
        if not secret_key:
            if env in PRODUCTION_LIKE_ENVS:
                raise RuntimeError(f"SECRET_KEY must be set when APP_ENV={env}")
            secret_key = _instance_secret(instance_dir)
        salt = os.environ.get("SECURITY_PASSWORD_SALT", "")
        if not salt:
            if env in PRODUCTION_LIKE_ENVS:
                raise RuntimeError(f"SECURITY_PASSWORD_SALT must be set when APP_ENV={env}")
            salt = "dev-salt:" + secret_key[:16]
        return cls(
            env=env,
            instance_dir=instance_dir,
            database_url=sqlalchemy_url(os.environ.get("DATABASE_URL", "")),
            database_direct_url=sqlalchemy_url(os.environ.get("DATABASE_DIRECT_URL", "")),
            behind_proxy=_env_bool("BEHIND_PROXY", False),
            proxy_x_for=_env_int("PROXY_X_FOR", 2),
            secret_key=secret_key,
            password_salt=salt,
            read_only=_env_bool("READ_ONLY", False),
            log_level=os.environ.get("LOG_LEVEL", "INFO").upper(),
            ratelimit_storage_uri=os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
            login_rate_limit=os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
            sentry_dsn=os.environ.get("SENTRY_DSN", ""),
            sentry_traces_sample_rate=_env_float("SENTRY_TRACES_SAMPLE_RATE", 0.05),
            resend_api_key=os.environ.get("RESEND_API_KEY", ""),
            email_from=os.environ.get("EMAIL_FROM", "MotoPartPicker <noreply@localhost>"),
            storage_backend=os.environ.get("STORAGE_BACKEND", "local"),
            r2={
                name: os.environ.get(name, "")
                for name in (
                    "R2_ACCOUNT_ID",
                    "R2_ACCESS_KEY_ID",
                    "R2_SECRET_ACCESS_KEY",
                    "R2_BUCKET",
                    "R2_ENDPOINT_URL",
                )
            },
            public_base_url=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
            max_upload_mb=_env_int("MAX_UPLOAD_MB", 200),
            import_inline_max_mb=_env_float("IMPORT_INLINE_MAX_MB", 2.0),
            import_parse_cache_mb=_env_float("IMPORT_PARSE_CACHE_MB", 2048.0),
            import_parse_cache_shared=_env_bool(
                "IMPORT_PARSE_CACHE_SHARED", os.environ.get("STORAGE_BACKEND", "local") == "r2"
            ),
            integrations=integration_settings(),
            public_site=public_site_settings(),
        )

    def flask_config(self) -> dict[str, Any]:
        """The Flask/extension keys derived from these settings."""
        is_prod = self.env in PRODUCTION_LIKE_ENVS
        return {
            "APP_ENV": self.env,
            "SECRET_KEY": self.secret_key,
            "INSTANCE_DIR": str(self.instance_dir),
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_pre_ping": True,
                "pool_size": 5,
                "max_overflow": 5,
                # An unreachable database must fail fast so the site can serve saved pages.
                "connect_args": {"connect_timeout": self.public_site["DB_CONNECT_TIMEOUT"]},
            },
            # Neon's direct (non-pooled) endpoint for migrations and the worker's LISTEN/NOTIFY;
            # empty = the same server as SQLALCHEMY_DATABASE_URI (see direct_database_url).
            "DATABASE_DIRECT_URL": self.database_direct_url,
            # Trust X-Forwarded-For/-Proto from the proxy in front (Fly's): see create_app.
            "BEHIND_PROXY": self.behind_proxy,
            "PROXY_X_FOR": self.proxy_x_for,
            "READ_ONLY": self.read_only,
            "LOG_LEVEL": self.log_level,
            "MAX_CONTENT_LENGTH": self.max_upload_mb * 1024 * 1024,
            # Import files up to this size are previewed/committed in the request; bigger
            # ones run in the worker with a live progress page.
            "IMPORT_INLINE_MAX_BYTES": int(self.import_inline_max_mb * 1024 * 1024),
            # Parsed import files kept on local disk (instance/import-cache) so a commit
            # after its preview, or a re-import, skips parsing; 0 switches it off.
            "IMPORT_PARSE_CACHE_MB": self.import_parse_cache_mb,
            # ... and shared through the file store (R2: every worker, replaced machines).
            "IMPORT_PARSE_CACHE_SHARED": self.import_parse_cache_shared,
            **self.integrations,
            **self.public_site,
            "PUBLIC_BASE_URL": self.public_base_url,
            "SENTRY_DSN": self.sentry_dsn,
            "SENTRY_TRACES_SAMPLE_RATE": self.sentry_traces_sample_rate,
            "RESEND_API_KEY": self.resend_api_key,
            "EMAIL_FROM": self.email_from,
            "STORAGE_BACKEND": self.storage_backend,
            **self.r2,
            # Flask-Limiter: login attempts per client address.
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage_uri,
            "RATELIMIT_HEADERS_ENABLED": True,
            "LOGIN_RATE_LIMIT": self.login_rate_limit,
            # Sessions: signed cookies, so web machines stay stateless.
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": is_prod,
            "REMEMBER_COOKIE_SECURE": is_prod,
            "PREFERRED_URL_SCHEME": "https" if is_prod else "http",
            # Flask-WTF: CSRF on every form, the admin's included.
            "WTF_CSRF_ENABLED": True,
            "WTF_CSRF_TIME_LIMIT": 8 * 3600,
            # Flask-Security-Too.
            "SECURITY_PASSWORD_HASH": "argon2",
            "SECURITY_PASSWORD_SALT": self.password_salt,
            "SECURITY_PASSWORD_LENGTH_MIN": 12,
            "SECURITY_URL_PREFIX": "/account",
            "SECURITY_POST_LOGIN_VIEW": "/admin/",
            "SECURITY_POST_LOGOUT_VIEW": "/",
            "SECURITY_REGISTERABLE": False,
            # Password reset emails go through the outbox (app/account_emails.py). The address
            # typed into the form is looked up, not mailed, so no DNS deliverability check
            # (it would stall the request, and fails offline).
            "SECURITY_RECOVERABLE": True,
            "SECURITY_EMAIL_VALIDATOR_ARGS": {"check_deliverability": False},
            "SECURITY_TRACKABLE": False,
            "SECURITY_CHANGEABLE": True,
            "SECURITY_SEND_PASSWORD_CHANGE_EMAIL": False,
            "SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS": False,
            "SECURITY_USERNAME_ENABLE": False,
            "SECURITY_CLI_USERS_NAME": False,  # our own `flask users` group replaces it
            "SECURITY_CLI_ROLES_NAME": False,
            "SECURITY_FLASH_MESSAGES": True,
            "SECURITY_MSG_LOGIN": ("Please log in to use the back office.", "info"),
        }


def direct_database_url(config: Mapping[str, Any]) -> str:
    """The URL for migrations and the job worker: DATABASE_DIRECT_URL, else the app's own.

    Neon's pooled endpoint (PgBouncer, transaction mode) drops session state between
    transactions, so LISTEN/NOTIFY, session advisory locks and Alembic's DDL go direct.
    """
    return str(config.get("DATABASE_DIRECT_URL") or config["SQLALCHEMY_DATABASE_URI"])


SAMPLE_FEEDS = (
    "revzilla=data/sample_feeds/revzilla.csv,"
    "rocky-mountain-atv-mc=data/sample_feeds/rocky-mountain-atv-mc.xml"
)


def integration_settings() -> dict[str, Any]:
    """Email outbox, retailer providers, Sentry and job settings (documented in .env.example)."""
    return {
        "RESEND_API_URL": os.environ.get("RESEND_API_URL", "https://api.resend.com"),
        "OUTBOX_MAX_ATTEMPTS": _env_int("OUTBOX_MAX_ATTEMPTS", 8),
        "OUTBOX_BACKOFF_SECONDS": _env_float("OUTBOX_BACKOFF_SECONDS", 30.0),
        "OUTBOX_BACKOFF_MAX_SECONDS": _env_float("OUTBOX_BACKOFF_MAX_SECONDS", 3600.0),
        "OUTBOX_SEND_TIMEOUT": _env_int("OUTBOX_SEND_TIMEOUT", 10),
        "OUTBOX_LEASE_SECONDS": _env_int("OUTBOX_LEASE_SECONDS", 120),
        "OUTBOX_BATCH_SIZE": _env_int("OUTBOX_BATCH_SIZE", 50),
        "RETAILER_FEEDS": os.environ.get("RETAILER_FEEDS", SAMPLE_FEEDS),
        "RETAILER_REVZILLA_URL": os.environ.get("RETAILER_REVZILLA_URL", ""),
        "RETAILER_REVZILLA_KEY": os.environ.get("RETAILER_REVZILLA_KEY", ""),
        "RETAILER_REVZILLA_RATE": _env_float("RETAILER_REVZILLA_RATE", 2.0),
        "RETAILER_ROCKYMOUNTAIN_URL": os.environ.get("RETAILER_ROCKYMOUNTAIN_URL", ""),
        "RETAILER_ROCKYMOUNTAIN_KEY": os.environ.get("RETAILER_ROCKYMOUNTAIN_KEY", ""),
        "RETAILER_ROCKYMOUNTAIN_RATE": _env_float("RETAILER_ROCKYMOUNTAIN_RATE", 2.0),
        "RETAILER_TIMEOUT_SECONDS": _env_float("RETAILER_TIMEOUT_SECONDS", 10.0),
        "RETAILER_RETRIES": _env_int("RETAILER_RETRIES", 2),
        "RETAILER_BREAKER_THRESHOLD": _env_int("RETAILER_BREAKER_THRESHOLD", 3),
        "RETAILER_BREAKER_COOLDOWN_SECONDS": _env_int("RETAILER_BREAKER_COOLDOWN_SECONDS", 900),
        "RETAILER_STALE_HOURS": _env_int("RETAILER_STALE_HOURS", 48),
        "SENTRY_ENVIRONMENT": os.environ.get("SENTRY_ENVIRONMENT", ""),
        "SENTRY_RELEASE": os.environ.get("SENTRY_RELEASE") or os.environ.get("GIT_SHA", ""),
        "JOBS_STALLED_AFTER_SECONDS": _env_int("JOBS_STALLED_AFTER_SECONDS", 60),
    }


def public_site_settings() -> dict[str, Any]:
    """Public site: page cache, degraded mode, offers, counters (documented in .env.example)."""
    return {
        "PAGE_CACHE_SECONDS": _env_int("PAGE_CACHE_SECONDS", 300),
        "PAGE_CACHE_MB": _env_int("PAGE_CACHE_MB", 4),
        "PAGE_CACHE_DIR": os.environ.get("PAGE_CACHE_DIR", ""),
        "OFFER_STALE_HOURS": _env_float("OFFER_STALE_HOURS", 48.0),
        "METRICS_FLUSH_SECONDS": _env_float("METRICS_FLUSH_SECONDS", 10.0),
        "DB_RETRY_SECONDS": _env_float("DB_RETRY_SECONDS", 5.0),
        "DB_CONNECT_TIMEOUT": _env_int("DB_CONNECT_TIMEOUT", 5),
        "SITEMAP_MAX_URLS": _env_int("SITEMAP_MAX_URLS", 50_000),
    }
