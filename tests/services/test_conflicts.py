"""Sources disagreeing: year spans that differ, a fitment asserted and denied — flagged for
review with both sides listed, curators' newer decisions left alone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditLog, Fitment, FitmentEvidence
from app.services.conflicts import conflicts_by_fitment, detect_conflicts, find_conflicts
from tests.public import conftest as public_fixtures
from tests.public.conftest import CatalogBuilder
from tests.services.curation_support import batch, claim, fitments

# The public tests' catalog fixtures, shared rather than copied.
build = public_fixtures.build


@pytest.fixture
def bike(build: CatalogBuilder) -> Any:
    honda = build.make("Honda")
    model = build.model(honda, "CBR600RR")
    years = build.vehicles(model, range(2015, 2021))
    pads = build.part(build.brand("EBC"), "FA390HH", "Pads")
    return model, years, pads


def test_differing_year_spans_flag_the_years_not_everyone_asserts(
    bike: Any, db_session: Session
) -> None:
    _, years, pads = bike
    rows = {f.vehicle_id: f for f in fitments(db_session, pads, years.values(), position="front")}
    by_year = {y: rows[v.id] for y, v in years.items()}
    vendor = batch(db_session, "Vendor catalog", "vendor.csv")
    retailer = batch(db_session, "Retailer feed", "feed.csv")
    claim(db_session, vendor, [by_year[y] for y in range(2015, 2019)], raw="FA390HH,2015-2018")
    claim(db_session, retailer, [by_year[y] for y in range(2015, 2021)], raw="FA390HH,2015-2020")

    conflicts, flagged = detect_conflicts(db_session, batch_id=retailer.id)

    (conflict,) = conflicts
    assert conflict.kind == "year_span"
    assert conflict.model_label == "Honda CBR600RR" and conflict.part_label == "EBC FA390HH"
    assert [(s.source, s.years_label) for s in conflict.sides] == [
        ("Vendor catalog", "2015–2018"),
        ("Retailer feed", "2015–2020"),
    ]
    assert conflict.sides[0].sample == "FA390HH,2015-2018"
    assert sorted(flagged) == sorted([by_year[2019].id, by_year[2020].id])
    statuses = {y: db_session.get(Fitment, f.id).status for y, f in by_year.items()}
    assert statuses == {
        2015: "unverified",
        2016: "unverified",
        2017: "unverified",
        2018: "unverified",
        2019: "needs_review",
        2020: "needs_review",
    }
    audit_rows = db_session.scalars(select(AuditLog).where(AuditLog.action == "conflict")).all()
    assert {a.entity_id for a in audit_rows} == set(flagged)
    assert "different year spans" in audit_rows[0].note


def test_a_source_denying_what_another_asserts_is_a_contradiction(
    bike: Any, db_session: Session
) -> None:
    _, years, pads = bike
    (fit,) = fitments(db_session, pads, [years[2016]])
    claim(db_session, batch(db_session, "Vendor A"), [fit])
    claim(db_session, batch(db_session, "Vendor B"), [fit], supports=False, raw="not 2016")

    conflicts, flagged = detect_conflicts(db_session, part_ids=[pads.id])

    (conflict,) = conflicts
    assert conflict.kind == "contradiction"
    assert [(s.source, s.says) for s in conflict.sides] == [
        ("Vendor A", "fits 2016"),
        ("Vendor B", "does not fit 2016"),
    ]
    assert flagged == [fit.id]
    assert "assert and deny" in conflict.summary


def test_a_curator_decision_newer_than_the_sources_stands(bike: Any, db_session: Session) -> None:
    _, years, pads = bike
    (fit,) = fitments(db_session, pads, [years[2016]], status="verified")
    claim(db_session, batch(db_session, "Vendor A"), [fit])
    claim(db_session, batch(db_session, "Vendor B"), [fit], supports=False)
    db_session.add(FitmentEvidence(fitment_id=fit.id, kind="curator", supports=True, note="ok"))
    db_session.flush()

    conflicts, flagged = detect_conflicts(db_session, part_ids=[pads.id])

    assert len(conflicts) == 1  # still listed for the panel
    assert flagged == []
    assert db_session.get(Fitment, fit.id).status == "verified"


def test_agreeing_sources_are_no_conflict(bike: Any, db_session: Session) -> None:
    _, years, pads = bike
    rows = fitments(db_session, pads, [years[2015], years[2016]])
    claim(db_session, batch(db_session, "Vendor A"), rows)
    claim(db_session, batch(db_session, "Vendor B"), rows)
    assert find_conflicts(db_session, part_ids=[pads.id]) == []
    assert find_conflicts(db_session) == []


def test_the_panel_lists_conflicts_per_fitment(bike: Any, db_session: Session) -> None:
    _, years, pads = bike
    rows = fitments(db_session, pads, [years[2015], years[2016]])
    claim(db_session, batch(db_session, "A"), rows)
    claim(db_session, batch(db_session, "B"), rows[:1])

    panel = conflicts_by_fitment(db_session, [r.id for r in rows])

    assert panel[rows[0].id] == []  # both sources agree on 2015
    assert [c.kind for c in panel[rows[1].id]] == ["year_span"]
