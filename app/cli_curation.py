"""Curation commands: `flask dedup scan`, `flask curation refresh-queue`. Thin: parse,
call a service, commit once, print."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from app.extensions import db

dedup_cli = AppGroup("dedup", help="Duplicate makes, models, brands and parts.")
curation_cli = AppGroup("curation", help="The verification queue.")


@dedup_cli.command("scan")
@click.option(
    "--entity",
    type=click.Choice(["makes", "models", "brands", "parts"]),
    default=None,
    help="Scan one kind of record (default: all four).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the candidates as JSON.")
def dedup_scan_command(entity: str | None, as_json: bool) -> None:
    """Propose duplicate candidates (stored for review in /admin/dedup/)."""
    from app.services import dedup

    session = db.session()
    entities = [entity] if entity else list(dedup.ENTITIES)
    results = dedup.scan_all(session, entities)
    session.commit()
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in results], indent=2, ensure_ascii=False))
        return
    for result in results:
        click.echo(
            f"{result.entity}s: {result.records:,} records, {result.compared:,} pairs compared, "
            f"{len(result.candidates)} open candidates ({result.new} new, {result.removed} "
            f"withdrawn, {result.suppressed} judged not the same) in {result.seconds:.2f}s"
        )
        for candidate in result.candidates[:20]:
            click.echo(
                f"  {candidate.score:.2f}  {candidate.left_label}  ≈  {candidate.right_label}"
                f"  — {candidate.reason}"
            )
        if len(result.candidates) > 20:
            click.echo(f"  … and {len(result.candidates) - 20} more (use --json)")


@curation_cli.command("refresh-queue")
def refresh_queue_command() -> None:
    """Recompute every open fitment's source count and queue priority."""
    from app.services.queue import refresh_stats

    changed = refresh_stats(db.session())
    db.session.commit()
    click.echo(f"Queue refreshed: {changed:,} fitments changed.")


def register(app: Flask) -> None:
    """Add the curation command groups to the app's CLI."""
    app.cli.add_command(dedup_cli)
    app.cli.add_command(curation_cli)
