"""Database constraints: the invariants hold even for writes that bypass Python."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import (
    BikeModel,
    Brand,
    Fitment,
    FitmentEvidence,
    Make,
    NotSameJudgement,
    Part,
    Vehicle,
)
from app.services.names import mpn_key, name_key, slugify


def _bike(session: Session) -> tuple[Make, BikeModel, Vehicle]:
    make = Make(name="Honda", slug="honda", name_key="honda")
    model = BikeModel(make=make, name="CBR600RR", slug="cbr600rr", name_key="cbr600rr")
    vehicle = Vehicle(model=model, year=2015)
    session.add_all([make, model, vehicle])
    session.flush()
    return make, model, vehicle


def _part(session: Session, mpn: str = "CM-4401") -> Part:
    brand = session.query(Brand).filter_by(slug="apex").one_or_none() or Brand(
        name="Apex", slug="apex", name_key="apex"
    )
    part = Part(brand=brand, mpn=mpn, mpn_key=mpn_key(mpn), title="Brake pads")
    session.add(part)
    session.flush()
    return part


def _violates(session: Session, statement: str, params: dict[str, object], constraint: str) -> None:
    with pytest.raises(IntegrityError) as info, session.begin_nested():
        session.execute(text(statement), params)
    assert constraint in str(info.value)


def test_same_normalized_mpn_is_one_part_per_brand(db_session: Session) -> None:
    part = _part(db_session, "CM-4401")
    _violates(
        db_session,
        "INSERT INTO parts (brand_id, mpn, mpn_key, title) VALUES (:b, 'cm 4401', :k, 'dup')",
        {"b": part.brand_id, "k": mpn_key("cm 4401")},
        "uq_parts_brand_id_mpn_key",
    )


def test_mpn_key_must_be_normalized(db_session: Session) -> None:
    part = _part(db_session)
    _violates(
        db_session,
        "INSERT INTO parts (brand_id, mpn, mpn_key, title) VALUES (:b, 'x-1', 'x-1', 't')",
        {"b": part.brand_id},
        "ck_parts_mpn_key_normalized",
    )


def test_vehicle_year_range_and_uniqueness(db_session: Session) -> None:
    _, model, _ = _bike(db_session)
    _violates(
        db_session,
        "INSERT INTO vehicles (model_id, year) VALUES (:m, 1884)",
        {"m": model.id},
        "ck_vehicles_year_range",
    )
    _violates(
        db_session,
        "INSERT INTO vehicles (model_id, year) VALUES (:m, 2015)",
        {"m": model.id},
        "uq_vehicles_model_id_year_variant_market",
    )


def test_fitment_status_qty_and_verified_time(db_session: Session) -> None:
    _, _, vehicle = _bike(db_session)
    part = _part(db_session)
    params = {"p": part.id, "v": vehicle.id}
    _violates(
        db_session,
        "INSERT INTO fitments (part_id, vehicle_id, status) VALUES (:p, :v, 'maybe')",
        params,
        "ck_fitments_status",
    )
    _violates(
        db_session,
        "INSERT INTO fitments (part_id, vehicle_id, qty) VALUES (:p, :v, 0)",
        params,
        "ck_fitments_qty_range",
    )
    _violates(
        db_session,
        "INSERT INTO fitments (part_id, vehicle_id, status) VALUES (:p, :v, 'verified')",
        params,
        "ck_fitments_verified_has_time",
    )


def test_one_fitment_per_part_vehicle_position(db_session: Session) -> None:
    _, _, vehicle = _bike(db_session)
    part = _part(db_session)
    db_session.add(Fitment(part=part, vehicle=vehicle, position="front"))
    db_session.flush()
    _violates(
        db_session,
        "INSERT INTO fitments (part_id, vehicle_id, position) VALUES (:p, :v, 'front')",
        {"p": part.id, "v": vehicle.id},
        "uq_fitments_part_id_vehicle_id_position",
    )


def test_import_evidence_needs_its_source(db_session: Session) -> None:
    _, _, vehicle = _bike(db_session)
    fitment = Fitment(part=_part(db_session), vehicle=vehicle)
    db_session.add(fitment)
    db_session.flush()
    _violates(
        db_session,
        "INSERT INTO fitment_evidence (fitment_id, kind) VALUES (:f, 'import')",
        {"f": fitment.id},
        "ck_fitment_evidence_import_has_source",
    )
    db_session.add(FitmentEvidence(fitment=fitment, kind="curator", supports=True, note=""))
    db_session.flush()
    _violates(
        db_session,
        "INSERT INTO fitment_evidence (fitment_id, kind, supports, note)"
        " VALUES (:f, 'curator', false, ' ')",
        {"f": fitment.id},
        "ck_fitment_evidence_rejection_has_note",
    )


def test_not_same_judgement_is_an_ordered_pair(db_session: Session) -> None:
    db_session.add(NotSameJudgement(entity="make", left_id=1, right_id=2))
    db_session.flush()
    _violates(
        db_session,
        "INSERT INTO not_same_judgements (entity, left_id, right_id) VALUES ('make', 2, 1)",
        {},
        "ck_not_same_judgements_ordered_pair",
    )


def test_fitment_version_is_an_optimistic_lock(db_session: Session) -> None:
    from sqlalchemy.orm.exc import StaleDataError

    _, _, vehicle = _bike(db_session)
    fitment = Fitment(part=_part(db_session), vehicle=vehicle)
    db_session.add(fitment)
    db_session.flush()
    assert fitment.version == 1
    # Another curator saves first: the row's version moves on underneath us.
    db_session.execute(
        text("UPDATE fitments SET version = version + 1, note = 'theirs' WHERE id = :i"),
        {"i": fitment.id},
    )
    fitment.status = "verified"
    fitment.verified_at = dt.datetime.now(dt.UTC)
    with pytest.raises(StaleDataError):
        db_session.flush()


def test_user_email_is_unique_case_insensitively(user_factory: object, db_session: Session) -> None:
    user_factory("Curator@Example.com", "curator")  # type: ignore[operator]
    _violates(
        db_session,
        "INSERT INTO users (email, fs_uniquifier) VALUES ('curator@example.com', 'x')",
        {},
        "uq_users_email_lower",
    )


@pytest.mark.parametrize(
    ("raw", "key", "slug"),
    [
        ("Harley Davidson", "harleydavidson", "harley-davidson"),
        ("Harley-Davidson", "harleydavidson", "harley-davidson"),
        ("Zündapp", "zundapp", "zundapp"),
        ("Ninja ZX -10R", "ninjazx10r", "ninja-zx-10r"),
    ],
)
def test_name_keys_and_slugs(raw: str, key: str, slug: str) -> None:
    assert name_key(raw) == key
    assert slugify(raw) == slug


@pytest.mark.parametrize(
    ("raw", "key"),
    [("CM-4401", "CM4401"), ("cm 4401", "CM4401"), ("ab.12/3", "AB123"), ("  x-1  ", "X1")],
)
def test_mpn_key(raw: str, key: str) -> None:
    assert mpn_key(raw) == key
