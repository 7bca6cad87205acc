"""The demo catalog: real names, every status, evidence and offers, deterministic."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    Fitment,
    FitmentEvidence,
    Make,
    MakeAlias,
    NotSameJudgement,
    Offer,
    Part,
    Vehicle,
)
from app.services.demo import catalog_is_empty, load_demo

NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_demo_loads_real_makes_and_generated_catalog(db_session: Session) -> None:
    assert catalog_is_empty(db_session)
    summary = load_demo(db_session, parts_count=60, now=NOW)
    makes = set(db_session.scalars(select(Make.name)))
    assert {
        "Honda",
        "Yamaha",
        "Kawasaki",
        "Ducati",
        "Harley-Davidson",
        "Aprilia",
        "MV Agusta",
    } <= makes
    assert "APRILIA" not in makes  # vPIC's spelling is kept as an alias instead
    assert (
        db_session.scalar(select(MakeAlias.alias).where(MakeAlias.alias_key == "aprilia"))
        == "APRILIA"
    )
    assert _count(db_session, Part) == 60 == summary.parts
    assert _count(db_session, Fitment) == summary.fitments > 0
    statuses = dict(
        db_session.execute(select(Fitment.status, func.count()).group_by(Fitment.status)).all()
    )
    assert set(statuses) == {"verified", "unverified", "needs_review", "rejected"}
    years = db_session.execute(select(func.min(Vehicle.year), func.max(Vehicle.year))).one()
    assert years == (2010, 2025)
    # Every fitment has import evidence; decided ones also have a curator check.
    assert _count(db_session, FitmentEvidence) > summary.fitments
    no_evidence = db_session.scalar(
        select(func.count()).select_from(Fitment).where(~Fitment.evidence.any())
    )
    assert no_evidence == 0
    assert _count(db_session, Offer) == summary.offers > 0
    assert db_session.scalar(select(func.count()).select_from(NotSameJudgement)) == 1
    assert not catalog_is_empty(db_session)


def test_demo_is_deterministic(db_session: Session) -> None:
    load_demo(db_session, parts_count=20, now=NOW)
    first = sorted(db_session.scalars(select(Part.mpn)))
    db_session.rollback()
    load_demo(db_session, parts_count=20, now=NOW)
    assert sorted(db_session.scalars(select(Part.mpn))) == first


def test_demo_refuses_a_non_empty_catalog(db_session: Session) -> None:
    load_demo(db_session, parts_count=5, now=NOW)
    with pytest.raises(ValueError, match="not empty"):
        load_demo(db_session, parts_count=5, now=NOW)
