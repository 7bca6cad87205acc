"""Conflicts between sources: one batch asserts a fitment another contradicts, or two batches
give different year spans for the same part on the same model. Conflicted fitments go to
`needs_review`, and each conflict lists both sides (batch, file, lines, years)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select, tuple_
from sqlalchemy.orm import Session

from app.models import BikeModel, Brand, Fitment, FitmentEvidence, ImportBatch, Make, Part, Vehicle
from app.services import audit
from app.services.years import compress_years

KINDS = ("contradiction", "year_span")


@dataclass(frozen=True, slots=True)
class ConflictSide:
    """What one source says: its batch, the years it asserts (or denies), a sample line."""

    batch_id: int
    source: str
    filename: str
    supports: bool
    years: tuple[int, ...]
    line_nos: tuple[int, ...]
    sample: str = ""

    @property
    def years_label(self) -> str:
        """Compressed years ("2015-2018, 2020")."""
        return compress_years(self.years)

    @property
    def says(self) -> str:
        """One line for the panel: "fits 2015-2018" / "does not fit 2016"."""
        return f"{'fits' if self.supports else 'does not fit'} {self.years_label}"


@dataclass(frozen=True, slots=True)
class Conflict:
    """Sources disagreeing about one part on one model (at one position)."""

    kind: str
    part_id: int
    model_id: int
    position: str
    part_label: str
    model_label: str
    fitment_ids: tuple[int, ...]
    sides: tuple[ConflictSide, ...] = field(default=())

    @property
    def summary(self) -> str:
        """ "Two sources disagree on the years: …" in words."""
        where = f" ({self.position})" if self.position else ""
        what = (
            "sources assert and deny the same fitment"
            if self.kind == "contradiction"
            else "sources give different year spans"
        )
        return f"{self.part_label} on {self.model_label}{where}: {what}"


@dataclass
class _Claim:
    """Per (part, model, position, batch, supports): the years and lines it covers."""

    years: set[int] = field(default_factory=set)
    fitments: dict[int, int] = field(default_factory=dict)  # fitment id → year
    lines: set[int] = field(default_factory=set)
    sample: str = ""


def _scope_parts(
    session: Session,
    *,
    part_ids: Iterable[int] | None,
    fitment_ids: Iterable[int] | None,
    batch_id: int | None,
) -> tuple[list[int], ColumnElement[bool] | None]:
    """The parts to examine, plus an optional (part, model) restriction."""
    parts: set[int] = set(part_ids or ())
    restriction: ColumnElement[bool] | None = None
    if fitment_ids is not None:
        pairs = session.execute(
            select(Fitment.part_id, Vehicle.model_id)
            .join(Vehicle, Vehicle.id == Fitment.vehicle_id)
            .where(Fitment.id.in_(sorted(set(fitment_ids))))
        ).all()
        parts.update(p for p, _ in pairs)
        if pairs:
            restriction = tuple_(Fitment.part_id, Vehicle.model_id).in_(
                [tuple(p) for p in set(pairs)]
            )
    if batch_id is not None:
        parts.update(
            session.scalars(
                select(Fitment.part_id)
                .join(FitmentEvidence, FitmentEvidence.fitment_id == Fitment.id)
                .where(FitmentEvidence.import_batch_id == batch_id)
                .distinct()
            )
        )
    return sorted(parts), restriction


def find_conflicts(
    session: Session,
    *,
    part_ids: Iterable[int] | None = None,
    fitment_ids: Iterable[int] | None = None,
    batch_id: int | None = None,
) -> list[Conflict]:
    """Conflicts among the import evidence of the given parts (or of the parts a batch or
    some fitments touch). Read-only: `detect_conflicts` also flags the fitments."""
    parts, restriction = _scope_parts(
        session, part_ids=part_ids, fitment_ids=fitment_ids, batch_id=batch_id
    )
    if not parts:
        return []
    query = (
        select(
            Fitment.part_id,
            Vehicle.model_id,
            Fitment.position,
            FitmentEvidence.import_batch_id,
            FitmentEvidence.supports,
            Fitment.id,
            Vehicle.year,
            FitmentEvidence.line_no,
            FitmentEvidence.raw_text,
        )
        .join(Fitment, Fitment.id == FitmentEvidence.fitment_id)
        .join(Vehicle, Vehicle.id == Fitment.vehicle_id)
        .where(FitmentEvidence.kind == "import", Fitment.part_id.in_(parts))
        .order_by(FitmentEvidence.import_batch_id, FitmentEvidence.line_no)
    )
    if restriction is not None:
        query = query.where(restriction)
    claims: dict[tuple[int, int, str], dict[tuple[int, bool], _Claim]] = defaultdict(dict)
    # Import evidence always names its batch and line (check constraint import_has_source).
    for part_id, model_id, position, batch, supports, fid, year, line, raw in session.execute(
        query
    ):
        key = (int(batch or 0), bool(supports))
        claim = claims[(part_id, model_id, position)].setdefault(key, _Claim())
        claim.years.add(year)
        claim.fitments[fid] = year
        claim.lines.add(int(line or 0))
        claim.sample = claim.sample or (raw or "")
    conflicts = _conflicts_from_claims(claims)
    return _labelled(session, conflicts)


def _conflicts_from_claims(
    claims: dict[tuple[int, int, str], dict[tuple[int, bool], _Claim]],
) -> list[tuple[str, tuple[int, int, str], set[int], list[tuple[int, bool, _Claim]]]]:
    found: list[tuple[str, tuple[int, int, str], set[int], list[tuple[int, bool, _Claim]]]] = []
    for key, by_batch in claims.items():
        supporting = {b: c for (b, s), c in by_batch.items() if s}
        denying = {b: c for (b, s), c in by_batch.items() if not s}
        # One batch says it fits, another says it does not: the fitments both name.
        denied = {fid for c in denying.values() for fid in c.fitments}
        asserted = {fid for c in supporting.values() for fid in c.fitments}
        contested = denied & asserted
        if contested:
            sides = [(b, True, c) for b, c in supporting.items() if set(c.fitments) & contested]
            sides += [(b, False, c) for b, c in denying.items() if set(c.fitments) & contested]
            found.append(("contradiction", key, contested, sorted(sides, key=lambda x: x[0])))
        # Two batches assert different year spans: the years not every batch agrees on.
        if len(supporting) >= 2:
            spans = [frozenset(c.years) for c in supporting.values()]
            if len(set(spans)) > 1:
                everywhere = frozenset.intersection(*spans)
                disputed = {
                    fid
                    for c in supporting.values()
                    for fid, year in c.fitments.items()
                    if year not in everywhere
                }
                sides = [(b, True, c) for b, c in supporting.items()]
                found.append(("year_span", key, disputed, sorted(sides, key=lambda x: x[0])))
    return found


def _labelled(
    session: Session,
    found: Sequence[tuple[str, tuple[int, int, str], set[int], list[tuple[int, bool, _Claim]]]],
) -> list[Conflict]:
    if not found:
        return []
    part_ids = {key[0] for _, key, _, _ in found}
    model_ids = {key[1] for _, key, _, _ in found}
    batch_ids = {b for *_, sides in found for b, _, _ in sides}
    part_labels = {
        pid: f"{brand} {mpn}"
        for pid, brand, mpn in session.execute(
            select(Part.id, Brand.name, Part.mpn)
            .join(Brand, Brand.id == Part.brand_id)
            .where(Part.id.in_(part_ids))
        )
    }
    model_labels = {
        mid: f"{make} {name}"
        for mid, make, name in session.execute(
            select(BikeModel.id, Make.name, BikeModel.name)
            .join(Make, Make.id == BikeModel.make_id)
            .where(BikeModel.id.in_(model_ids))
        )
    }
    batches = {
        bid: (source, filename)
        for bid, source, filename in session.execute(
            select(ImportBatch.id, ImportBatch.source, ImportBatch.filename).where(
                ImportBatch.id.in_(batch_ids)
            )
        )
    }
    conflicts = []
    for kind, (part_id, model_id, position), fitment_ids, sides in found:
        conflicts.append(
            Conflict(
                kind=kind,
                part_id=part_id,
                model_id=model_id,
                position=position,
                part_label=part_labels.get(part_id, f"part #{part_id}"),
                model_label=model_labels.get(model_id, f"model #{model_id}"),
                fitment_ids=tuple(sorted(fitment_ids)),
                sides=tuple(
                    ConflictSide(
                        batch_id=batch,
                        source=batches.get(batch, ("", ""))[0],
                        filename=batches.get(batch, ("", ""))[1],
                        supports=supports,
                        years=tuple(sorted(claim.years)),
                        line_nos=tuple(sorted(claim.lines))[:20],
                        sample=claim.sample[:300],
                    )
                    for batch, supports, claim in sides
                ),
            )
        )
    conflicts.sort(key=lambda c: (c.part_label, c.model_label, c.position, c.kind))
    return conflicts


def _reopenable(session: Session, fitment_ids: Sequence[int]) -> list[Fitment]:
    """Fitments a conflict may move to needs_review: unverified ones, and verified ones whose
    curator check is older than the newest import evidence (a source spoke up since)."""
    if not fitment_ids:
        return []
    newest_import = (
        select(func.max(FitmentEvidence.created_at))
        .where(FitmentEvidence.fitment_id == Fitment.id, FitmentEvidence.kind == "import")
        .scalar_subquery()
    )
    newest_check = (
        select(func.max(FitmentEvidence.created_at))
        .where(FitmentEvidence.fitment_id == Fitment.id, FitmentEvidence.kind == "curator")
        .scalar_subquery()
    )
    return list(
        session.scalars(
            select(Fitment)
            .where(Fitment.id.in_(fitment_ids))
            .where(
                (Fitment.status == "unverified")
                | (
                    (Fitment.status == "verified")
                    & ((newest_check.is_(None)) | (newest_import > newest_check))
                )
            )
            .order_by(Fitment.id)
            .with_for_update()
        )
    )


def flag_conflicts(
    session: Session,
    conflicts: Iterable[Conflict],
    *,
    actor_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[int]:
    """Move the fitments of `conflicts` to needs_review (audited); returns their ids."""
    reasons: dict[int, str] = {}
    for conflict in conflicts:
        for fid in conflict.fitment_ids:
            reasons.setdefault(fid, conflict.summary)
    flagged: list[int] = []
    for fitment in _reopenable(session, sorted(reasons)):
        before = audit.snapshot(fitment, ["status", "verified_by_id", "verified_at", "version"])
        fitment.status = "needs_review"
        fitment.verified_at = None
        fitment.verified_by_id = None
        session.flush()
        audit.record(
            session,
            actor_id=actor_id,
            action="conflict",
            entity="fitment",
            entity_id=fitment.id,
            before=before,
            after=audit.snapshot(fitment, ["status", "verified_by_id", "verified_at", "version"]),
            note=reasons[fitment.id],
        )
        flagged.append(fitment.id)
    session.flush()
    return flagged


def detect_conflicts(
    session: Session,
    *,
    part_ids: Iterable[int] | None = None,
    batch_id: int | None = None,
    actor_id: int | None = None,
) -> tuple[list[Conflict], list[int]]:
    """Find conflicts (e.g. after a batch commits) and flag their fitments for review."""
    conflicts = find_conflicts(session, part_ids=part_ids, batch_id=batch_id)
    return conflicts, flag_conflicts(session, conflicts, actor_id=actor_id)


def conflicts_by_fitment(session: Session, fitment_ids: Iterable[int]) -> dict[int, list[Conflict]]:
    """For the queue's evidence panel: each fitment's conflicts, both sides listed."""
    ids = sorted(set(fitment_ids))
    result: dict[int, list[Conflict]] = {fid: [] for fid in ids}
    if not ids:
        return result
    wanted = set(ids)
    for conflict in find_conflicts(session, fitment_ids=ids):
        for fid in wanted.intersection(conflict.fitment_ids):
            result[fid].append(conflict)
    return result
