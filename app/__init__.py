"""The application factory: create_app is the only way to build the Flask app."""

from __future__ import annotations

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
    """Take the client address and scheme from the one hop Fly's proxy adds (BEHIND_PROXY=1).

    Behind the proxy every request comes from the proxy's address, so login rate limiting
    would throttle all riders as one client. x_for=1 trusts only the last X-Forwarded-For
    entry (the one the proxy appended), so a client cannot spoof its address by sending its
    own header; without BEHIND_PROXY no forwarded header is trusted at all.
    """
    from werkzeug.middleware.proxy_fix import ProxyFix

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]


def _register_extensions(app: Flask) -> None:
    from app import auth
    from app.extensions import csrf, db, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    auth.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from admin import init_admin
    from app.health import bp as health_bp
    from app.public import bp as public_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(public_bp)
    init_admin(app)


def _register_cli(app: Flask) -> None:
    from app.cli import demo_cli, users_cli, worker_command

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(worker_command)
