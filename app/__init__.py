"""The application factory: create_app is the only way to build the Flask app."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from app.config import Settings


def create_app(config_overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment, then apply overrides (tests, CLI tools)."""
    settings = Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.instance_dir), static_folder=None)
    app.config.from_mapping(settings.flask_config())
    if config_overrides:
        app.config.update(config_overrides)
        if "SQLALCHEMY_DATABASE_URI" in config_overrides:
            # DATABASE_DIRECT_URL pairs with the DATABASE_URL it was set beside: a caller that
            # points the app at another database (tests, tools) must never migrate this one.
            app.config["DATABASE_DIRECT_URL"] = config_overrides.get("DATABASE_DIRECT_URL", "")
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        raise RuntimeError(
            "DATABASE_URL is not set. `make run` starts an embedded PostgreSQL and sets it; "
            "otherwise point it at a server (see .env.example)."
        )

    if app.config.get("BEHIND_PROXY"):
        _trust_proxy_headers(app)

    from app import errors, headers, logs, telemetry

    logs.init_app(app)
    telemetry.init_app(app)
    _register_extensions(app)
    _register_blueprints(app)
    errors.init_app(app)
    headers.init_app(app)
    _register_cli(app)
    return app


def _trust_proxy_headers(app: Flask) -> None:
    """Take the client's address and scheme from the proxy's headers (BEHIND_PROXY=1).

    Behind Fly's proxy every request comes from the proxy, so login rate limiting would
    throttle all riders as one client. Fly appends two X-Forwarded-For entries, the client's
    address and then the app's own public IP ("client, app-ip"), hence PROXY_X_FOR=2: count
    that many entries from the right, so anything a client prepends itself is ignored.
    Without BEHIND_PROXY no forwarded header is trusted at all.
    """
    from werkzeug.middleware.proxy_fix import ProxyFix

    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_for=int(app.config.get("PROXY_X_FOR", 2)), x_proto=1
    )


def _register_extensions(app: Flask) -> None:
    from app import auth
    from app.extensions import csrf, db, limiter

    db.init_app(app)
    if os.environ.get("APP_ROLE") != "web":
        # Migrations are run by the CLI and the release command, never by a web worker:
        # gunicorn.conf.py sets APP_ROLE=web so its workers skip Alembic and Mako (~13 MB
        # a process, DESIGN.md §5's memory budget).
        from flask_migrate import Migrate

        Migrate(compare_type=True, render_as_batch=False).init_app(
            app, db, directory=str(app.root_path + "/../migrations")
        )
    csrf.init_app(app)
    limiter.init_app(app)
    auth.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from admin import init_admin
    from app import account_emails
    from app.api import bp as api_bp
    from app.health import bp as health_bp
    from app.public import bp as public_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(api_bp)
    account_emails.init_app(app)  # digest unsubscribe/preferences (issue 6)
    init_admin(app)


def _register_cli(app: Flask) -> None:
    from app import cli_curation
    from app.cli import demo_cli, users_cli, worker_command
    from app.cli_imports import import_cli
    from app.release import release_command

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(release_command)
    cli_curation.register(app)  # flask dedup scan, flask curation refresh-queue
    app.cli.add_command(import_cli)  # flask import run/commit/undo/errors/export
