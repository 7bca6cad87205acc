"""Fitment claims (fitment sheets and eBay files): classify, then write set-based.

Every valid row × each of its vehicles is a claim. Claims collapse to one per fitment key
(part, vehicle, position; the first line wins) in `imp_fits`, classified against the
catalog:

- new: no such fitment yet;
- updated: it exists, still open (unverified / needs review), and the file gives another
  quantity or note;
- conflict: it exists, a curator decided it, and the file disagrees (not applied; the
  file's values go into the evidence note for the curator);
- corroborated: it exists and agrees, and this source had not said so before;
- unchanged: this source already said exactly this (re-imports write nothing).

Every claim of a non-unchanged fitment gets an evidence row (batch, line, raw text).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.services import queue
from app.services.imports.clock import PhaseClock
from app.services.imports.staging import rowcount

BULK_ROWS = 50_000
SEQUENCE_NAME = re.compile(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*")
CLASSES = ("new", "updated", "conflict", "corroborated", "unchanged")
# The evidence note of a claim a curator's decision overrides: what the file said instead.
CONFLICT_NOTE = """CASE WHEN f.cls = 'conflict' THEN left(format(
    'Not applied (a curator decided this fitment): the file says qty %s%s.',
    coalesce(r.qty::text, 'unchanged'),
    CASE WHEN r.note <> '' THEN ', note "' || r.note || '"' ELSE '' END), 1000) ELSE '' END"""
# The insert both evidence statements share: one import evidence row per claim `f` of line
# `r` (with the file's values when a curator's decision overrides them).
EVIDENCE_OF_CLAIMS = f"""INSERT INTO fitment_evidence
        (fitment_id, kind, supports, import_batch_id, line_no, raw_text, note)
    SELECT f.fitment_id, 'import', true, :batch, r.line_no, r.raw_text, {CONFLICT_NOTE}"""
DIFFERS = "((c.qty IS NOT NULL AND c.qty <> x.qty) OR (c.note <> '' AND c.note <> x.note))"


def build(session: Session, *, source_batch_ids: list[int], assign_ids: bool) -> None:
    """imp_fits: one row per fitment key with its class (and, on commit, its fitment id).

    One sort does the ordering: claims sorted by the fitments' unique key, first line first,
    so DISTINCT ON keeps each key's first claim (and the window sees if another follows). New ids
    (nextval, on commit, for new claims only) follow that key order as long as the join
    keeps it (a merge join, or a hash join probing with the claims, as the planner picks
    for a large file): then the inserts fill the (part, vehicle, position) index left to
    right. Ids are unique either way; only insert locality depends on it. "This source said
    so before" is one hashed lookup of the source batches' evidence.
    """
    new_id = "NULL::bigint"
    if assign_ids:
        # The sequence named once (a regclass literal), not looked up again for every row.
        sequence = session.scalar(text("SELECT pg_get_serial_sequence('fitments', 'id')"))
        if not SEQUENCE_NAME.fullmatch(str(sequence)):
            raise RuntimeError(f"unexpected sequence name for fitments.id: {sequence!r}")
        new_id = f"CASE WHEN x.id IS NULL THEN nextval('{sequence}'::regclass) END"
    session.execute(text("DROP TABLE IF EXISTS imp_fits"))
    session.execute(
        text(
            f"""
            CREATE TEMP TABLE imp_fits ON COMMIT DROP AS
            WITH ranked AS (
                SELECT coalesce(p.part_id, -p.ref) AS part_key,
                       coalesce(v.vehicle_id, -v.ref) AS vehicle_key,
                       p.ref AS part_ref, v.ref AS vehicle_ref,
                       r.position, r.qty, r.note, r.line_no
                FROM imp_rows r
                CROSS JOIN LATERAL unnest(r.vehicle_refs) AS u(ref)
                JOIN imp_parts p ON p.ref = r.part_ref
                JOIN imp_vehicles v ON v.ref = u.ref
                WHERE r.issue_reason IS NULL AND r.part_ref IS NOT NULL
            ), claims AS (
                -- One row per fitment key: the first line's values, and whether a later
                -- line claims it too (rarely: then evidence needs a second join). The
                -- window sorts as DISTINCT ON does: one sort for both.
                SELECT DISTINCT ON (part_key, vehicle_key, position) *,
                       lead(line_no) OVER (PARTITION BY part_key, vehicle_key, position
                                           ORDER BY line_no) IS NOT NULL AS repeated
                FROM ranked
                ORDER BY part_key, vehicle_key, position, line_no
            )
            SELECT c.*, x.id AS existing_id,
                   x.qty AS old_qty, x.note AS old_note, x.status AS old_status,
                   x.version AS old_version,
                   CASE
                       WHEN x.id IS NULL THEN 'new'
                       WHEN {DIFFERS} AND x.status IN ('unverified', 'needs_review')
                           THEN 'updated'
                       WHEN x.id IN (SELECT fitment_id FROM fitment_evidence
                                     WHERE import_batch_id = ANY(CAST(:sources AS integer[])))
                           THEN 'unchanged'
                       WHEN {DIFFERS} THEN 'conflict'
                       ELSE 'corroborated'
                   END AS cls,
                   coalesce(x.id, {new_id}) AS fitment_id
            FROM claims c
            LEFT JOIN fitments x ON x.part_id = c.part_key AND x.vehicle_id = c.vehicle_key
                                AND x.position = c.position
            """  # noqa: S608 - fragments are constants of this module
        ),
        {"sources": source_batch_ids},
    )
    # TEMP tables get no autovacuum statistics: without these the planner guesses a few
    # rows and picks nested loops over millions.
    session.execute(text("ANALYZE imp_fits"))


def counts(session: Session) -> dict[str, int]:
    """Fitments per class, and `repeated`: how many of those to write several lines claim."""
    found: dict[str, int] = {}
    repeated = 0
    for cls, several, number in session.execute(
        text("SELECT cls, repeated, count(*) FROM imp_fits GROUP BY 1, 2")
    ):
        found[cls] = found.get(cls, 0) + int(number)
        if several and cls != "unchanged":
            repeated += int(number)
    return {**{cls: found.get(cls, 0) for cls in CLASSES}, "repeated": repeated}


def samples(
    session: Session, found: dict[str, int], limit: int = 20
) -> dict[str, list[dict[str, Any]]]:
    """A few new fitments and every kind of change, named as the file names them (only the
    classes `found` counts any of: each query scans every claim).

    The first `limit` lines of a class are found in imp_fits alone (a top-N scan); only
    their claims are joined to the names, not a million of them.
    """
    query = text(
        """
        WITH first_lines AS (
            SELECT line_no FROM imp_fits WHERE cls = :cls ORDER BY line_no LIMIT :limit
        )
        SELECT f.cls, f.line_no, b.name AS brand, p.mpn, k.name AS make, m.name AS model,
               v.year, v.variant, v.market, f.position, f.old_qty, f.qty, f.old_note, f.note,
               f.old_status
        FROM imp_fits f
        JOIN imp_parts p ON p.ref = f.part_ref
        JOIN imp_brands b ON b.ref = p.brand_ref
        JOIN imp_vehicles v ON v.ref = f.vehicle_ref
        JOIN imp_models m ON m.ref = v.model_ref
        JOIN imp_makes k ON k.ref = m.make_ref
        WHERE f.cls = :cls AND f.line_no <= (SELECT max(line_no) FROM first_lines)
        ORDER BY f.line_no, v.year
        LIMIT :limit
        """
    )
    picked: dict[str, list[dict[str, Any]]] = {}
    for cls in ("new", "updated", "conflict"):
        rows = (
            session.execute(query, {"cls": cls, "limit": limit}).mappings().all()
            if found.get(cls)
            else []
        )
        picked[cls] = [dict(row) for row in rows]
    return picked


def apply(
    session: Session, batch_id: int, found: dict[str, int], clock: PhaseClock | None = None
) -> dict[str, int]:
    """Write the classified claims: new fitments, updates (logged for undo), evidence.
    `found` (from `counts`) skips statements that would scan every claim to write nothing
    (a re-import writes nothing at all)."""
    clock = clock or PhaseClock()
    params = {"batch": batch_id}
    with clock.phase("write fitments"):
        counts = _write_fitments(session, params, found)
    with clock.phase("write evidence"):
        counts["evidence_added"] = _write_evidence(session, params, found)
    if counts["fitments_created"] + counts["evidence_added"] > BULK_ROWS:
        with clock.phase("analyze"):
            session.execute(text("ANALYZE fitments"))  # the next import plans on fresh numbers
            session.execute(text("ANALYZE fitment_evidence"))
    return counts


def _write_fitments(
    session: Session, params: dict[str, Any], found: dict[str, int]
) -> dict[str, int]:
    inserted = updated = 0
    if found.get("new"):
        inserted = _insert_new(session)
    if found.get("updated"):
        updated = _update_changed(session, params)
    if found.get("corroborated") or found.get("conflict"):
        session.execute(
            text(
                "INSERT INTO import_changes (import_batch_id, entity, entity_id, action, after) "
                "SELECT :batch, 'fitment', fitment_id, 'corroborated', "
                "jsonb_build_object('version', old_version) FROM imp_fits "
                "WHERE cls IN ('corroborated', 'conflict')"
            ),
            params,
        )
    return {"fitments_created": inserted, "fitments_updated": updated}


def _insert_new(session: Session) -> int:
    """New fitments have one source (this batch) and enter the verification queue at their
    final priority: the queue refresh after the commit finds nothing to rewrite."""
    return rowcount(
        session.execute(
            text(
                f"""
                INSERT INTO fitments
                    (id, part_id, vehicle_id, position, qty, note, source_count, queue_priority)
                WITH popular AS ({queue.POPULARITY})
                SELECT f.fitment_id, f.part_key, f.vehicle_key, f.position, coalesce(f.qty, 1),
                       f.note, 1, {queue.priority("1", "v.popularity")}
                FROM imp_fits f LEFT JOIN popular v ON v.vehicle_id = f.vehicle_key
                WHERE f.cls = 'new'
                """  # noqa: S608 - fragments are constants of the queue module
            ),
            queue.popularity_params(),
        )
    )


def _update_changed(session: Session, params: dict[str, Any]) -> int:
    """Open fitments the file gives another quantity or note (the old values logged)."""
    return rowcount(
        session.execute(
            text(
                """
            WITH changed AS (
                UPDATE fitments x
                SET qty = coalesce(f.qty, x.qty),
                    note = CASE WHEN f.note <> '' THEN f.note ELSE x.note END,
                    version = x.version + 1,
                    updated_at = now()
                FROM imp_fits f
                WHERE f.cls = 'updated' AND x.id = f.fitment_id AND x.version = f.old_version
                RETURNING x.id, f.old_qty, f.old_note, f.old_version, x.qty, x.note, x.version
            )
            INSERT INTO import_changes (import_batch_id, entity, entity_id, action, before, after)
            SELECT :batch, 'fitment', id, 'updated',
                   jsonb_build_object('qty', old_qty, 'note', old_note, 'version', old_version),
                   jsonb_build_object('qty', qty, 'note', note, 'version', version)
            FROM changed
            """
            ),
            params,
        )
    )


def _write_evidence(session: Session, params: dict[str, Any], found: dict[str, int]) -> int:
    """One evidence row per claim of every fitment this batch writes or confirms. A fitment
    one line claims (nearly all) takes that line's text straight from imp_fits' line; those
    several lines claim are matched claim by claim.

    No ORDER BY on the first: imp_rows is hashed and imp_fits read in its own order, which
    is fitment id order for new fitments (build() numbers them in key order), so the
    (fitment_id, …) index fills left to right without a sort of every claim.
    """
    evidence = 0
    if any(found.get(cls) for cls in CLASSES if cls != "unchanged"):
        evidence += rowcount(
            session.execute(
                text(
                    f"""
                    {EVIDENCE_OF_CLAIMS}
                    FROM imp_fits f
                    JOIN imp_rows r ON r.line_no = f.line_no AND r.issue_reason IS NULL
                    WHERE NOT f.repeated AND f.cls <> 'unchanged'
                    """
                ),
                params,
            )
        )
    if found.get("repeated"):
        evidence += rowcount(
            session.execute(
                text(
                    f"""
                    {EVIDENCE_OF_CLAIMS}
                    FROM imp_rows r
                    CROSS JOIN LATERAL unnest(r.vehicle_refs) AS u(ref)
                    JOIN imp_parts p ON p.ref = r.part_ref
                    JOIN imp_vehicles v ON v.ref = u.ref
                    JOIN imp_fits f ON f.part_key = p.part_id AND f.vehicle_key = v.vehicle_id
                                   AND f.position = r.position
                    WHERE r.issue_reason IS NULL
                      -- only lines naming a part of a repeated claim (any of the file's
                      -- spellings of it): a few hundred lines to expand, not every line
                      AND r.part_ref IN (
                          SELECT ref FROM imp_parts WHERE part_id IN (
                              SELECT part_key FROM imp_fits
                              WHERE repeated AND cls <> 'unchanged'))
                      AND f.repeated AND f.cls <> 'unchanged'
                    ORDER BY f.fitment_id, r.line_no
                    ON CONFLICT DO NOTHING
                    """  # noqa: S608 - fragments are constants of this module
                ),
                params,
            )
        )
    return evidence
