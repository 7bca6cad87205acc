"""Builders for curation tests: import batches, evidence rows, fitments in any status."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from app.models import Fitment, FitmentEvidence, ImportBatch, Part, Vehicle
from app.models.base import utcnow

_LINES = itertools.count(2)


def batch(session: Session, source: str = "Vendor A", filename: str = "a.csv") -> ImportBatch:
    """A committed import batch."""
    row = ImportBatch(
        source=source,
        format="fitments",
        filename=filename,
        sha256=hashlib.sha256(f"{source}{filename}{next(_LINES)}".encode()).hexdigest(),
        status="committed",
        committed_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def fitments(
    session: Session,
    part: Part,
    vehicles: Iterable[Vehicle],
    *,
    status: str = "unverified",
    position: str = "",
    **extra: Any,
) -> list[Fitment]:
    """Fitments of one part on several vehicles (verified ones get a time)."""
    rows = [
        Fitment(
            part_id=part.id,
            vehicle_id=v.id,
            status=status,
            position=position,
            verified_at=utcnow() if status == "verified" else None,
            **extra,
        )
        for v in vehicles
    ]
    session.add_all(rows)
    session.flush()
    return rows


def claim(
    session: Session,
    source: ImportBatch,
    rows: Iterable[Fitment],
    *,
    supports: bool = True,
    raw: str = "",
) -> list[FitmentEvidence]:
    """Import evidence from `source` for each fitment, one file line each."""
    evidence = [
        FitmentEvidence(
            fitment_id=f.id,
            kind="import",
            supports=supports,
            import_batch_id=source.id,
            line_no=next(_LINES),
            raw_text=raw or f"row for fitment {f.id}",
        )
        for f in rows
    ]
    session.add_all(evidence)
    session.flush()
    return evidence
