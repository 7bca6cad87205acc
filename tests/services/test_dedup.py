"""Duplicate detection: the issue's examples, blocking, reasons, "not the same" suppression."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import BikeModel, Brand, DuplicateCandidate, Make, NotSameJudgement
from app.services import dedup
from app.services.dedup import compare_names
from app.services.names import mpn_key, slugify
from tests.public import conftest as public_fixtures
from tests.public.conftest import CatalogBuilder

# The public tests' catalog fixtures, shared rather than copied.
build = public_fixtures.build

# --- the verdict on names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "entity", "reason"),
    [
        ("CBR 600 RR", "CBR600RR", "model", "same normalized key"),
        ("Ninja ZX-10R", "Ninja ZX -10R", "model", "same normalized key"),
        ("Harley Davidson", "Harley-Davidson", "make", "same normalized key"),
        ("ZX-10R Ninja", "Ninja ZX-10R", "model", "same words in another order"),
        ("Harley-Davidson Motor Co", "Harley Davidson", "make", "same name apart from"),
        ("EBC Brakes", "EBC", "brand", "same name apart from 'brakes'"),
        ("Ninja ZX-10R ABS", "Ninja ZX-10R", "model", "variant ABS"),
        ("Sportster 883", "Sporster 883", "model", "spelling variant"),
        ("Kawasaki", "Kawasaky", "make", "spelling variant"),
    ],
)
def test_the_same_thing_spelled_differently_is_proposed(
    a: str, b: str, entity: str, reason: str
) -> None:
    match = compare_names(a, b, entity)
    assert match is not None, (a, b)
    assert reason in match.reason
    assert 0.5 < match.score <= 1


@pytest.mark.parametrize(
    ("a", "b", "entity"),
    [
        ("FLHT", "FLHTC", "model"),  # Electra Glide Standard vs Classic
        ("FLHTC", "FLHTK", "model"),  # codes must match letter for letter
        ("Ninja ZX-10R", "Ninja ZX-10RR", "model"),
        ("CBR600RR", "CBR1000RR", "model"),  # numbers must match
        ("ZX-6R", "ZX-10R", "model"),
        ("Harley", "Harley-Davidson", "make"),  # vPIC's Harley is Lil Smokey
        ("Sport", "Sports", "model"),  # an extension names another thing
        ("Monster 821", "Monster 1200", "model"),
    ],
)
def test_different_things_are_not_proposed(a: str, b: str, entity: str) -> None:
    assert compare_names(a, b, entity) is None


def test_the_same_mpn_spelled_two_ways_is_one_part_already() -> None:
    assert mpn_key("CM-4401") == mpn_key("cm 4401") == "CM4401"


# --- scanning stored records ------------------------------------------------------------------


def _legacy_model(session: Session, make: Make, name: str, key: str) -> BikeModel:
    """A model whose stored key predates today's normalization (older importer, raw SQL)."""
    model = BikeModel(make_id=make.id, name=name, slug=slugify(name) + "-old", name_key=key)
    session.add(model)
    session.flush()
    return model


def _pairs(session: Session, entity: str) -> dict[frozenset[str], DuplicateCandidate]:
    names = dedup.labels
    rows = session.scalars(
        select(DuplicateCandidate).where(
            DuplicateCandidate.entity == entity, DuplicateCandidate.status == "open"
        )
    ).all()
    label = names(session, entity, [i for r in rows for i in (r.left_id, r.right_id)])
    return {frozenset((label[r.left_id], label[r.right_id])): r for r in rows}


def test_model_scan_finds_duplicates_within_a_make_and_respects_codes(
    build: CatalogBuilder, db_session: Session
) -> None:
    honda = build.make("Honda")
    kawasaki = build.make("Kawasaki")
    hd = build.make("Harley-Davidson")
    build.model(honda, "CBR600RR")
    _legacy_model(db_session, honda, "CBR 600 RR", "cbr 600 rr")
    build.model(honda, "CBR1000RR")
    build.model(kawasaki, "Ninja ZX-10R")
    _legacy_model(db_session, kawasaki, "Ninja ZX -10R", "ninja zx -10r")
    build.model(kawasaki, "Ninja ZX-10RR")
    build.model(hd, "FLHT")
    build.model(hd, "FLHTC")
    build.model(hd, "Sportster 883")
    build.model(hd, "Sporster 883")
    build.model(kawasaki, "CBR600RR")  # same name, other make: never compared

    result = dedup.scan(db_session, "models")

    pairs = _pairs(db_session, "model")
    assert set(pairs) == {
        frozenset({"Honda CBR600RR", "Honda CBR 600 RR"}),
        frozenset({"Kawasaki Ninja ZX-10R", "Kawasaki Ninja ZX -10R"}),
        frozenset({"Harley-Davidson Sportster 883", "Harley-Davidson Sporster 883"}),
    }
    assert pairs[frozenset({"Honda CBR600RR", "Honda CBR 600 RR"})].reason == (
        "same normalized key"
    )
    assert (
        "spelling variant"
        in pairs[
            frozenset({"Harley-Davidson Sportster 883", "Harley-Davidson Sporster 883"})
        ].reason
    )
    assert result.new == 3
    assert all(c.left_id < c.right_id for c in pairs.values())


def test_make_scan_and_the_harley_judgement(build: CatalogBuilder, db_session: Session) -> None:
    hd = build.make("Harley-Davidson")
    legacy = Make(name="Harley Davidson", slug="harley-davidson-2", name_key="harley davidson")
    db_session.add(legacy)
    harley = build.make("Harley")
    db_session.flush()
    left, right = sorted((harley.id, hd.id))
    db_session.add(NotSameJudgement(entity="make", left_id=left, right_id=right))
    db_session.flush()

    dedup.scan(db_session, "makes")

    assert set(_pairs(db_session, "make")) == {frozenset({"Harley-Davidson", "Harley Davidson"})}


def test_parts_pair_only_within_one_brand_or_brands_that_normalize_alike(
    build: CatalogBuilder, db_session: Session
) -> None:
    ebc = build.brand("EBC Brakes")
    ebc_short = build.brand("E.B.C.")
    brembo = build.brand("Brembo")
    build.part(ebc, "CM-4401", "Pads")
    build.part(ebc_short, "cm 4401", "Pads")  # the same part under a second spelling of EBC
    build.part(brembo, "CM4401", "Caliper seal")  # another brand's CM4401 is another part
    build.part(ebc, "FA_390", "Pads")
    build.part(ebc, "FA390", "Pads")  # punctuation mpn_key keeps (underscore)
    build.part(brembo, "FA390", "Brembo FA390")
    gtin_a = build.part(brembo, "07BB15", "Rotor", gtin="8020584000015")
    gtin_b = build.part(ebc, "MD6180D", "Rotor", gtin="8020584000015")

    result = dedup.scan(db_session, "parts")

    pairs = _pairs(db_session, "part")
    assert set(pairs) == {
        frozenset({"EBC Brakes CM-4401", "E.B.C. cm 4401"}),
        frozenset({"EBC Brakes FA_390", "EBC Brakes FA390"}),
        frozenset({"Brembo 07BB15", "EBC Brakes MD6180D"}),
    }
    reasons = {frozenset(k): v.reason for k, v in pairs.items()}
    assert "normalize alike" in reasons[frozenset({"EBC Brakes CM-4401", "E.B.C. cm 4401"})]
    assert "punctuation" in reasons[frozenset({"EBC Brakes FA_390", "EBC Brakes FA390"})]
    assert "GTIN" in reasons[frozenset({"Brembo 07BB15", "EBC Brakes MD6180D"})]
    assert {gtin_a.id, gtin_b.id} <= {i for c in result.candidates for i in (c.left_id, c.right_id)}


def test_one_brand_cannot_hold_the_same_mpn_twice(
    build: CatalogBuilder, db_session: Session
) -> None:
    ebc = build.brand("EBC")
    build.part(ebc, "CM-4401", "Pads")
    with pytest.raises(IntegrityError), db_session.begin_nested():
        build.part(ebc, "cm 4401", "Pads again")


def test_brand_scan(build: CatalogBuilder, db_session: Session) -> None:
    build.brand("EBC")
    build.brand("EBC Brakes")
    build.brand("Brembo")
    build.brand("Bremboo")  # too short a difference for a code-like word? "brembo" is a word

    dedup.scan(db_session, "brands")

    assert frozenset({"EBC", "EBC Brakes"}) in _pairs(db_session, "brand")


def test_not_same_judgement_suppresses_the_pair_for_good(
    build: CatalogBuilder, db_session: Session, user_factory: object
) -> None:
    curator = user_factory("curator@example.com", "curator")  # type: ignore[operator]
    honda = build.make("Honda")
    build.model(honda, "CBR600RR")
    _legacy_model(db_session, honda, "CBR 600 RR", "cbr 600 rr")
    dedup.scan(db_session, "models")
    (candidate,) = _pairs(db_session, "model").values()

    dedup.dismiss(db_session, candidate.id, actor_id=curator.id, note="Different bikes")
    again = dedup.scan(db_session, "models")

    assert again.new == 0 and again.suppressed == 1 and again.candidates == []
    assert db_session.get(DuplicateCandidate, candidate.id).status == "dismissed"
    judged = db_session.scalars(select(NotSameJudgement).where(NotSameJudgement.entity == "model"))
    assert [(j.left_id, j.right_id, j.note) for j in judged] == [
        (candidate.left_id, candidate.right_id, "Different bikes")
    ]
    with pytest.raises(ValueError, match="already dismissed"):
        dedup.dismiss(db_session, candidate.id, actor_id=curator.id)


def test_a_rescan_refreshes_open_pairs_and_withdraws_vanished_ones(
    build: CatalogBuilder, db_session: Session
) -> None:
    brand = build.brand("EBC")
    a = build.part(brand, "FA_390", "Pads")
    build.part(brand, "FA390", "Pads")
    first = dedup.scan(db_session, "parts")
    assert first.new == 1

    second = dedup.scan(db_session, "parts")
    assert (second.new, second.removed, len(second.candidates)) == (0, 0, 1)
    assert not second.candidates[0].is_new

    a.mpn, a.mpn_key = "FB_390", "FB_390"
    db_session.flush()
    third = dedup.scan(db_session, "parts")
    assert (third.new, third.removed, third.candidates) == (0, 1, [])


def test_blocking_never_compares_all_pairs(build: CatalogBuilder, db_session: Session) -> None:
    for i in range(300):
        build.make(f"Maker {i:03d} Works")
    result = dedup.scan(db_session, "makes")
    assert result.records >= 300
    assert result.compared < 300 * 299 / 2 / 20, result.compared


def test_unknown_entity_is_refused(db_session: Session) -> None:
    with pytest.raises(ValueError, match="unknown entity"):
        dedup.scan(db_session, "vehicles")


def test_brand_rows_keep_their_names(build: CatalogBuilder, db_session: Session) -> None:
    brand = build.brand("Öhlins")
    assert dedup.labels(db_session, "brand", [brand.id]) == {brand.id: "Öhlins"}
    assert db_session.get(Brand, brand.id) is not None
