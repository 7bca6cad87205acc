"""Undo a committed batch: take back exactly what it did, never what curators did since.

Per fitment the batch asserted (it has this batch's evidence):

- created by it, still unverified and unedited, asserted by no other live batch: deleted
  (its evidence goes with it);
- created by it but also asserted by another committed batch: kept, this batch's evidence
  removed, and the other batch becomes its creator (its own undo may remove it later);
- updated by it and not edited since: the old quantity and note restored;
- only corroborated by it and not edited since: this batch's evidence removed;
- verified, rejected or edited by a curator since: kept with its evidence, and listed.

Then makes, models, brands, parts and vehicles the batch created are removed where nothing
uses them any more, and offers it created or changed are removed or restored unless the
feed (or a person) changed them again since.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models.imports import ImportBatch
from app.services import audit, queue
from app.services.imports.errors import ImportProblem
from app.services.imports.pipeline import IMPORT_LOCK
from app.services.imports.staging import rowcount

KEPT_LIST_LIMIT = 200
OFFER_SNAPSHOT = (
    "jsonb_build_object('part_id', o.part_id, 'url', o.url, 'price', o.price, "
    "'currency', o.currency, 'in_stock', o.in_stock, 'fetched_at', o.fetched_at)"
)
# (entity, table, "still used" condition on row t): removed only when nothing uses them.
CREATED_ENTITIES = (
    ("vehicle", "vehicles", "EXISTS (SELECT 1 FROM fitments f WHERE f.vehicle_id = t.id)"),
    (
        "part",
        "parts",
        "EXISTS (SELECT 1 FROM fitments f WHERE f.part_id = t.id) "
        "OR EXISTS (SELECT 1 FROM offers o WHERE o.part_id = t.id)",
    ),
    ("model", "models", "EXISTS (SELECT 1 FROM vehicles v WHERE v.model_id = t.id)"),
    ("make", "makes", "EXISTS (SELECT 1 FROM models m WHERE m.make_id = t.id)"),
    ("brand", "brands", "EXISTS (SELECT 1 FROM parts p WHERE p.brand_id = t.id)"),
)


# entity → the fitments that use it (X is the entity's id), for handing created rows over.
USED_BY_FITMENTS = {
    "part": "f.part_id = c.entity_id",
    "vehicle": "f.vehicle_id = c.entity_id",
    "brand": "f.part_id IN (SELECT id FROM parts WHERE brand_id = c.entity_id)",
    "model": "f.vehicle_id IN (SELECT id FROM vehicles WHERE model_id = c.entity_id)",
    "make": "f.vehicle_id IN (SELECT v.id FROM vehicles v JOIN models m ON m.id = v.model_id "
    "WHERE m.make_id = c.entity_id)",
}


def _run(session: Session, sql: str, **params: Any) -> int:
    return rowcount(session.execute(text(sql), params))


def _classify(session: Session, batch_id: int) -> dict[str, int]:
    session.execute(text("DROP TABLE IF EXISTS undo_fits"))
    session.execute(
        text(
            """
            CREATE TEMP TABLE undo_fits ON COMMIT DROP AS
            SELECT f.id, f.status, f.version, c.action, c.before, c.after,
                   CASE
                     WHEN c.action IS NULL AND f.status = 'unverified' AND f.version = 1
                          AND NOT EXISTS (SELECT 1 FROM fitment_evidence x
                                          WHERE x.fitment_id = f.id AND x.kind = 'curator')
                       THEN CASE WHEN EXISTS (
                                SELECT 1 FROM fitment_evidence x
                                JOIN import_batches ob ON ob.id = x.import_batch_id
                                WHERE x.fitment_id = f.id AND x.import_batch_id <> :batch
                                  AND ob.status = 'committed')
                            THEN 'release' ELSE 'delete' END
                     WHEN c.action = 'updated'
                          AND f.version = CAST(c.after ->> 'version' AS integer) THEN 'restore'
                     WHEN c.action = 'corroborated'
                          AND f.version = CAST(c.after ->> 'version' AS integer) THEN 'release'
                     ELSE 'keep'
                   END AS outcome
            FROM (SELECT DISTINCT fitment_id FROM fitment_evidence
                  WHERE import_batch_id = :batch) e
            JOIN fitments f ON f.id = e.fitment_id
            LEFT JOIN import_changes c ON c.import_batch_id = :batch AND c.entity = 'fitment'
                                      AND c.entity_id = f.id
            """
        ),
        {"batch": batch_id},
    )
    found: dict[str, int] = dict(
        session.execute(text("SELECT outcome, count(*) FROM undo_fits GROUP BY outcome")).all()
    )
    return {k: int(found.get(k, 0)) for k in ("delete", "release", "restore", "keep")}


def _kept_list(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        text(
            """
            SELECT f.id, b.name AS brand, p.mpn, k.name AS make, m.name AS model, v.year,
                   v.variant, f.position, f.status,
                   CASE WHEN f.status <> 'unverified' THEN f.status || ' by a curator'
                        ELSE 'edited since the import' END AS reason
            FROM undo_fits u
            JOIN fitments f ON f.id = u.id
            JOIN parts p ON p.id = f.part_id
            JOIN brands b ON b.id = p.brand_id
            JOIN vehicles v ON v.id = f.vehicle_id
            JOIN models m ON m.id = v.model_id
            JOIN makes k ON k.id = m.make_id
            WHERE u.outcome = 'keep'
            ORDER BY b.name, p.mpn_key, k.name, m.name, v.year
            LIMIT :limit
            """
        ),
        {"limit": KEPT_LIST_LIMIT},
    ).mappings()
    return [dict(row) for row in rows]


def _undo_fitments(session: Session, batch_id: int) -> dict[str, Any]:
    outcomes = _classify(session, batch_id)
    kept = _kept_list(session)
    # Other batches that asserted a released fitment become its creators.
    _run(
        session,
        "DELETE FROM import_changes c USING undo_fits u WHERE u.outcome = 'release' "
        "AND u.action IS NULL AND c.entity = 'fitment' AND c.entity_id = u.id "
        "AND c.action = 'corroborated' AND c.import_batch_id <> :batch",
        batch=batch_id,
    )
    _run(
        session,
        "UPDATE fitments f SET qty = CAST(u.before ->> 'qty' AS smallint), "
        "note = u.before ->> 'note', version = f.version + 1, updated_at = now() "
        "FROM undo_fits u WHERE u.outcome = 'restore' AND f.id = u.id",
    )
    _run(
        session,
        "DELETE FROM fitment_evidence e USING undo_fits u WHERE e.import_batch_id = :batch "
        "AND e.fitment_id = u.id AND u.outcome IN ('release', 'restore')",
        batch=batch_id,
    )
    _run(
        session,
        "DELETE FROM fitments f USING undo_fits u WHERE u.outcome = 'delete' AND f.id = u.id",
    )
    # Fitments that lost this batch's evidence: their sources and queue priority now.
    withdrawn = session.scalars(
        text("SELECT id FROM undo_fits WHERE outcome IN ('release', 'restore')")
    ).all()
    queue.refresh_stats(session, fitment_ids=withdrawn)
    session.execute(text("DROP TABLE IF EXISTS undo_fits"))
    return {
        "fitments_removed": outcomes["delete"],
        "fitments_restored": outcomes["restore"],
        "evidence_withdrawn": outcomes["release"],
        "fitments_kept": outcomes["keep"],
        "kept": kept,
    }


def _undo_offers(session: Session, batch_id: int) -> dict[str, int]:
    removed = _run(
        session,
        "DELETE FROM offers o USING import_changes c WHERE c.import_batch_id = :batch "  # noqa: S608
        "AND c.entity = 'offer' AND c.action = 'created' AND o.id = c.entity_id "
        "AND " + OFFER_SNAPSHOT + " = c.after",
        batch=batch_id,
    )
    restored = _run(
        session,
        f"""
        UPDATE offers o SET part_id = CAST(c.before ->> 'part_id' AS integer),
            url = c.before ->> 'url', price = CAST(c.before ->> 'price' AS numeric),
            currency = c.before ->> 'currency', in_stock = CAST(c.before ->> 'in_stock' AS boolean),
            fetched_at = CAST(c.before ->> 'fetched_at' AS timestamptz)
        FROM import_changes c
        WHERE c.import_batch_id = :batch AND c.entity = 'offer' AND c.action = 'updated'
          AND o.id = c.entity_id AND {OFFER_SNAPSHOT} = c.after
        """,  # noqa: S608 - a constant
        batch=batch_id,
    )
    return {"offers_removed": removed, "offers_restored": restored}


def _undo_catalog(session: Session, batch_id: int) -> dict[str, int]:
    """Parts' filled-in fields back to empty, then created rows nothing uses any more."""
    result = {
        "part_fields_restored": _run(
            session,
            """
            UPDATE parts p SET
                category_id = CASE WHEN c.after ? 'category_id'
                                   AND p.category_id = CAST(c.after ->> 'category_id' AS integer)
                              THEN NULL ELSE p.category_id END,
                image_url = CASE WHEN c.after ? 'image_url'
                                 AND p.image_url = c.after ->> 'image_url'
                            THEN NULL ELSE p.image_url END
            FROM import_changes c
            WHERE c.import_batch_id = :batch AND c.entity = 'part' AND c.action = 'updated'
              AND p.id = c.entity_id
            """,
            batch=batch_id,
        )
    }
    for entity, table, used in CREATED_ENTITIES:
        try:
            with session.begin_nested():
                result[f"{table}_removed"] = _run(
                    session,
                    f"DELETE FROM {table} t USING import_changes c "  # noqa: S608 - constants
                    "WHERE c.import_batch_id = :batch AND c.entity = :entity "
                    f"AND c.action = 'created' AND t.id = c.entity_id AND NOT ({used})",
                    batch=batch_id,
                    entity=entity,
                )
        except IntegrityError as exc:
            raise ImportProblem(
                f"Undo stopped: a {entity} this batch created is now used elsewhere "
                f"({getattr(getattr(exc.orig, 'diag', None), 'constraint_name', '')})."
            ) from exc
    result["handed_over"] = _hand_over(session, batch_id)
    return result


def _hand_over(session: Session, batch_id: int) -> int:
    """Rows this batch created that another live batch's fitments still use become that
    batch's creations, so undoing that batch later can remove them."""
    handed = 0
    for entity, used in USED_BY_FITMENTS.items():
        handed += _run(
            session,
            f"""
            INSERT INTO import_changes (import_batch_id, entity, entity_id, action)
            SELECT h.heir, c.entity, c.entity_id, 'created'
            FROM import_changes c
            CROSS JOIN LATERAL (
                SELECT min(e.import_batch_id) AS heir
                FROM fitments f
                JOIN fitment_evidence e ON e.fitment_id = f.id
                JOIN import_batches ob ON ob.id = e.import_batch_id
                WHERE {used} AND ob.status = 'committed' AND ob.id <> :batch
            ) h
            WHERE c.import_batch_id = :batch AND c.entity = :entity AND c.action = 'created'
              AND h.heir IS NOT NULL
            """,  # noqa: S608 - `used` is a constant of this module
            batch=batch_id,
            entity=entity,
        )
    return handed


def undo(
    session: Session, batch: ImportBatch, *, actor_id: int | None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Undo a committed batch in the caller's transaction; returns what happened."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})
    session.refresh(batch)
    if batch.status != "committed":
        raise ImportProblem(
            f"Batch #{batch.id} is {batch.status}: only a committed batch can be undone."
        )
    now = now or dt.datetime.now(dt.UTC)
    outcome: dict[str, Any] = {}
    outcome.update(_undo_fitments(session, batch.id))
    outcome.update(_undo_offers(session, batch.id))
    outcome.update(_undo_catalog(session, batch.id))
    kept_count = outcome["fitments_kept"]
    outcome["summary"] = (
        f"Undone: {outcome['fitments_removed']:,} fitments removed, "
        f"{outcome['fitments_restored']:,} restored"
        + (
            f"; {kept_count:,} kept because curators verified or edited them since"
            if kept_count
            else ""
        )
        + "."
    )
    batch.status = "undone"
    batch.undone_at = now
    batch.message = outcome["summary"]
    batch.report = {**(batch.report or {}), "undo": outcome}
    audit.record(
        session,
        actor_id=actor_id,
        action="import.undo",
        entity="import_batch",
        entity_id=batch.id,
        before={"status": "committed"},
        after={k: v for k, v in outcome.items() if k != "kept"},
        note=f"{batch.source}: {batch.filename}",
    )
    session.flush()
    return outcome
