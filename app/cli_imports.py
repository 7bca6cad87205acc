"""`flask import …`: run, commit, undo, export and error reports — thin over the import service.

flask import run FILE --format auto --source "Vendor X" [--dry-run]
flask import commit BATCH_ID          # a batch previewed with --dry-run or in the admin
flask import undo BATCH_ID
flask import errors BATCH_ID > errors.csv
flask import export --brand "EBC Brakes" --status verified --output ebc.csv
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from app.adapters.storage import Storage, from_config
from app.extensions import db
from app.models.imports import ImportBatch

log = logging.getLogger(__name__)
import_cli = AppGroup("import", help="Import vendor files, undo batches, export fitments.")
FORMAT_CHOICES = ("auto", "fitments", "ebay", "retailer_feed", "vehicles")
ISSUES_SHOWN = 20


def _storage() -> Storage:
    return from_config(current_app.config)


def _share(cache: Any, batch: ImportBatch) -> None:
    """The kept parse to the file store, for the other machines (best effort)."""
    from app.services import imports
    from importers.sources import READER

    try:
        imports.share_parse(cache, READER, batch, this_year=_this_year())
    except Exception:  # the import is committed; a parse not shared is one more parse later
        log.exception("sharing the parse of batch %s failed", batch.id)


def _this_year() -> int:
    return dt.datetime.now(dt.UTC).year


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected field=value, got {value!r}", param_hint=option)
        pairs[key.strip()] = rest.strip()
    return pairs


@contextlib.contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[[int, int], None]]:
    """A click progress bar fed by the service's (done, total) callback."""
    with click.progressbar(length=max(total, 1), label=label, file=sys.stderr) as bar:
        seen = 0

        def update(done: int, _total: int) -> None:
            nonlocal seen
            step = min(done, total) - seen
            if step > 0:
                bar.update(step)
                seen += step

        yield update


def _batch(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        raise click.ClickException(f"No import batch #{batch_id}.")
    return batch


def refresh_soon(session: Any) -> None:
    """Conflicts and queue order of the batch refreshed by the worker right after commit."""
    from app.tasks.curation import refresh_soon as queue_refresh  # the job queue: CLI only

    queue_refresh(session)


def _report(batch: ImportBatch, section: str) -> None:
    counts: dict[str, Any] = batch.counts or {}
    details = (batch.report or {}).get(section, {})
    for warning in details.get("file_warnings", []):
        click.echo(f"Note: {warning}")
    click.echo(f"Batch #{batch.id} ({batch.format}, {batch.status}): {details.get('summary', '')}")
    shown = {k: v for k, v in counts.items() if not isinstance(v, dict)}
    click.echo("  " + " · ".join(f"{k} {v:,}" for k, v in shown.items()))
    created = {k: v for k, v in (counts.get("created") or {}).items() if v}
    if created:
        click.echo("  new in the catalog: " + ", ".join(f"{v:,} {k}" for k, v in created.items()))
    issues = details.get("issues", [])
    for issue in issues[:ISSUES_SHOWN]:
        click.echo(
            f"  line {issue['line']} · {issue['column']} · {issue['severity']}: "
            f"{issue['reason']} ({issue['value']!r})"
        )
    if batch.error_report_key:
        click.echo(f"  all issues as CSV: flask import errors {batch.id} > errors.csv")


def _fail(exc: Exception) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(str(exc))


@import_cli.command("run")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", required=True, help='Where the file comes from ("Vendor X").')
@click.option("--format", "format_name", type=click.Choice(FORMAT_CHOICES), default="auto")
@click.option("--dry-run", is_flag=True, help="Preview only: count, validate, change nothing.")
@click.option("--map", "maps", multiple=True, metavar="FIELD=HEADER", help="Column override.")
@click.option("--default", "defaults", multiple=True, metavar="FIELD=VALUE", help="Fixed value.")
def run_command(
    *,
    file: Path,
    source: str,
    format_name: str,
    dry_run: bool,
    maps: tuple[str, ...],
    defaults: tuple[str, ...],
) -> None:
    """Import FILE: store it, map its columns (remembered per source), then preview or commit."""
    from app.services import imports
    from importers.sources import READER

    session = db.session()
    storage = _storage()
    try:
        with file.open("rb") as stream:
            created = imports.create_batch(
                session,
                storage,
                READER,
                stream=stream,
                filename=file.name,
                source=source,
                format_name=format_name,
                max_bytes=int(current_app.config["MAX_CONTENT_LENGTH"]),
            )
        batch = created.batch
        if created.notice:
            click.echo(created.notice)
        mapping = dict(batch.mapping)
        mapping["columns"] = {**mapping.get("columns", {}), **_pairs(maps, "--map")}
        mapping["defaults"] = {**mapping.get("defaults", {}), **_pairs(defaults, "--default")}
        imports.save_mapping(session, batch, READER, mapping)
        click.echo(f"Batch #{batch.id}: {batch.format} file, columns {batch.mapping['columns']}")
        total = int((batch.report or {}).get("lines", 0))
        cache = imports.parse_cache(current_app.config, storage)
        with _progress("Previewing" if dry_run else "Importing", total) as progress:
            if dry_run:
                imports.preview(
                    session,
                    storage,
                    READER,
                    batch,
                    this_year=_this_year(),
                    progress=progress,
                    cache=cache,
                )
            else:
                imports.commit(
                    session,
                    storage,
                    READER,
                    batch,
                    this_year=_this_year(),
                    actor_id=None,
                    progress=progress,
                    cache=cache,
                )
                refresh_soon(session)
    except imports.ImportProblem as exc:
        raise _fail(exc) from exc
    session.commit()
    _share(cache, batch)
    _report(batch, "preview" if dry_run else "result")
    if dry_run:
        click.echo(f"Nothing was written. Commit it with: flask import commit {batch.id}")


@import_cli.command("commit")
@click.argument("batch_id", type=int)
def commit_command(batch_id: int) -> None:
    """Commit a previewed batch."""
    from app.services import imports
    from importers.sources import READER

    batch = _batch(batch_id)
    total = int((batch.report or {}).get("lines", 0))
    storage = _storage()
    cache = imports.parse_cache(current_app.config, storage)
    try:
        with _progress("Importing", total) as progress:
            imports.commit(
                db.session(),
                storage,
                READER,
                batch,
                this_year=_this_year(),
                actor_id=None,
                progress=progress,
                cache=cache,
            )
    except imports.ImportProblem as exc:
        raise _fail(exc) from exc
    refresh_soon(db.session())
    db.session.commit()
    _share(cache, batch)
    _report(batch, "result")


@import_cli.command("undo")
@click.argument("batch_id", type=int)
def undo_command(batch_id: int) -> None:
    """Undo a committed batch (what curators verified or edited since is kept and listed)."""
    from app.services import imports

    batch = _batch(batch_id)
    try:
        outcome = imports.undo(db.session(), batch, actor_id=None)
    except imports.ImportProblem as exc:
        raise _fail(exc) from exc
    refresh_soon(db.session())
    db.session.commit()
    click.echo(f"Batch #{batch.id}: {outcome['summary']}")
    for kept in outcome["kept"]:
        click.echo(
            f"  kept: {kept['brand']} {kept['mpn']} → {kept['year']} {kept['make']} "
            f"{kept['model']} ({kept['reason']})"
        )


@import_cli.command("errors")
@click.argument("batch_id", type=int)
def errors_command(batch_id: int) -> None:
    """Write a batch's issues (line, column, value, reason) as CSV to standard output."""
    batch = _batch(batch_id)
    if not batch.error_report_key:
        raise click.ClickException(f"Batch #{batch_id} has no issues.")
    with contextlib.closing(_storage().open(batch.error_report_key)) as handle:
        shutil.copyfileobj(handle, sys.stdout.buffer)


@import_cli.command("export")
@click.option("--brand", default="", help="Only this brand (any spelling).")
@click.option("--make", default="", help="Only bikes of this make.")
@click.option("--status", default="", help="unverified / verified / rejected / needs_review.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def export_command(brand: str, make: str, status: str, output: Path | None) -> None:
    """Export fitments as CSV (the fitment-sheet layout; safe to open in a spreadsheet)."""
    from app.services import imports

    flt = imports.ExportFilter(brand=brand, make=make, status=status)
    try:
        rows = imports.export_rows(db.session(), flt)
        if output is None:
            count = imports.write_csv_rows(sys.stdout, rows)
        else:
            with output.open("w", encoding="utf-8", newline="") as handle:
                count = imports.write_csv_rows(handle, rows)
    except imports.ImportProblem as exc:
        raise _fail(exc) from exc
    click.echo(f"Exported {count - 1:,} rows ({flt.describe()}).", err=True)
