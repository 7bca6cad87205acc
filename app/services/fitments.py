"""Curating fitments: verify, reject, send to review (in bulk, with notes and curator
evidence), edits from the admin form, the confidence evidence supports, and optimistic
locking that says who changed a fitment and when instead of overwriting their work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.models import AuditLog, Fitment, FitmentEvidence, ImportBatch, User
from app.models.fitments import POSITIONS
from app.services import audit, metrics
from app.services.names import clean_display

OPEN_STATUSES = ("unverified", "needs_review")
# What a curator asks for → the status it leads to.
ACTIONS = {"verify": "verified", "reject": "rejected", "needs_review": "needs_review"}
AUDIT_FIELDS = ["status", "verified_by_id", "verified_at", "position", "qty", "note", "version"]
NOTE_MAX = 1000


class FitmentError(ValueError):
    """A curation request that cannot be carried out; the message is for the curator."""


class StaleFitmentError(FitmentError):
    """Someone else changed the fitment after the curator loaded it."""

    def __init__(self, fitment_id: int, changed_by: str | None, changed_at: dt.datetime | None):
        self.fitment_id = fitment_id
        self.changed_by = changed_by
        self.changed_at = changed_at
        who = changed_by or "another user"
        when = f" at {changed_at.astimezone(dt.UTC):%Y-%m-%d %H:%M UTC}" if changed_at else ""
        super().__init__(
            f"Fitment #{fitment_id} was changed by {who}{when} after you loaded it; "
            "nothing was saved. Reload to see their change, then decide again."
        )


@dataclass(frozen=True, slots=True)
class Confidence:
    """How far the evidence supports a fitment: 0..1, a word for it, and the tally."""

    score: float
    label: str
    supporting: int
    contradicting: int
    curator_verdict: str | None = None

    @property
    def percent(self) -> int:
        """The score as a whole percentage, for display."""
        return round(self.score * 100)


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One line of a fitment's evidence panel."""

    id: int
    kind: str
    supports: bool
    created_at: dt.datetime
    batch_id: int | None = None
    batch_source: str = ""
    batch_filename: str = ""
    line_no: int | None = None
    raw_text: str = ""
    curator: str = ""
    note: str = ""


def confidence(evidence: Iterable[Any]) -> Confidence:
    """Confidence from evidence rows (anything with kind/supports/import_batch_id/id).

    A curator's latest check decides. Otherwise each independent import batch that asserts
    the fitment halves the remaining doubt (1 source 50 %, 2 → 75 %, 3 → 88 %), and
    contradicting batches scale that down by their share: sources disagreeing is a dispute.
    """
    supporting: set[int | None] = set()
    contradicting: set[int | None] = set()
    verdict: tuple[int, bool] | None = None
    for row in evidence:
        if row.kind == "curator":
            if verdict is None or row.id > verdict[0]:
                verdict = (row.id, bool(row.supports))
        elif row.supports:
            supporting.add(row.import_batch_id)
        else:
            contradicting.add(row.import_batch_id)
    s, c = len(supporting), len(contradicting)
    if verdict is not None:
        if verdict[1]:
            return Confidence(1.0, "Verified by a curator", s, c, "verified")
        return Confidence(0.0, "Rejected by a curator", s, c, "rejected")
    if s == 0:
        return Confidence(0.0, "Contradicted" if c else "No sources", s, c)
    score = (1 - 0.5**s) * s / (s + c)
    if c:
        label = "Disputed"
    elif score >= 0.85:
        label = "High"
    elif score >= 0.7:
        label = "Medium"
    else:
        label = "Single source"
    return Confidence(round(score, 3), label, s, c)


def evidence_for(session: Session, fitment_ids: Iterable[int]) -> dict[int, list[EvidenceItem]]:
    """Every fitment's evidence, oldest first, with batch and curator names (one query)."""
    ids = sorted(set(fitment_ids))
    panels: dict[int, list[EvidenceItem]] = {fid: [] for fid in ids}
    if not ids:
        return panels
    rows = session.execute(
        select(
            FitmentEvidence,
            ImportBatch.source,
            ImportBatch.filename,
            User.email,
        )
        .outerjoin(ImportBatch, ImportBatch.id == FitmentEvidence.import_batch_id)
        .outerjoin(User, User.id == FitmentEvidence.curator_id)
        .where(FitmentEvidence.fitment_id.in_(ids))
        .order_by(FitmentEvidence.fitment_id, FitmentEvidence.id)
    ).all()
    for ev, source, filename, email in rows:
        panels[ev.fitment_id].append(
            EvidenceItem(
                id=ev.id,
                kind=ev.kind,
                supports=ev.supports,
                created_at=ev.created_at,
                batch_id=ev.import_batch_id,
                batch_source=source or "",
                batch_filename=filename or "",
                line_no=ev.line_no,
                raw_text=ev.raw_text or "",
                curator=email or "",
                note=ev.note,
            )
        )
    return panels


def last_change(session: Session, fitment_id: int) -> tuple[str | None, dt.datetime | None]:
    """Who last changed a fitment and when: the newest audit row, else its `updated_at`."""
    row = session.execute(
        select(User.email, AuditLog.created_at)
        .select_from(AuditLog)
        .outerjoin(User, User.id == AuditLog.actor_id)
        .where(AuditLog.entity == "fitment", AuditLog.entity_id == fitment_id)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(1)
    ).first()
    if row is not None:
        return row[0], row[1]
    updated = session.scalar(select(Fitment.updated_at).where(Fitment.id == fitment_id))
    return None, updated


def _lock(session: Session, ids: Iterable[int]) -> dict[int, Fitment]:
    """Load and row-lock fitments in id order (no deadlocks between two bulk requests),
    refreshing anything the session already held so versions are current."""
    wanted = sorted(set(ids))
    rows = session.scalars(
        select(Fitment)
        .where(Fitment.id.in_(wanted))
        .order_by(Fitment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    found = {row.id: row for row in rows}
    missing = [fid for fid in wanted if fid not in found]
    if missing:
        raise FitmentError(
            f"Fitment #{missing[0]} no longer exists (merged or removed); reload the page."
        )
    return found


def _check_versions(
    session: Session, fitments: Mapping[int, Fitment], expected: Mapping[int, int]
) -> None:
    for fid in sorted(expected):
        if fitments[fid].version != int(expected[fid]):
            raise StaleFitmentError(fid, *last_change(session, fid))


def _set_status(fitment: Fitment, status: str, actor_id: int | None, now: dt.datetime) -> None:
    """Status with its `verified_by`/`verified_at` companions (the check constraint's rule)."""
    fitment.status = status
    if status == "verified":
        fitment.verified_at = now
        fitment.verified_by_id = actor_id
    else:
        fitment.verified_at = None
        fitment.verified_by_id = None


def _flush(session: Session, fitments: Iterable[Fitment]) -> None:
    """Flush, turning a concurrent writer's version bump into the curator-facing error.

    Rows are locked and versions checked before any change, so this is the last line of
    defence (a writer that bypassed the lock); the transaction is then unusable, so the
    message cannot look up who it was.
    """
    try:
        session.flush()
    except StaleDataError as exc:
        fid = next(iter(f.id for f in fitments), 0)
        raise StaleFitmentError(fid, None, None) from exc


def change_status(
    session: Session,
    expected: Mapping[int, int],
    action: str,
    *,
    actor_id: int | None,
    note: str = "",
    now: dt.datetime | None = None,
) -> list[Fitment]:
    """Verify, reject or send to review every fitment in `expected` (id → version loaded).

    All or nothing: if any fitment changed since the curator loaded it, nothing is written
    and StaleFitmentError names who changed it and when. Verify and reject add a curator
    evidence row (rejections need a note saying why); every change writes an audit row.
    """
    if action not in ACTIONS:
        raise FitmentError(f"Unknown action {action!r}; choose verify, reject or needs_review.")
    if not expected:
        raise FitmentError("Select at least one fitment.")
    note = clean_display(note or "")[:NOTE_MAX]
    if action == "reject" and not note:
        raise FitmentError("A rejection needs a note saying why (the next curator reads it).")
    status = ACTIONS[action]
    now = now or dt.datetime.now(dt.UTC)
    fitments = _lock(session, expected)
    _check_versions(session, fitments, expected)
    changed: list[Fitment] = []
    befores: dict[int, dict[str, Any]] = {}
    for fid in sorted(fitments):
        fitment = fitments[fid]
        befores[fid] = audit.snapshot(fitment, AUDIT_FIELDS)
        _set_status(fitment, status, actor_id, now)
        if action in {"verify", "reject"}:
            session.add(
                FitmentEvidence(
                    fitment_id=fitment.id,
                    kind="curator",
                    supports=action == "verify",
                    curator_id=actor_id,
                    note=note,
                )
            )
        changed.append(fitment)
    _flush(session, changed)
    for fitment in changed:
        audit.record(
            session,
            actor_id=actor_id,
            action=action,
            entity="fitment",
            entity_id=fitment.id,
            before=befores[fitment.id],
            after=audit.snapshot(fitment, AUDIT_FIELDS),
            note=note,
        )
    metrics.count(session, f"curation_{action}", by=len(changed), day=now.date())
    session.flush()
    return changed


def verify_fitments(
    session: Session, expected: Mapping[int, int], *, actor_id: int | None, note: str = ""
) -> list[Fitment]:
    """Mark fitments verified by `actor_id`, with a curator evidence row each."""
    return change_status(session, expected, "verify", actor_id=actor_id, note=note)


def reject_fitments(
    session: Session, expected: Mapping[int, int], *, actor_id: int | None, note: str
) -> list[Fitment]:
    """Reject fitments; `note` (why) is required and kept as contradicting evidence."""
    return change_status(session, expected, "reject", actor_id=actor_id, note=note)


def flag_for_review(
    session: Session, expected: Mapping[int, int], *, actor_id: int | None, note: str = ""
) -> list[Fitment]:
    """Send fitments to `needs_review` (a second opinion, a conflict to resolve)."""
    return change_status(session, expected, "needs_review", actor_id=actor_id, note=note)


def edit_fitment(
    session: Session,
    fitment_id: int,
    *,
    expected_version: int,
    actor_id: int | None,
    status: str,
    position: str,
    qty: int,
    note: str,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Fitment:
    """Apply the admin edit form: position, qty, note and status, under the same rules as the
    queue (version check, rejection reason, curator evidence, audit row)."""
    now = now or dt.datetime.now(dt.UTC)
    fitment = _lock(session, [fitment_id])[fitment_id]
    _check_versions(session, {fitment_id: fitment}, {fitment_id: expected_version})
    if position not in POSITIONS:
        raise FitmentError(f"Unknown position {position!r}.")
    if not 1 <= int(qty) <= 999:
        raise FitmentError("Quantity must be between 1 and 999.")
    reason = clean_display(reason or "")[:NOTE_MAX]
    before = audit.snapshot(fitment, AUDIT_FIELDS)
    status_changed = status != fitment.status
    if status_changed and status == "rejected" and not reason:
        raise FitmentError("A rejection needs a reason saying why (the next curator reads it).")
    fitment.position = position
    fitment.qty = int(qty)
    fitment.note = clean_display(note or "")[:500]
    if status_changed:
        _set_status(fitment, status, actor_id, now)
        if status in {"verified", "rejected"}:
            session.add(
                FitmentEvidence(
                    fitment_id=fitment.id,
                    kind="curator",
                    supports=status == "verified",
                    curator_id=actor_id,
                    note=reason,
                )
            )
    _flush(session, [fitment])
    audit.record(
        session,
        actor_id=actor_id,
        action="edit",
        entity="fitment",
        entity_id=fitment.id,
        before=before,
        after=audit.snapshot(fitment, AUDIT_FIELDS),
        note=reason,
    )
    session.flush()
    return fitment
