"""Preview and commit: the same analysis, one of them writing.

Both stream the stored file into TEMP tables (COPY), resolve names against the catalog and
classify every claim with set-based SQL. Preview stops there (only the batch row changes);
commit creates what is missing and writes fitments, evidence or offers in the caller's one
transaction, serialized with other commits and undos by an advisory lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.adapters.storage import Storage
from app.models.imports import ImportBatch
from app.services import audit
from app.services.imports import claims, offers, parsefork, report, resolve
from app.services.imports.batches import FileReader, local_copy
from app.services.imports.clock import PhaseClock
from app.services.imports.errors import ImportProblem
from app.services.imports.parsecache import ParseCache
from app.services.imports.staging import ENTITY_SHAPES, Progress, RowSource, Sink, stage

# One import commit or undo at a time: they create makes/parts/vehicles that others may be
# creating too, and undo must see a batch's rows exactly as its commit left them.
IMPORT_LOCK = 0x1A9_0003
WORK_MEM = "256MB"  # big hash joins and sorts stay in memory (the database's, not ours)
RANDOM_PAGE_COST = 1.1
FITMENT_FORMATS = ("fitments", "ebay")


@dataclass
class Analysis:
    """What one pass found: counts for the list page, details for the wizard."""

    counts: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    clock: PhaseClock = field(default_factory=PhaseClock)


@dataclass
class _Parsed:
    """The batch's rows: a source to parse, or a cached parse (`blocks` of COPY text);
    `keep` receives the COPY text of a parse worth caching."""

    source: RowSource
    blocks: Iterable[str] | None = None
    keep: Sink | None = None


def _noop(done: int, total: int) -> None:
    return None


def _cache_key(
    cache: ParseCache | None, reader: FileReader, batch: ImportBatch, *, this_year: int
) -> str | None:
    """The batch's parse cache key, if its file is one the cache keeps."""
    if cache is None or not cache.wants(batch.size_bytes or 0):
        return None
    return cache.key(
        sha256=batch.sha256,
        format_name=batch.format,
        mapping=batch.mapping or {},
        this_year=this_year,
        version=reader.version,
    )


def share_parse(
    cache: ParseCache | None, reader: FileReader, batch: ImportBatch, *, this_year: int
) -> bool:
    """After a preview or commit: copy the batch's kept parse to the file store, for the
    other machines (app/services/imports/parseshare.py). Best effort."""
    key = _cache_key(cache, reader, batch, this_year=this_year)
    return cache is not None and key is not None and cache.share(key)


@contextlib.contextmanager
def _parsed(
    storage: Storage,
    reader: FileReader,
    batch: ImportBatch,
    *,
    this_year: int,
    cache: ParseCache | None,
) -> Iterator[_Parsed]:
    """The batch's rows from the parse cache when an identical parse is kept there (no
    download, no parsing), else from its stored file (parsed — a big one in a child process
    while this one stages it, app/services/imports/parsefork.py — and kept if big)."""
    key = _cache_key(cache, reader, batch, this_year=this_year)
    if cache is not None and key is not None:
        hit = cache.load(key)
        if hit is not None:
            yield _Parsed(hit, blocks=hit.copy_text())
            return
    with local_copy(storage, batch) as path:
        source: RowSource = reader.open(path, batch.format, batch.mapping, this_year=this_year)
        if parsefork.wanted(batch.size_bytes or 0):
            source = parsefork.ForkedParse(source)
        if cache is None or key is None:
            yield _Parsed(source)
            return
        with cache.recording(key) as recording:
            yield _Parsed(source, keep=recording)
            recording.source = source


def _year_warnings(session: Session) -> list[tuple[Any, ...]]:
    """Model years a row adds to a model the catalog already knows in other years."""
    return [
        tuple(row)
        for row in session.execute(
            text(
                """
                SELECT min(i.line_no), 'years', i.year::text,
                       format('%s %s is not known for %s (the catalog has %s to %s); the row '
                              'adds that model year, so check the years',
                              k.name, m.name, i.year, min(v.year), max(v.year)),
                       'warning'
                FROM imp_vehicles i
                JOIN imp_models im ON im.ref = i.model_ref
                JOIN models m ON m.id = im.model_id
                JOIN makes k ON k.id = m.make_id
                JOIN vehicles v ON v.model_id = m.id
                WHERE i.vehicle_id IS NULL
                  AND NOT EXISTS (SELECT 1 FROM vehicles w WHERE w.model_id = m.id
                                  AND w.year = i.year)
                GROUP BY k.name, m.name, i.year
                ORDER BY 1, k.name, m.name, i.year
                LIMIT 10000
                """
            )
        )
    ]


def _row_stats(session: Session) -> dict[str, int]:
    row = session.execute(
        text(
            "SELECT count(*) FILTER (WHERE issue_reason IS NULL), "
            # a subquery: DISTINCT over the few error rows, not a sort of every row
            "(SELECT count(DISTINCT line_no) FROM imp_rows WHERE severity = 'error'), "
            "count(*) FILTER (WHERE severity = 'warning') FROM imp_rows"
        )
    ).one()
    return {"rows": int(row[0]), "invalid": int(row[1]), "warnings": int(row[2])}


def _source_batches(session: Session, batch: ImportBatch) -> list[int]:
    """Committed batches of the same source: what "this source already said" means."""
    return list(
        session.scalars(
            select(ImportBatch.id).where(
                ImportBatch.source_key == batch.source_key,
                ImportBatch.status == "committed",
                ImportBatch.id != batch.id,
            )
        )
    )


def _is_repeat(session: Session, batch: ImportBatch) -> bool:
    return (
        session.scalar(
            select(ImportBatch.id).where(
                ImportBatch.sha256 == batch.sha256,
                ImportBatch.status == "committed",
                ImportBatch.id != batch.id,
            )
        )
        is not None
    )


def _analyse(
    session: Session,
    batch: ImportBatch,
    parsed: _Parsed,
    *,
    write: bool,
    now: dt.datetime,
    progress: Progress,
) -> Analysis:
    session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    # SSD storage (Neon, the embedded server's disk): a page read out of order costs little
    # more than one in order. With the default (4) the planner hashes a million existing
    # fitments to classify a re-import, instead of meeting the claims — already sorted by
    # the fitments' unique key — in that index's order (a merge join, ~1 s less).
    session.execute(text(f"SET LOCAL random_page_cost = {RANDOM_PAGE_COST}"))
    found = Analysis()
    source = parsed.source
    phase = "read and stage" if parsed.blocks is None else "stage the kept parse"
    blocks = parsed.blocks
    if blocks is None and isinstance(source, parsefork.ForkedParse):
        blocks = source.blocks(progress)
    with found.clock.phase(phase):
        stage(session, source, progress=progress, blocks=blocks, keep=parsed.keep)
    progress(source.total_lines, source.total_lines)
    if batch.format == "retailer_feed":
        _analyse_feed(session, batch, found, write=write, now=now)
    else:
        _analyse_catalog(session, batch, found, write=write)
    with found.clock.phase("report"):
        stats = _row_stats(session)
        found.counts = {**stats, **found.counts}
        found.details["issues"] = report.issue_sample(session)
    found.details["file_warnings"] = list(source.warnings)
    return found


def _label(batch: ImportBatch, *fields: str) -> str:
    """The header a person mapped to the first of `fields` that is mapped (for messages)."""
    columns = (batch.mapping or {}).get("columns") or {}
    return next((columns[f] for f in fields if columns.get(f)), fields[0].title())


def _analyse_catalog(session: Session, batch: ImportBatch, found: Analysis, *, write: bool) -> None:
    clock = found.clock
    with clock.phase("resolve names"):
        resolve.resolve_existing(session)
    years_label = _label(batch, "years", "year_from")
    issues = [
        (line, years_label, *rest)
        for line, _, *rest in (_year_warnings(session) if batch.format in FITMENT_FORMATS else [])
    ]
    issues += [
        (line, _label(batch, "category"), value, reason, "warning")
        for line, value, reason in resolve.resolve_categories(session)
    ]
    report.add_issues(session, issues)
    found.details["new"] = resolve.new_names(session)
    # A vehicle list's bikes the catalog already has (before a commit gives the rest ids).
    known = 0
    if batch.format not in FITMENT_FORMATS:
        known = int(
            session.scalar(text("SELECT count(*) FROM imp_vehicles WHERE vehicle_id IS NOT NULL"))
            or 0
        )
    created: dict[str, int] = {}
    if write:
        with clock.phase("create names"):
            created = resolve.create_missing(session, batch.id)
    new_entities = {kind: found.details["new"][kind]["count"] for kind in ENTITY_SHAPES}
    found.counts["created"] = created or new_entities
    if batch.format in FITMENT_FORMATS:
        with clock.phase("classify claims"):
            sources = _source_batches(session, batch)
            claims.build(session, source_batch_ids=sources, assign_ids=write)
            found.counts.update(claims.counts(session))
            found.details["samples"] = claims.samples(session, found.counts)
        if write:
            found.counts.update(claims.apply(session, batch.id, found.counts, clock))
        changes = sum(found.counts[c] for c in ("new", "updated", "conflict", "corroborated"))
    else:
        vehicles = found.details["new"]["vehicles"]["count"]
        found.counts["new"] = vehicles
        found.counts["unchanged"] = known
        changes = 0
    found.counts["changes"] = changes + sum(found.counts["created"].values())


def _analyse_feed(
    session: Session, batch: ImportBatch, found: Analysis, *, write: bool, now: dt.datetime
) -> None:
    shop = offers.retailer_for(session, batch.source)
    resolve.resolve_existing(session)
    problems = offers.build(session, shop, refresh_unchanged=not _is_repeat(session, batch))
    report.add_issues(session, problems)
    found.counts.update(offers.counts(session))
    found.counts["unmatched"] = sum(1 for p in problems if "unmatched" in str(p[3]))
    found.details["samples"] = offers.samples(session)
    found.details["retailer"] = shop.name
    if write:
        with found.clock.phase("write offers"):
            found.counts.update(offers.apply(session, batch.id, shop, now))
    found.counts["changes"] = sum(found.counts[c] for c in ("new", "updated", "refreshed"))


def _drop_temp(session: Session) -> None:
    for name in ("imp_rows", "imp_fits", "imp_offers", *(f"imp_{e}" for e in ENTITY_SHAPES)):
        session.execute(text(f"DROP TABLE IF EXISTS {name}"))


def _summary_line(counts: dict[str, Any], format_name: str, *, committed: bool) -> str:
    """One sentence for the batch page, the CLI and the list."""
    if not counts.get("changes"):
        return "0 changes: the catalog already says everything this file says."
    lead = "Imported" if committed else "Preview"
    if format_name in FITMENT_FORMATS:
        body = (
            f"{counts['new']:,} new fitments, {counts['updated']:,} updated, "
            f"{counts['corroborated'] + counts['conflict']:,} confirmed by this source, "
            f"{counts['unchanged']:,} unchanged"
        )
    elif format_name == "retailer_feed":
        body = (
            f"{counts['new']:,} new offers, {counts['updated']:,} updated, "
            f"{counts['refreshed']:,} prices confirmed, {counts['unmatched']:,} unmatched rows"
        )
    else:
        body = f"{counts['new']:,} new vehicles, {counts['unchanged']:,} already known"
    invalid = counts.get("invalid", 0)
    skipped = f"; {invalid:,} invalid rows skipped" if invalid else ""
    return f"{lead}: {body}{skipped}."


def preview(
    session: Session,
    storage: Storage,
    reader: FileReader,
    batch: ImportBatch,
    *,
    this_year: int,
    now: dt.datetime | None = None,
    progress: Progress = _noop,
    cache: ParseCache | None = None,
) -> Analysis:
    """Analyse the batch without touching catalog tables; the batch becomes `previewed`.
    With a `cache`, a big file's parse is kept for its commit (and re-imports)."""
    if batch.status not in {"mapped", "previewed", "failed"}:
        raise ImportProblem(f"Batch #{batch.id} is {batch.status}: there is nothing to preview.")
    now = now or dt.datetime.now(dt.UTC)
    with _parsed(storage, reader, batch, this_year=this_year, cache=cache) as parsed:
        found = _analyse(session, batch, parsed, write=False, now=now, progress=progress)
    error_key = report.store_error_report(session, storage)
    _drop_temp(session)
    found.details["summary"] = _summary_line(found.counts, batch.format, committed=False)
    found.details["timings"] = found.clock.seconds
    batch.counts = found.counts
    batch.report = {**(batch.report or {}), "preview": found.details}
    batch.error_report_key = error_key
    batch.status = "previewed"
    batch.message = ""
    session.flush()
    return found


def commit(
    session: Session,
    storage: Storage,
    reader: FileReader,
    batch: ImportBatch,
    *,
    this_year: int,
    actor_id: int | None,
    now: dt.datetime | None = None,
    progress: Progress = _noop,
    cache: ParseCache | None = None,
) -> Analysis:
    """Write the batch in the caller's transaction (set-based), with evidence and an audit
    row. On any error the caller rolls back: nothing of the batch is left half-written.
    With a `cache`, a parse kept by the preview (or an earlier import) is reused."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})
    session.refresh(batch)
    if batch.status not in {"mapped", "previewed", "committing", "failed"}:
        raise ImportProblem(f"Batch #{batch.id} is {batch.status}: it cannot be committed.")
    now = now or dt.datetime.now(dt.UTC)
    with _parsed(storage, reader, batch, this_year=this_year, cache=cache) as parsed:
        found = _analyse(session, batch, parsed, write=True, now=now, progress=progress)
    error_key = report.store_error_report(session, storage)
    _drop_temp(session)
    found.details["summary"] = _summary_line(found.counts, batch.format, committed=True)
    found.details["timings"] = found.clock.seconds
    batch.counts = found.counts
    batch.report = {**(batch.report or {}), "result": found.details}
    batch.error_report_key = error_key
    batch.status = "committed"
    batch.committed_at = now
    batch.message = found.details["summary"]
    audit.record(
        session,
        actor_id=actor_id,
        action="import.commit",
        entity="import_batch",
        entity_id=batch.id,
        after=found.counts,
        note=f"{batch.source}: {batch.filename}",
    )
    session.flush()
    return found
