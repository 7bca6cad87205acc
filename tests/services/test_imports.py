"""The import service on real Postgres: preview writes nothing, commit writes set-based with
evidence, re-import writes nothing, names resolve through aliases and keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    AuditLog,
    BikeModel,
    Brand,
    BrandAlias,
    Fitment,
    FitmentEvidence,
    ImportChange,
    ImportSourceMapping,
    Make,
    MakeAlias,
    MetricCounter,
    Part,
    Vehicle,
)
from app.services import imports
from app.services.names import name_key, slugify
from app.services.queue import BIKE_VIEW_COUNTER, refresh_stats
from importers.sources import READER
from tests.public import conftest as public_fixtures
from tests.services import imports_support
from tests.services.imports_support import Importer, count, csv_text

# Shared fixtures (module attributes, so pytest finds them here).
importer = imports_support.importer
storage = imports_support.storage
build = public_fixtures.build


HEADER = "Part Number,Brand,Make,Model,Years,Position,Qty,Notes,Title,Category"
SHEET = csv_text(
    HEADER,
    "FA-390HH,EBC Brakes,Honda,CBR600RR,2015-18,front,2,,Sintered pads,Brake Pads",
    "fa 390hh,EBC Brakes,HONDA,CBR 600 RR,'19-'20,Front,,Non-ABS,,",
    "X1,EBC Brakes,Yamaha,MT-09,2030,sideways,zero,,,",
)
CATALOG_MODELS = (Make, BikeModel, Vehicle, Brand, Part, Fitment, FitmentEvidence)


def catalog_counts(session: Session) -> dict[str, int]:
    return {model.__tablename__: count(session, model) for model in CATALOG_MODELS}


def test_preview_counts_and_explains_without_writing_the_catalog(
    importer: Importer, db_session: Session
) -> None:
    before = catalog_counts(db_session)

    batch = importer.preview(SHEET)

    assert catalog_counts(db_session) == before
    assert batch.status == "previewed"
    counts = batch.counts
    assert (counts["rows"], counts["invalid"], counts["new"], counts["unchanged"]) == (2, 1, 6, 0)
    assert counts["created"] == {"makes": 1, "models": 1, "brands": 1, "parts": 1, "vehicles": 6}
    preview = batch.report["preview"]
    assert preview["new"]["makes"]["names"] == ["Honda"]
    assert preview["new"]["models"]["names"] == ["Honda CBR600RR"]
    assert [(i["line"], i["column"], i["value"]) for i in preview["issues"]] == [
        (2, "Category", "Brake Pads"),  # no such category (yet): a warning
        (4, "Position", "sideways"),
        (4, "Qty", "zero"),
        (4, "Years", "2030"),
    ]
    assert [s["year"] for s in preview["samples"]["new"]] == [2015, 2016, 2017, 2018, 2019, 2020]
    assert batch.error_report_key
    with importer.storage.open(batch.error_report_key) as handle:
        report = handle.read().decode("utf-8-sig")
    assert report.splitlines()[0] == "line,column,value,reason,severity"
    assert "4,Years,2030,2030 is after next year (2027),error" in report


def test_commit_writes_fitments_with_evidence_per_claim(
    importer: Importer, db_session: Session
) -> None:
    batch = importer.commit(SHEET)

    assert batch.status == "committed" and batch.committed_at
    fitments = db_session.scalars(select(Fitment).order_by(Fitment.id)).all()
    assert len(fitments) == 6
    assert {f.status for f in fitments} == {"unverified"}
    # (Ids are unique, not promised in key order: compare by year.)
    by_year = sorted(fitments, key=lambda f: f.vehicle.year)
    assert [(f.vehicle.year, f.qty, f.note, f.position) for f in by_year] == [
        (2015, 2, "", "front"),
        (2016, 2, "", "front"),
        (2017, 2, "", "front"),
        (2018, 2, "", "front"),
        (2019, 1, "Non-ABS", "front"),
        (2020, 1, "Non-ABS", "front"),
    ]
    evidence = db_session.scalars(select(FitmentEvidence).order_by(FitmentEvidence.id)).all()
    assert len(evidence) == 6
    assert {(e.kind, e.import_batch_id) for e in evidence} == {("import", batch.id)}
    assert {e.line_no for e in evidence} == {2, 3}
    line_3 = {e.raw_text for e in evidence if e.line_no == 3}
    assert line_3 == {"fa 390hh,EBC Brakes,HONDA,CBR 600 RR,'19-'20,Front,,Non-ABS,,"}
    part = db_session.scalars(select(Part)).one()
    assert (part.mpn, part.mpn_key, part.title) == ("FA-390HH", "FA390HH", "Sintered pads")
    assert part.category is None  # no categories exist yet: a warning, not a guess
    audit = db_session.scalars(select(AuditLog).where(AuditLog.action == "import.commit")).one()
    assert audit.entity_id == batch.id and audit.after["new"] == 6
    logged = db_session.execute(
        select(ImportChange.entity, func.count()).group_by(ImportChange.entity)
    ).all()
    assert dict(logged) == {"make": 1, "model": 1, "brand": 1, "part": 1, "vehicle": 6}


def test_new_fitments_enter_the_queue_at_their_final_priority(
    importer: Importer, db_session: Session, build: Any
) -> None:
    make = build.make("Honda")
    vehicle = build.vehicles(build.model(make, "CBR600RR"), [2015])[2015]
    db_session.add(
        MetricCounter(
            day=dt.datetime.now(dt.UTC).date(),
            name=BIKE_VIEW_COUNTER,
            dimension=str(vehicle.id),
            value=500,
        )
    )
    db_session.flush()
    importer.commit(SHEET)

    stats = {
        year: (sources, priority)
        for year, sources, priority in db_session.execute(
            select(Vehicle.year, Fitment.source_count, Fitment.queue_priority).join(Fitment.vehicle)
        )
    }
    assert stats[2015] == (1, 10 * 27 + 1)  # 500 views → popularity bucket 27, one source
    assert stats[2016] == (1, 1)  # no views yet
    assert refresh_stats(db_session) == 0  # the queue refresh has nothing left to rewrite


def test_reimporting_the_same_file_writes_nothing_and_says_so(
    importer: Importer, db_session: Session
) -> None:
    importer.commit(SHEET)
    before = catalog_counts(db_session)
    versions = dict(db_session.execute(select(Fitment.id, Fitment.version)).all())

    created = importer.upload(SHEET, filename="again.csv")
    assert "already imported as batch" in created.notice
    again = created.batch
    imports.save_mapping(db_session, again, READER, again.mapping)
    imports.commit(db_session, importer.storage, READER, again, this_year=2026, actor_id=None)

    assert again.counts["changes"] == 0
    assert again.message.startswith("0 changes")
    assert catalog_counts(db_session) == before
    assert dict(db_session.execute(select(Fitment.id, Fitment.version)).all()) == versions
    assert count(db_session, ImportChange) == 10  # the first batch's entries only


def test_a_second_source_corroborates_and_a_correction_updates(
    importer: Importer, db_session: Session
) -> None:
    importer.commit(SHEET)
    other = csv_text(HEADER, "FA390HH,EBC Brakes,Honda,CBR600RR,2015,front,2,,,")
    corroborated = importer.commit(other, source="Another vendor")
    assert (corroborated.counts["corroborated"], corroborated.counts["changes"]) == (1, 1)

    fix = csv_text(HEADER, "FA390HH,EBC Brakes,Honda,CBR600RR,2016,front,4,Use with kit,,")
    updated = importer.commit(fix)  # the same source corrects its own claim
    assert updated.counts["updated"] == 1
    fitment = db_session.scalars(select(Fitment).join(Vehicle).where(Vehicle.year == 2016)).one()
    assert (fitment.qty, fitment.note, fitment.version) == (4, "Use with kit", 2)
    change = db_session.scalars(
        select(ImportChange).where(ImportChange.import_batch_id == updated.id)
    ).one()
    assert change.before == {"qty": 2, "note": "", "version": 1}


def test_curator_decisions_are_not_overwritten_but_the_disagreement_is_recorded(
    importer: Importer, db_session: Session
) -> None:
    importer.commit(SHEET)
    fitment = db_session.scalars(select(Fitment).join(Vehicle).where(Vehicle.year == 2015)).one()
    fitment.status, fitment.verified_at = "verified", func.now()
    db_session.flush()

    batch = importer.commit(
        csv_text(HEADER, "FA390HH,EBC Brakes,Honda,CBR600RR,2015,front,3,,,"), source="Vendor Y"
    )

    assert batch.counts["conflict"] == 1
    db_session.refresh(fitment)
    assert fitment.qty == 2
    note = db_session.scalar(
        select(FitmentEvidence.note).where(FitmentEvidence.import_batch_id == batch.id)
    )
    assert note == "Not applied (a curator decided this fitment): the file says qty 3."


def test_aliases_and_exact_keys_resolve_names(importer: Importer, db_session: Session) -> None:
    hd = Make(name="Harley-Davidson", slug="harley-davidson", name_key="harleydavidson")
    harley = Make(name="Harley", slug="harley", name_key="harley")  # vPIC: Lil Smokey
    ebc = Brand(name="EBC Brakes", slug="ebc-brakes", name_key="ebcbrakes")
    db_session.add_all([hd, harley, ebc])
    db_session.flush()
    db_session.add_all(
        [
            MakeAlias(make_id=hd.id, alias="HD", alias_key="hd", source="merge"),
            BrandAlias(
                brand_id=ebc.id, alias="E.B.C.", alias_key=name_key("E.B.C."), source="merge"
            ),
        ]
    )
    db_session.flush()

    importer.commit(
        csv_text(
            "MPN,Brand,Make,Model,Year",
            "P1,E.B.C.,HD,Sportster,2015",
            "P2,ebc brakes,HARLEY DAVIDSON,Sportster,2016",
            "P3,EBC-Brakes,Harley,Sidecar,2016",
        )
    )

    makes = {m.name: [model.name for model in m.models] for m in db_session.scalars(select(Make))}
    assert makes == {"Harley-Davidson": ["Sportster"], "Harley": ["Sidecar"]}
    assert count(db_session, Brand) == 1


def test_categories_match_by_path_or_unique_leaf(importer: Importer, build: Any) -> None:
    brakes = build.category("Brakes")
    pads = build.category("Brake Pads", parent=brakes)
    batch = importer.commit(
        csv_text(
            "MPN,Brand,Make,Model,Year,Category",
            "P1,EBC,Honda,CB500F,2019,Brakes › Brake Pads",
            "P2,EBC,Honda,CB500F,2019,brake pads",
            "P3,EBC,Honda,CB500F,2019,Wheels",
        )
    )
    parts = {p.mpn: p.category_id for p in importer.session.scalars(select(Part))}
    assert parts == {"P1": pads.id, "P2": pads.id, "P3": None}
    issues = batch.report["result"]["issues"]
    assert [(i["line"], i["value"], i["severity"]) for i in issues] == [(4, "Wheels", "warning")]


def test_years_a_known_model_never_had_are_a_warning(importer: Importer, build: Any) -> None:
    honda = build.make("Honda")
    cbr = build.model(honda, "CBR600RR")
    build.vehicles(cbr, range(2007, 2021))

    batch = importer.preview(
        csv_text("MPN,Brand,Make,Model,Years", "P1,EBC,Honda,CBR600RR,2019-2023")
    )

    warnings = [i for i in batch.report["preview"]["issues"] if i["severity"] == "warning"]
    assert [w["value"] for w in warnings] == ["2021", "2022", "2023"]
    assert (
        "Honda CBR600RR is not known for 2021 (the catalog has 2007 to 2020)"
        in warnings[0]["reason"]
    )
    assert batch.counts["created"]["vehicles"] == 3  # expanded, but never silently


def test_mapping_is_remembered_per_source_and_format(
    importer: Importer, db_session: Session
) -> None:
    odd = csv_text("Item,Maker,Bike Make,Bike Model,Model Year", "P1,EBC,Honda,CB500F,2019")
    first = importer.upload(odd, source="Odd Vendor", format_name="fitments").batch
    assert "mpn" not in first.mapping["columns"]
    mapping = {
        "columns": {**first.mapping["columns"], "mpn": "Item", "brand": "Maker"},
        "defaults": {"market": "US"},
    }
    imports.save_mapping(db_session, first, READER, mapping)

    # The same source, spelled differently.
    second = importer.upload(odd, source="odd-vendor", format_name="fitments").batch
    assert second.mapping["columns"]["mpn"] == "Item"
    assert second.mapping["defaults"] == {"market": "US"}
    assert second.report["remembered"] is True
    assert count(db_session, ImportSourceMapping) == 1


def test_ebay_file_commits_like_a_fitment_sheet(importer: Importer, db_session: Session) -> None:
    ebay = csv_text(
        "Action,CustomLabel,Brand,MPN,Title,Relationship,RelationshipDetails",
        "Add,SKU-1,Galfer,FD-123,Galfer Wave Rotor,,",
        ",,,,,Compatibility,Year=2017-2020|Make=Yamaha|Model=MT-09|Notes=Non-ABS",
    )
    batch = importer.commit(ebay, format_name="auto")
    assert batch.format == "ebay"
    assert batch.counts["new"] == 4
    assert set(db_session.scalars(select(Fitment.note))) == {"Non-ABS"}


def test_vehicle_list_grows_the_bike_list(importer: Importer, db_session: Session) -> None:
    batch = importer.commit(
        csv_text(
            "Year,Make,Model,Submodel",
            "2019-2020,Triumph,Street Triple,RS",
            "2021,Triumph,Street Triple,",
        )
    )
    assert batch.format == "vehicles"
    assert (batch.counts["new"], batch.counts["unchanged"]) == (3, 0)
    assert batch.message.startswith("Imported: 3 new vehicles, 0 already known")
    assert sorted(db_session.execute(select(Vehicle.year, Vehicle.variant)).all()) == [
        (2019, "RS"),
        (2020, "RS"),
        (2021, ""),
    ]
    again = importer.commit(
        csv_text(
            "Year,Make,Model,Submodel",
            "2019-2020,Triumph,Street Triple,RS",
            "2021,Triumph,Street Triple,",
        ),
        filename="again.csv",
    )
    assert again.counts["changes"] == 0
    assert (again.counts["new"], again.counts["unchanged"]) == (0, 3)


def test_commit_refuses_a_batch_in_the_wrong_state(importer: Importer) -> None:
    batch = importer.commit(SHEET)
    with pytest.raises(imports.ImportProblem, match="is committed: it cannot be committed"):
        importer.commit_batch(batch)
    with pytest.raises(imports.ImportProblem, match="nothing to preview"):
        imports.preview(importer.session, importer.storage, READER, batch, this_year=2026)


def test_slugs_of_new_entities_follow_the_site_rules(
    importer: Importer, db_session: Session
) -> None:
    importer.commit(csv_text("MPN,Brand,Make,Model,Year", "P1,Motul Oil,Moto Guzzi,V85 TT,2020"))
    model = db_session.scalars(select(BikeModel)).one()
    assert (model.slug, model.make.slug) == (slugify("V85 TT"), "moto-guzzi")


def test_several_lines_claiming_one_fitment_each_leave_evidence(
    importer: Importer, db_session: Session
) -> None:
    batch = importer.commit(
        csv_text(
            "MPN,Brand,Make,Model,Years,Qty",
            "P1,EBC,Honda,CB500F,2019-2020,2",
            "P1,EBC,Honda,CB500F,2020,3",  # the first line's values win; a warning-free repeat
        )
    )
    assert (batch.counts["new"], batch.counts["evidence_added"]) == (2, 3)
    fitment = db_session.scalars(select(Fitment).join(Vehicle).where(Vehicle.year == 2020)).one()
    assert fitment.qty == 2
    assert sorted(e.line_no for e in fitment.evidence) == [2, 3]
