"""Merging duplicates: rows repointed, collisions combined, aliases learned, audited — and
undone exactly, with imports resolving through the learned alias only while it stands."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.models import (
    AuditLog,
    BikeModel,
    DuplicateCandidate,
    Fitment,
    FitmentEvidence,
    Make,
    MakeAlias,
    Merge,
    ModelAlias,
    Offer,
    Part,
    PartAlias,
    Vehicle,
)
from app.services import aliases, dedup
from app.services.merges import MergeError, merge, record_counts, unmerge
from app.services.names import slugify
from tests.public import conftest as public_fixtures
from tests.public.conftest import CatalogBuilder
from tests.services import imports_support
from tests.services.curation_support import batch, claim, fitments
from tests.services.imports_support import Importer, csv_text

# The public tests' catalog fixtures, shared rather than copied.
build = public_fixtures.build
# The import pipeline's test driver (upload → map → commit through the real service).
importer = imports_support.importer
storage = imports_support.storage
HEADER = "Part Number,Brand,Title,Category,Make,Model,Years,Position,Qty,Notes"

TABLES = [
    "makes",
    "models",
    "vehicles",
    "brands",
    "parts",
    "fitments",
    "fitment_evidence",
    "offers",
    "make_aliases",
    "model_aliases",
    "brand_aliases",
    "part_aliases",
    "duplicate_candidates",
]
# Bookkeeping a merge and its undo legitimately move on: lock versions and touch times.
VOLATILE = {"version", "updated_at", "search_vector", "source_count", "queue_priority"}


def dump(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the catalog tables (minus volatile columns), for round-trip checks."""
    out = {}
    for table in TABLES:
        columns = [
            c
            for c in session.execute(
                text(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_name = :t ORDER BY ordinal_position"
                ),
                {"t": table},
            ).scalars()
            if c not in VOLATILE
        ]
        rows = session.execute(text(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")).all()
        out[table] = [tuple(r) for r in rows]
    return out


@pytest.fixture
def curator(user_factory: Any) -> Any:
    return user_factory("curator@example.com", "curator")


def test_part_merge_combines_colliding_fitments_and_undoes_exactly(
    build: CatalogBuilder, db_session: Session, curator: Any
) -> None:
    ebc = build.brand("EBC")
    honda = build.make("Honda")
    cbr = build.model(honda, "CBR600RR")
    years = build.vehicles(cbr, [2015, 2016, 2017])
    keep = build.part(ebc, "FA390", "Pads")
    gone = build.part(ebc, "FA_390", "Pads (dup)")
    source_a, source_b = batch(db_session, "Vendor A"), batch(db_session, "Vendor B")
    kept_fits = fitments(db_session, keep, [years[2015], years[2016]], position="front")
    gone_fits = fitments(db_session, gone, [years[2016], years[2017]], position="front")
    claim(db_session, source_a, kept_fits)
    claim(db_session, source_b, gone_fits)
    retailer = build.retailer("RevZilla")
    offer = build.offer(gone, retailer, "49.99")
    dedup.scan(db_session, "parts")
    candidate = db_session.scalars(select(DuplicateCandidate)).one()
    before = dump(db_session)

    gone_id = gone.id
    row = merge(
        db_session,
        "part",
        survivor_id=keep.id,
        merged_id=gone_id,
        actor_id=curator.id,
        candidate_id=candidate.id,
        note="same pads",
    )

    assert db_session.get(Part, gone_id) is None
    kept_2016 = db_session.scalars(
        select(Fitment).where(Fitment.part_id == keep.id, Fitment.vehicle_id == years[2016].id)
    ).one()
    assert {e.import_batch_id for e in kept_2016.evidence} == {source_a.id, source_b.id}
    assert kept_2016.source_count == 2
    assert db_session.scalar(select(Fitment.part_id).where(Fitment.id == gone_fits[1].id)) == (
        keep.id
    )  # 2017 had no twin: repointed
    assert db_session.get(Offer, offer.id).part_id == keep.id
    assert db_session.get(DuplicateCandidate, candidate.id).status == "merged"
    assert aliases.resolve_part(db_session, ebc.id, "FA_390").id == keep.id
    assert row.summary["fitments deleted"] == 1
    assert row.summary["fitments repointed"] == 1
    assert record_counts(db_session, "part", keep.id).fitments == 3
    actions = db_session.scalars(
        select(AuditLog.action).where(AuditLog.entity == "part").order_by(AuditLog.id)
    ).all()
    assert actions == ["merge", "merged_into"]

    unmerge(db_session, row.id, actor_id=curator.id, note="oops")

    assert dump(db_session) == before
    assert db_session.get(DuplicateCandidate, candidate.id).status == "open"
    assert aliases.resolve_part(db_session, ebc.id, "FA_390").id == gone_id
    assert db_session.get(Merge, row.id).undone_by_id == curator.id
    with pytest.raises(MergeError, match="already undone"):
        unmerge(db_session, row.id, actor_id=curator.id)


def test_make_merge_folds_colliding_models_and_vehicles_and_learns_the_alias(
    build: CatalogBuilder, db_session: Session, curator: Any
) -> None:
    hd = build.make("Harley-Davidson")
    dup = build.make("Harley Davidson Motor Co")
    flht = build.model(hd, "FLHT")
    flht_dup = build.model(dup, "FLHT")  # collides on (make, name_key) once moved
    build.model(dup, "FLHTC")  # moves over untouched
    alias = ModelAlias(
        model_id=flht_dup.id,
        make_id=dup.id,
        alias="Electra Glide",
        alias_key="electraglide",
        source="curator",
    )
    db_session.add(alias)
    years = build.vehicles(flht, [2010, 2011])
    dup_years = build.vehicles(flht_dup, [2011, 2012])
    pads = build.part(build.brand("EBC"), "FA409", "Pads")
    build.fit(pads, [years[2011]], status="verified")
    build.fit(pads, [dup_years[2011]], status="rejected")  # verified meets rejected: conflict
    build.fit(pads, [dup_years[2012]], status="unverified")
    before = dump(db_session)
    dup_id, flht_dup_id = dup.id, flht_dup.id

    row = merge(db_session, "make", survivor_id=hd.id, merged_id=dup_id, actor_id=curator.id)

    assert db_session.get(Make, dup_id) is None
    assert [
        m.name
        for m in db_session.scalars(
            select(BikeModel).where(BikeModel.make_id == hd.id).order_by(BikeModel.name)
        )
    ] == ["FLHT", "FLHTC"]
    merged_fit = db_session.scalars(
        select(Fitment).where(Fitment.vehicle_id == years[2011].id)
    ).one()
    assert merged_fit.status == "needs_review"
    assert merged_fit.verified_at is None
    assert aliases.resolve_make(db_session, "Harley Davidson Motor Co").id == hd.id
    assert aliases.resolve_model(db_session, hd.id, "Electra Glide").id == flht.id
    assert db_session.scalars(select(MakeAlias.alias)).all() == ["Harley Davidson Motor Co"]

    unmerge(db_session, row.id, actor_id=curator.id)

    assert dump(db_session) == before
    assert aliases.resolve_make(db_session, "Harley Davidson Motor Co").id == dup_id
    assert aliases.resolve_model(db_session, dup_id, "Electra Glide").id == flht_dup_id
    assert db_session.get(Fitment, merged_fit.id).status == "verified"


def test_brand_merge_merges_parts_with_the_same_mpn(
    build: CatalogBuilder, db_session: Session, curator: Any
) -> None:
    ebc = build.brand("EBC Brakes")
    short = build.brand("E.B.C.")
    a = build.part(ebc, "CM-4401", "Pads")
    b = build.part(short, "cm 4401", "Pads")
    only = build.part(short, "FA1", "Other")
    before = dump(db_session)
    b_id = b.id

    row = merge(db_session, "brand", survivor_id=ebc.id, merged_id=short.id, actor_id=curator.id)

    assert db_session.get(Part, b_id) is None
    assert db_session.get(Part, only.id).brand_id == ebc.id
    assert aliases.resolve_brand(db_session, "E.B.C.").id == ebc.id
    assert aliases.resolve_part(db_session, ebc.id, "cm 4401").id == a.id
    unmerge(db_session, row.id, actor_id=curator.id)
    assert dump(db_session) == before


def test_models_of_different_makes_are_not_merged(
    build: CatalogBuilder, db_session: Session, curator: Any
) -> None:
    honda, kawasaki = build.make("Honda"), build.make("Kawasaki")
    a, b = build.model(honda, "Z900"), build.model(kawasaki, "Z900")
    with pytest.raises(MergeError, match="merge the makes first"):
        merge(db_session, "model", survivor_id=a.id, merged_id=b.id, actor_id=curator.id)
    with pytest.raises(MergeError, match="two different records"):
        merge(db_session, "model", survivor_id=a.id, merged_id=a.id, actor_id=curator.id)
    with pytest.raises(MergeError, match="does not exist"):
        merge(db_session, "model", survivor_id=a.id, merged_id=999_999, actor_id=curator.id)


def test_model_merge_round_trip_with_import_resolution(
    build: CatalogBuilder, db_session: Session, curator: Any
) -> None:
    honda = build.make("Honda")
    cbr = build.model(honda, "CBR600RR")
    legacy = BikeModel(
        make_id=honda.id,
        name="CBR 600 RR (2007)",
        slug=slugify("CBR 600 RR (2007)"),
        name_key="cbr600rr2007",
    )
    db_session.add(legacy)
    db_session.flush()
    assert aliases.resolve_model(db_session, honda.id, "cbr 600 rr (2007)").id == legacy.id

    row = merge(db_session, "model", survivor_id=cbr.id, merged_id=legacy.id, actor_id=curator.id)
    # The next import of the old spelling lands on the survivor, through the learned alias.
    assert aliases.resolve_model(db_session, honda.id, "CBR 600 RR (2007)").id == cbr.id

    unmerge(db_session, row.id, actor_id=curator.id)
    assert aliases.resolve_model(db_session, honda.id, "CBR 600 RR (2007)").id == legacy.id
    assert db_session.scalars(select(ModelAlias)).all() == []


def test_undo_is_refused_while_a_later_merge_folded_the_survivor_away(
    build: CatalogBuilder, db_session: Session, curator: Any
) -> None:
    brand = build.brand("EBC")
    a, b, c = (build.part(brand, mpn, "Pads") for mpn in ("A1", "A_1", "A-1X"))
    first = merge(db_session, "part", survivor_id=b.id, merged_id=a.id, actor_id=curator.id)
    second = merge(db_session, "part", survivor_id=c.id, merged_id=b.id, actor_id=curator.id)

    with pytest.raises(MergeError, match=f"merge #{second.id}"):
        unmerge(db_session, first.id, actor_id=curator.id)
    unmerge(db_session, second.id, actor_id=curator.id)
    unmerge(db_session, first.id, actor_id=curator.id)
    assert {p.mpn for p in db_session.scalars(select(Part))} == {"A1", "A_1", "A-1X"}


def test_a_decision_made_after_the_merge_survives_the_undo(
    build: CatalogBuilder, db_session: Session, curator: Any
) -> None:
    from app.services.fitments import reject_fitments

    brand = build.brand("EBC")
    honda = build.make("Honda")
    years = build.vehicles(build.model(honda, "CB500F"), [2019])
    keep, gone = build.part(brand, "P1", "Pads"), build.part(brand, "P_1", "Pads")
    (kept,) = build.fit(keep, [years[2019]], status="unverified")
    build.fit(gone, [years[2019]], status="verified")
    row = merge(db_session, "part", survivor_id=keep.id, merged_id=gone.id, actor_id=curator.id)
    merged = db_session.get(Fitment, kept.id)
    assert merged.status == "verified"

    reject_fitments(db_session, {kept.id: merged.version}, actor_id=curator.id, note="wrong")
    done = unmerge(db_session, row.id, actor_id=curator.id)

    assert db_session.get(Fitment, kept.id).status == "rejected"
    assert done.summary["undo_skipped"] == {"fitments": 1}
    assert db_session.scalars(
        select(FitmentEvidence.note).where(FitmentEvidence.fitment_id == kept.id)
    ).all() == ["wrong"]


def test_part_alias_from_merge_survives_only_with_the_merge(
    build: CatalogBuilder, db_session: Session, curator: Any
) -> None:
    brand = build.brand("EBC")
    keep, gone = build.part(brand, "FA390", "Pads"), build.part(brand, "FA_390", "Pads")
    row = merge(db_session, "part", survivor_id=keep.id, merged_id=gone.id, actor_id=curator.id)
    assert [(a.part_id, a.mpn) for a in db_session.scalars(select(PartAlias))] == [
        (keep.id, "FA_390")
    ]
    unmerge(db_session, row.id, actor_id=curator.id)
    assert db_session.scalars(select(PartAlias)).all() == []


def test_imports_resolve_through_the_learned_alias_until_the_merge_is_undone(
    build: CatalogBuilder, db_session: Session, curator: Any, importer: Importer
) -> None:
    hd = build.make("Harley-Davidson")
    build.vehicles(build.model(hd, "FLHT"), [2012])
    dup = build.make("Harley Davidson Motor Co")
    build.vehicles(build.model(dup, "FLHT"), [2012])
    dup_id = dup.id
    row = merge(db_session, "make", survivor_id=hd.id, merged_id=dup_id, actor_id=curator.id)

    def make_of_fitment(mpn: str) -> int:
        return db_session.scalar(
            select(BikeModel.make_id)
            .join(Vehicle, Vehicle.model_id == BikeModel.id)
            .join(Fitment, Fitment.vehicle_id == Vehicle.id)
            .join(Part, Part.id == Fitment.part_id)
            .where(Part.mpn == mpn)
        )

    first = importer.commit(
        csv_text(HEADER, "FA409,EBC,Pads,Brake Pads,HARLEY DAVIDSON MOTOR CO,FLHT,2012,front,1,")
    )
    assert first.status == "committed"
    assert make_of_fitment("FA409") == hd.id  # through make_aliases, no new make
    assert db_session.scalar(select(func.count()).select_from(Make)) == 1

    unmerge(db_session, row.id, actor_id=curator.id)
    second = importer.commit(
        csv_text(HEADER, "FA410,EBC,Pads,Brake Pads,Harley Davidson Motor Co,FLHT,2012,rear,1,"),
        filename="second.csv",
    )

    assert second.status == "committed"
    assert make_of_fitment("FA410") == dup_id  # the restored make, alias gone
    assert make_of_fitment("FA409") == hd.id  # what arrived during the merge stays put
