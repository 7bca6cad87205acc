"""Undo: take back exactly what a batch did, keep (and list) what curators did since."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    AuditLog,
    BikeModel,
    Brand,
    Fitment,
    FitmentEvidence,
    Make,
    Part,
    Vehicle,
)
from app.services import imports, queue
from tests.public import conftest as public_fixtures
from tests.services import imports_support
from tests.services.imports_support import Importer, count, csv_text

# Shared fixtures (module attributes, so pytest finds them here).
importer = imports_support.importer
storage = imports_support.storage
build = public_fixtures.build


HEADER = "MPN,Brand,Make,Model,Years,Position,Qty,Notes"
FIRST = csv_text(HEADER, "P1,EBC,Honda,CB500F,2019-2021,front,,", "P2,EBC,Honda,CB500F,2019,rear,,")


def fitment_for(session: Session, mpn: str, year: int) -> Fitment:
    return session.scalars(
        select(Fitment).join(Part).join(Vehicle).where(Part.mpn == mpn, Vehicle.year == year)
    ).one()


def test_undo_removes_everything_only_this_batch_asserted(
    importer: Importer, db_session: Session, build: Any
) -> None:
    honda = build.make("Honda")  # existed before: must survive the undo
    batch = importer.commit(FIRST)
    assert count(db_session, Fitment) == 4

    outcome = importer.undo(batch)

    assert outcome["fitments_removed"] == 4
    assert (outcome["parts_removed"], outcome["brands_removed"], outcome["vehicles_removed"]) == (
        2,
        1,
        3,
    )
    assert count(db_session, Fitment) == count(db_session, FitmentEvidence) == 0
    assert count(db_session, Part) == count(db_session, Brand) == count(db_session, Vehicle) == 0
    assert count(db_session, BikeModel) == 0
    assert db_session.scalars(select(Make)).all() == [honda]
    assert batch.status == "undone" and batch.undone_at
    assert db_session.scalars(
        select(AuditLog.action).where(AuditLog.entity_id == batch.id)
    ).all() == [
        "import.commit",
        "import.undo",
    ]


def test_curator_work_since_the_import_is_kept_and_listed(
    importer: Importer, db_session: Session
) -> None:
    batch = importer.commit(FIRST)
    verified = fitment_for(db_session, "P1", 2019)
    verified.status, verified.verified_at = "verified", dt.datetime.now(dt.UTC)
    edited = fitment_for(db_session, "P1", 2020)
    edited.note = "Checked: needs the ABS ring"
    db_session.add(
        FitmentEvidence(fitment_id=edited.id, kind="curator", note="Looked it up", supports=True)
    )
    db_session.flush()

    outcome = importer.undo(batch)

    assert outcome["fitments_removed"] == 2 and outcome["fitments_kept"] == 2
    assert [(k["year"], k["reason"]) for k in outcome["kept"]] == [
        (2019, "verified by a curator"),
        (2020, "edited since the import"),
    ]
    assert "2 kept because curators verified or edited them since" in outcome["summary"]
    kept = db_session.scalars(select(Fitment)).all()
    assert {f.id for f in kept} == {verified.id, edited.id}
    # Their provenance stays: the evidence rows of the undone batch are still there.
    assert count(db_session, FitmentEvidence) == 3
    assert count(db_session, Part) == 1  # P2 went, P1 is still used


def test_undo_restores_what_the_batch_changed(importer: Importer, db_session: Session) -> None:
    importer.commit(FIRST)
    fix = importer.commit(
        csv_text(HEADER, "P1,EBC,Honda,CB500F,2019,front,2,Needs spacer"), filename="fix.csv"
    )
    fitment = fitment_for(db_session, "P1", 2019)
    assert (fitment.qty, fitment.note, fitment.version) == (2, "Needs spacer", 2)

    outcome = importer.undo(fix)

    assert outcome["fitments_restored"] == 1 and outcome["fitments_removed"] == 0
    db_session.refresh(fitment)
    assert (fitment.qty, fitment.note, fitment.version) == (1, "", 3)
    assert count(db_session, Fitment) == 4


def test_a_change_edited_since_is_not_restored(importer: Importer, db_session: Session) -> None:
    importer.commit(FIRST)
    fix = importer.commit(csv_text(HEADER, "P1,EBC,Honda,CB500F,2019,front,2,"), filename="fix.csv")
    fitment = fitment_for(db_session, "P1", 2019)
    fitment.qty = 3  # a curator's edit after the import (version bump)
    db_session.flush()

    outcome = importer.undo(fix)

    assert outcome["fitments_kept"] == 1
    db_session.refresh(fitment)
    assert fitment.qty == 3


def test_a_fitment_another_batch_also_asserts_survives_and_changes_hands(
    importer: Importer, db_session: Session
) -> None:
    first = importer.commit(FIRST)
    second = importer.commit(csv_text(HEADER, "P2,EBC,Honda,CB500F,2019,rear,,"), source="Vendor Y")
    assert second.counts["corroborated"] == 1
    p2 = fitment_for(db_session, "P2", 2019)
    queue.refresh_stats(db_session, fitment_ids=[p2.id])
    db_session.refresh(p2)
    assert p2.source_count == 2

    importer.undo(first)
    db_session.refresh(p2)
    assert {e.import_batch_id for e in p2.evidence} == {second.id}
    assert p2.source_count == 1  # the verification queue counts what is left at once

    importer.undo(second)  # now the creator of record: its undo removes the fitment
    assert count(db_session, Fitment) == 0
    assert count(db_session, Part) == 0


def test_undo_only_applies_to_committed_batches(importer: Importer) -> None:
    batch = importer.preview(FIRST)
    with pytest.raises(imports.ImportProblem, match="only a committed batch can be undone"):
        importer.undo(batch)
    committed = importer.commit(FIRST, filename="second.csv")
    importer.undo(committed)
    with pytest.raises(imports.ImportProblem, match="is undone"):
        importer.undo(committed)
