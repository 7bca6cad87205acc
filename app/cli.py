"""Flask CLI commands: `flask users create`, `flask demo load`. Thin: parse, call, commit."""

from __future__ import annotations

import secrets

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app.config import direct_database_url
from app.extensions import db
from app.models.users import ROLE_NAMES

users_cli = AppGroup("users", help="Manage back-office accounts.")


@click.command("worker")
@click.option("--queue", "queues", multiple=True, help="Queue to serve (repeat; default: all).")
@click.option("--burst", is_flag=True, help="Run the jobs already queued, then exit.")
@click.option("--concurrency", default=1, show_default=True, help="Jobs run at the same time.")
@with_appcontext
def worker_command(queues: tuple[str, ...], burst: bool, concurrency: int) -> None:
    """Run the background job worker (imports, dedup scans, digests, price refreshes)."""
    from app import jobs

    jobs.FlaskContext.app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"Worker started (queues: {', '.join(queues) or 'all'}; burst: {burst})")
    # Direct endpoint: procrastinate's LISTEN/NOTIFY and locks do not survive a pooler.
    jobs.worker_app(direct_database_url(current_app.config)).run_worker(
        queues=list(queues) or None,
        wait=not burst,
        concurrency=concurrency,
        install_signal_handlers=not burst,
    )


demo_cli = AppGroup("demo", help="The demo catalog.")


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLE_NAMES),
    help="Role to grant (repeat for several).",
)
@click.option("--password", default=None, help="Password (default: generated and printed once).")
def create_user_command(email: str, roles: tuple[str, ...], password: str | None) -> None:
    """Create an account with the given role(s)."""
    from flask_security import hash_password

    from app.services.users import UserError, create_user

    generated = password is None
    password = password or secrets.token_urlsafe(15)
    try:
        create_user(
            db.session(),
            email=email,
            password=password,
            role_names=list(roles),
            hash_password=hash_password,
        )
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {email} with role(s): {', '.join(roles)}")
    if generated:
        click.echo(f"Password (shown once): {password}")


@demo_cli.command("load")
def load_demo_command() -> None:
    """Load the demo catalog into an empty database."""
    from app.services.demo import catalog_is_empty, load_demo

    if not catalog_is_empty(db.session()):
        raise click.ClickException(
            "The catalog already has data; the demo loads only into an empty database."
        )
    summary = load_demo(db.session())
    db.session.commit()
    click.echo(f"Demo catalog loaded: {summary}")
