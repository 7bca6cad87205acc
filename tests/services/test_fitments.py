"""Verifying, rejecting and reviewing fitments: evidence, audit, and never a silent overwrite."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import AuditLog, Fitment, FitmentEvidence, MetricCounter
from app.services.fitments import (
    FitmentError,
    StaleFitmentError,
    change_status,
    confidence,
    edit_fitment,
    evidence_for,
    flag_for_review,
    reject_fitments,
    verify_fitments,
)
from tests.public import conftest as public_fixtures
from tests.public.conftest import CatalogBuilder, Garage
from tests.services.curation_support import batch, claim

# The public tests' catalog fixtures, shared rather than copied.
build = public_fixtures.build
garage = public_fixtures.garage


@pytest.fixture
def curator(user_factory: Any) -> Any:
    return user_factory("curator@example.com", "curator")


def _open(session: Session, garage: Garage) -> list[Fitment]:
    return list(
        session.scalars(
            select(Fitment)
            .where(Fitment.part_id.in_([garage.unverified.id, garage.disputed.id]))
            .order_by(Fitment.id)
        )
    )


def test_bulk_verify_records_who_when_evidence_audit_and_a_counter(
    garage: Garage, db_session: Session, curator: Any
) -> None:
    rows = _open(db_session, garage)
    expected = {f.id: f.version for f in rows}

    changed = verify_fitments(db_session, expected, actor_id=curator.id, note="Checked the chart")

    assert [f.status for f in changed] == ["verified", "verified"]
    assert all(f.verified_by_id == curator.id and f.verified_at for f in changed)
    assert all(f.version == expected[f.id] + 1 for f in changed)
    evidence = db_session.scalars(
        select(FitmentEvidence).where(FitmentEvidence.fitment_id.in_(expected))
    ).all()
    assert {(e.kind, e.supports, e.curator_id, e.note) for e in evidence} == {
        ("curator", True, curator.id, "Checked the chart")
    }
    audit_rows = db_session.scalars(
        select(AuditLog).where(AuditLog.entity == "fitment").order_by(AuditLog.entity_id)
    ).all()
    assert [(a.action, a.entity_id) for a in audit_rows] == [("verify", fid) for fid in expected]
    assert audit_rows[0].before["status"] in {"unverified", "needs_review"}
    assert audit_rows[0].after["status"] == "verified"
    counter = db_session.scalar(
        select(MetricCounter.value).where(MetricCounter.name == "curation_verify")
    )
    assert counter == 2


def test_a_rejection_needs_a_note_and_writes_contradicting_evidence(
    garage: Garage, db_session: Session, curator: Any
) -> None:
    (row,) = [f for f in _open(db_session, garage) if f.status == "unverified"]
    with pytest.raises(FitmentError, match="needs a note"):
        reject_fitments(db_session, {row.id: row.version}, actor_id=curator.id, note="   ")
    assert db_session.get(Fitment, row.id).status == "unverified"

    reject_fitments(
        db_session, {row.id: row.version}, actor_id=curator.id, note="Wrong caliper for 2015"
    )

    fitment = db_session.get(Fitment, row.id)
    assert (fitment.status, fitment.verified_at, fitment.verified_by_id) == ("rejected", None, None)
    (evidence,) = fitment.evidence
    assert (evidence.supports, evidence.note) == (False, "Wrong caliper for 2015")


def test_needs_review_keeps_the_note_in_the_audit(
    garage: Garage, db_session: Session, curator: Any
) -> None:
    (row,) = [f for f in _open(db_session, garage) if f.status == "unverified"]
    flag_for_review(db_session, {row.id: row.version}, actor_id=curator.id, note="Ask vendor")
    assert db_session.get(Fitment, row.id).status == "needs_review"
    audit_row = db_session.scalars(select(AuditLog).where(AuditLog.entity_id == row.id)).one()
    assert (audit_row.action, audit_row.note) == ("needs_review", "Ask vendor")
    assert db_session.get(Fitment, row.id).evidence == []  # a question is not evidence


def test_stale_version_names_who_changed_it_and_writes_nothing(
    garage: Garage, db_session: Session, user_factory: Any
) -> None:
    alice = user_factory("alice@example.com", "curator")
    bob = user_factory("bob@example.com", "curator")
    rows = _open(db_session, garage)
    loaded = {f.id: f.version for f in rows}  # both curators loaded the same page

    verify_fitments(db_session, {rows[0].id: loaded[rows[0].id]}, actor_id=alice.id)
    with pytest.raises(StaleFitmentError) as caught:
        reject_fitments(db_session, loaded, actor_id=bob.id, note="Does not fit")

    message = str(caught.value)
    assert f"Fitment #{rows[0].id} was changed by alice@example.com at " in message
    assert "UTC" in message and "Reload" in message
    assert caught.value.changed_by == "alice@example.com"
    statuses = {
        f.id: f.status for f in db_session.scalars(select(Fitment).where(Fitment.id.in_(loaded)))
    }
    assert statuses[rows[0].id] == "verified"  # Alice's decision stands
    assert statuses[rows[1].id] != "rejected"  # and none of Bob's bulk went through


def test_two_transactions_one_commits_first_the_other_gets_the_message(
    fresh_database: Any, tmp_path: Any
) -> None:
    """Two real sessions on a committed database: the second writer, holding the old
    version in its identity map, is stopped with the clear message."""
    from flask_migrate import upgrade
    from flask_security import hash_password
    from sqlalchemy.orm import Session as OrmSession

    from app import create_app
    from app.services.users import create_user
    from tests.conftest import TEST_PASSWORD
    from tests.public.conftest import CatalogBuilder

    application: Flask = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": fresh_database("mpp_locks")}
    )
    with application.app_context():
        upgrade()
        setup = db.session()
        alice = create_user(
            setup,
            email="alice@example.com",
            password=TEST_PASSWORD,
            role_names=["curator"],
            hash_password=hash_password,
        )
        bob = create_user(
            setup,
            email="bob@example.com",
            password=TEST_PASSWORD,
            role_names=["curator"],
            hash_password=hash_password,
        )
        cat = CatalogBuilder(setup)
        honda = cat.make("Honda")
        years = cat.vehicles(cat.model(honda, "CB650R"), [2021])
        (fit,) = cat.fit(cat.part(cat.brand("EBC"), "FA1", "Pads"), [years[2021]], "unverified")
        ids = SimpleNamespace(alice=alice.id, bob=bob.id, fit=fit.id)
        setup.commit()
        db.session.remove()

        with OrmSession(db.engine) as first, OrmSession(db.engine) as second:
            seen = second.get_one(Fitment, ids.fit)  # Bob opened the page: version 1
            verify_fitments(first, {ids.fit: 1}, actor_id=ids.alice)
            first.commit()
            with pytest.raises(StaleFitmentError, match=r"changed by alice@example\.com"):
                reject_fitments(second, {ids.fit: seen.version}, actor_id=ids.bob, note="no")
            second.rollback()
            assert second.get_one(Fitment, ids.fit).status == "verified"
        db.engine.dispose()


def test_unknown_action_empty_selection_and_vanished_fitment(
    garage: Garage, db_session: Session, curator: Any
) -> None:
    with pytest.raises(FitmentError, match="Unknown action"):
        change_status(db_session, {1: 1}, "approve", actor_id=curator.id)
    with pytest.raises(FitmentError, match="at least one"):
        change_status(db_session, {}, "verify", actor_id=curator.id)
    with pytest.raises(FitmentError, match="no longer exists"):
        verify_fitments(db_session, {987_654: 1}, actor_id=curator.id)


def test_edit_checks_the_version_and_the_rejection_reason(
    garage: Garage, db_session: Session, curator: Any
) -> None:
    (row,) = [f for f in _open(db_session, garage) if f.status == "unverified"]
    common = {"actor_id": curator.id, "position": "rear", "qty": 2, "note": " Pair "}
    with pytest.raises(FitmentError, match="needs a reason"):
        edit_fitment(db_session, row.id, expected_version=row.version, status="rejected", **common)
    with pytest.raises(StaleFitmentError):
        edit_fitment(
            db_session, row.id, expected_version=row.version - 1, status="verified", **common
        )

    edited = edit_fitment(
        db_session, row.id, expected_version=row.version, status="verified", **common
    )
    assert (edited.status, edited.position, edited.qty, edited.note) == (
        "verified",
        "rear",
        2,
        "Pair",
    )
    assert edited.verified_by_id == curator.id
    audit_row = db_session.scalars(select(AuditLog).where(AuditLog.entity_id == row.id)).one()
    assert audit_row.action == "edit"
    assert (audit_row.before["position"], audit_row.after["position"]) == ("", "rear")


def _ev(ident: int, kind: str, supports: bool, batch_id: int | None) -> SimpleNamespace:
    return SimpleNamespace(id=ident, kind=kind, supports=supports, import_batch_id=batch_id)


@pytest.mark.parametrize(
    ("evidence", "score", "label"),
    [
        ([], 0.0, "No sources"),
        ([_ev(1, "import", True, 1)], 0.5, "Single source"),
        ([_ev(1, "import", True, 1), _ev(2, "import", True, 1)], 0.5, "Single source"),
        ([_ev(1, "import", True, 1), _ev(2, "import", True, 2)], 0.75, "Medium"),
        ([_ev(i, "import", True, i) for i in range(1, 4)], 0.875, "High"),
        ([_ev(1, "import", True, 1), _ev(2, "import", False, 2)], 0.25, "Disputed"),
        ([_ev(1, "import", False, 1)], 0.0, "Contradicted"),
        ([_ev(1, "import", False, 1), _ev(2, "curator", True, None)], 1.0, "Verified by a curator"),
        (
            [_ev(1, "curator", True, None), _ev(2, "curator", False, None)],
            0.0,
            "Rejected by a curator",
        ),
    ],
)
def test_confidence_follows_the_evidence(evidence: list[Any], score: float, label: str) -> None:
    result = confidence(evidence)
    assert (result.score, result.label) == (score, label)


def test_evidence_panel_lists_batches_lines_and_curators(
    build: CatalogBuilder, db_session: Session, curator: Any
) -> None:
    honda = build.make("Honda")
    years = build.vehicles(build.model(honda, "CB500X"), [2020])
    (fit,) = build.fit(build.part(build.brand("EBC"), "FA2", "Pads"), [years[2020]], "unverified")
    source = batch(db_session, "Vendor A", "vendor-a.csv")
    claim(db_session, source, [fit], raw="FA2,Honda,CB500X,2020")
    verify_fitments(db_session, {fit.id: fit.version}, actor_id=curator.id, note="OK")

    (imported, checked) = evidence_for(db_session, [fit.id])[fit.id]

    assert (imported.batch_source, imported.batch_filename, imported.raw_text) == (
        "Vendor A",
        "vendor-a.csv",
        "FA2,Honda,CB500X,2020",
    )
    assert imported.line_no is not None
    assert (checked.kind, checked.curator, checked.note) == ("curator", "curator@example.com", "OK")
    assert isinstance(checked.created_at, dt.datetime)
