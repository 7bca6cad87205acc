"""Referential integrity of fitments and evidence, enforced per statement by triggers
(migration 0009_set_based_integrity): the same refusals and cascades the foreign keys gave."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from app.models import ImportBatch
from tests.public.conftest import CatalogBuilder

MISSING = 2_000_000_000


@pytest.fixture
def catalog(db_session: Session) -> dict[str, int]:
    build = CatalogBuilder(db_session)
    make = build.make("Honda")
    model = build.model(make, "CBR600RR")
    vehicle = build.vehicles(model, [2015])[2015]
    brand = build.brand("EBC Brakes")
    part = build.part(brand, "FA-390HH", "Sintered pads")
    batch = ImportBatch(source="Vendor", format="fitments", filename="f.csv", sha256="0" * 64)
    db_session.add(batch)
    db_session.flush()
    fitment = db_session.execute(
        text("INSERT INTO fitments (part_id, vehicle_id) VALUES (:part, :vehicle) RETURNING id"),
        {"part": part.id, "vehicle": vehicle.id},
    ).scalar_one()
    db_session.execute(
        text(
            "INSERT INTO fitment_evidence (fitment_id, kind, import_batch_id, line_no, raw_text)"
            " VALUES (:fitment, 'import', :batch, 2, 'raw')"
        ),
        {"fitment": fitment, "batch": batch.id},
    )
    return {
        "brand": brand.id,
        "model": model.id,
        "part": part.id,
        "vehicle": vehicle.id,
        "batch": batch.id,
        "fitment": int(fitment),
    }


def _refused(session: Session, sql: str, params: dict[str, Any], constraint: str) -> None:
    with pytest.raises(IntegrityError) as raised, session.begin_nested():
        session.execute(text(sql), params)
    assert isinstance(raised.value.orig, errors.ForeignKeyViolation)
    assert raised.value.orig.diag.constraint_name == constraint


def test_rows_pointing_at_missing_parents_are_refused(
    db_session: Session, catalog: dict[str, int]
) -> None:
    fitment = "INSERT INTO fitments (part_id, vehicle_id) VALUES (:part, :vehicle)"
    _refused(
        db_session,
        fitment,
        {"part": MISSING, "vehicle": catalog["vehicle"]},
        "fk_fitments_part_id_parts",
    )
    _refused(
        db_session,
        fitment,
        {"part": catalog["part"], "vehicle": MISSING},
        "fk_fitments_vehicle_id_vehicles",
    )
    _refused(
        db_session,
        "UPDATE fitments SET part_id = :part WHERE id = :id",
        {"part": MISSING, "id": catalog["fitment"]},
        "fk_fitments_part_id_parts",
    )
    evidence = (
        "INSERT INTO fitment_evidence (fitment_id, kind, import_batch_id, line_no)"
        " VALUES (:fitment, 'import', :batch, 3)"
    )
    _refused(
        db_session,
        evidence,
        {"fitment": MISSING, "batch": catalog["batch"]},
        "fk_fitment_evidence_fitment_id_fitments",
    )
    _refused(
        db_session,
        evidence,
        {"fitment": catalog["fitment"], "batch": MISSING},
        "fk_fitment_evidence_import_batch_id_import_batches",
    )
    # A curator's evidence has no batch: NULL is not a reference.
    db_session.execute(
        text(
            "INSERT INTO fitment_evidence (fitment_id, kind, note, curator_id)"
            " VALUES (:fitment, 'curator', 'checked on the bike', NULL)"
        ),
        {"fitment": catalog["fitment"]},
    )


def _count(session: Session, sql: str, **params: int) -> int:
    return int(session.execute(text(sql), params).scalar_one())


def test_deleting_a_parent_deletes_its_children(
    db_session: Session, catalog: dict[str, int]
) -> None:
    evidence_of = "SELECT count(*) FROM fitment_evidence WHERE fitment_id = :id"
    db_session.execute(text("DELETE FROM parts WHERE id = :id"), {"id": catalog["part"]})
    assert (
        _count(db_session, "SELECT count(*) FROM fitments WHERE id = :id", id=catalog["fitment"])
        == 0
    )
    assert _count(db_session, evidence_of, id=catalog["fitment"]) == 0


def test_deleting_a_vehicle_or_a_batch_cascades_too(
    db_session: Session, catalog: dict[str, int]
) -> None:
    by_batch = "SELECT count(*) FROM fitment_evidence WHERE import_batch_id = :id"
    assert _count(db_session, by_batch, id=catalog["batch"]) == 1
    db_session.execute(text("DELETE FROM import_batches WHERE id = :id"), {"id": catalog["batch"]})
    assert _count(db_session, by_batch, id=catalog["batch"]) == 0
    db_session.execute(text("DELETE FROM vehicles WHERE id = :id"), {"id": catalog["vehicle"]})
    assert (
        _count(db_session, "SELECT count(*) FROM fitments WHERE id = :id", id=catalog["fitment"])
        == 0
    )


def test_a_parent_in_use_by_an_open_transaction_cannot_be_deleted_under_it(
    fresh_database: Any,
) -> None:
    """The KEY SHARE lock a foreign key took: a delete waits for the inserting transaction,
    then its cascade removes the rows that transaction committed."""
    dsn, ids = _committed_database(fresh_database)
    with psycopg.connect(dsn) as importer, psycopg.connect(dsn) as curator:
        importer.execute(
            "INSERT INTO fitments (part_id, vehicle_id, position) VALUES (%s, %s, 'front')",
            (ids["part"], ids["vehicle"]),
        )
        curator.execute("SET lock_timeout = '300ms'")
        with pytest.raises(errors.LockNotAvailable):
            curator.execute("DELETE FROM parts WHERE id = %s", (ids["part"],))
        curator.rollback()
        deleted = threading.Event()

        def delete_part() -> None:
            curator.execute("SET lock_timeout = '10s'")
            curator.execute("DELETE FROM parts WHERE id = %s", (ids["part"],))
            curator.commit()
            deleted.set()

        waiter = threading.Thread(target=delete_part)
        waiter.start()
        assert not deleted.wait(0.3)  # waits for the importer
        importer.commit()
        waiter.join(10)
        assert deleted.is_set()
        left = importer.execute(
            "SELECT count(*) FROM fitments WHERE part_id = %s", (ids["part"],)
        ).fetchone()
        assert left == (0,)  # the committed fitments went with their part


@pytest.mark.parametrize("parent", ["part", "fitment"])
def test_a_parent_deleted_while_the_check_waits_fails_the_check(
    fresh_database: Any, parent: str
) -> None:
    """The check's lock waits for a transaction deleting the parent; once that commits the
    parent is gone and the insert is refused (a part: a distinct-key check; a fitment: the
    one-pass check of evidence)."""
    dsn, ids = _committed_database(fresh_database)
    with psycopg.connect(dsn) as importer, psycopg.connect(dsn) as curator:
        row = importer.execute(
            "WITH b AS (INSERT INTO import_batches (source, format, filename, sha256)"
            " VALUES ('Vendor', 'fitments', 'f.csv', repeat('0', 64)) RETURNING id),"
            " f AS (INSERT INTO fitments (part_id, vehicle_id) VALUES (%s, %s) RETURNING id)"
            " SELECT b.id, f.id FROM b, f",
            (ids["other_part"], ids["vehicle"]),
        ).fetchone()
        importer.commit()
        assert row is not None
        batch, fitment = row
        if parent == "part":
            delete = ("DELETE FROM parts WHERE id = %s", ids["part"])
            insert = (
                "INSERT INTO fitments (part_id, vehicle_id) VALUES (%s, %s)",
                (ids["part"], ids["vehicle"]),
            )
            constraint = "fk_fitments_part_id_parts"
        else:
            delete = ("DELETE FROM fitments WHERE id = %s", fitment)
            insert = (
                "INSERT INTO fitment_evidence (fitment_id, kind, import_batch_id, line_no)"
                " VALUES (%s, 'import', %s, 2)",
                (fitment, batch),
            )
            constraint = "fk_fitment_evidence_fitment_id_fitments"
        curator.execute(delete[0], (delete[1],))  # holds the row until it commits
        refused: list[BaseException] = []

        def insert_child() -> None:
            try:
                importer.execute(*insert)
            except psycopg.Error as exc:
                refused.append(exc)

        waiter = threading.Thread(target=insert_child)
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive()  # the check waits for the deleting transaction
        curator.commit()
        waiter.join(10)
        assert len(refused) == 1 and isinstance(refused[0], errors.ForeignKeyViolation)
        assert refused[0].diag.constraint_name == constraint
        importer.rollback()


def _committed_database(fresh_database: Any) -> tuple[str, dict[str, int]]:
    """A migrated database with a committed part (and another) and vehicle: (dsn, ids)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    url = fresh_database("mpp_integrity")
    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with application.app_context():
        upgrade()
        session = db.session()
        build = CatalogBuilder(session)
        model = build.model(build.make("Yamaha"), "MT-09")
        vehicle = build.vehicles(model, [2018])[2018]
        puig = build.brand("Puig")
        ids = {
            "part": build.part(puig, "3189W", "Screen").id,
            "other_part": build.part(puig, "3189H", "Screen, smoke").id,
            "vehicle": vehicle.id,
        }
        session.commit()
        db.session.remove()
        db.engine.dispose()
    return url.replace("postgresql+psycopg://", "postgresql://", 1), ids


def test_updates_that_keep_the_references_lock_no_parent(fresh_database: Any) -> None:
    """Like a foreign key: a status or priority change does not lock the part or vehicle (a
    queue refresh rewriting a million fitments must not lock every part); repointing does."""
    dsn, ids = _committed_database(fresh_database)
    with psycopg.connect(dsn) as refresher, psycopg.connect(dsn) as curator:
        fitment = refresher.execute(
            "INSERT INTO fitments (part_id, vehicle_id) VALUES (%s, %s) RETURNING id",
            (ids["part"], ids["vehicle"]),
        ).fetchone()
        refresher.commit()
        assert fitment is not None
        refresher.execute(
            "UPDATE fitments SET queue_priority = 7, note = 'x' WHERE id = %s", (fitment[0],)
        )
        # FOR UPDATE conflicts with any KEY SHARE lock the update could have taken.
        for table, key in (("parts", "part"), ("vehicles", "vehicle")):
            curator.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE NOWAIT", (ids[key],))
        curator.rollback()
        refresher.execute(
            "UPDATE fitments SET part_id = %s WHERE id = %s", (ids["other_part"], fitment[0])
        )
        with pytest.raises(errors.LockNotAvailable):
            curator.execute(
                "SELECT 1 FROM parts WHERE id = %s FOR UPDATE NOWAIT", (ids["other_part"],)
            )
        curator.rollback()
        refresher.rollback()


def test_referenced_tables_cannot_be_truncated(
    db_session: Session, catalog: dict[str, int]
) -> None:
    tables = ("parts", "vehicles", "fitments", "import_batches")
    for table in (*tables, "users", "brands", "categories", "models"):
        with pytest.raises(DBAPIError) as raised, db_session.begin_nested():
            db_session.execute(text(f"TRUNCATE {table} CASCADE"))
        assert isinstance(raised.value.orig, errors.FeatureNotSupported)
        assert "use DELETE" in str(raised.value.orig)


def test_references_to_users_are_checked_and_set_null_when_the_user_goes(
    db_session: Session, catalog: dict[str, int]
) -> None:
    """Migration 0013: verified_by_id and curator_id, checked per statement like the rest."""
    from tests.conftest import make_user

    _refused(
        db_session,
        "UPDATE fitments SET status = 'verified', verified_at = now(), verified_by_id = :user"
        " WHERE id = :id",
        {"user": MISSING, "id": catalog["fitment"]},
        "fk_fitments_verified_by_id_users",
    )
    _refused(
        db_session,
        "INSERT INTO fitment_evidence (fitment_id, kind, note, curator_id)"
        " VALUES (:fitment, 'curator', 'checked', :user)",
        {"fitment": catalog["fitment"], "user": MISSING},
        "fk_fitment_evidence_curator_id_users",
    )
    curator = make_user(db_session, "curator@example.com", "curator")
    db_session.execute(
        text(
            "UPDATE fitments SET status = 'verified', verified_at = now(), verified_by_id = :user"
            " WHERE id = :id"
        ),
        {"user": curator.id, "id": catalog["fitment"]},
    )
    db_session.execute(
        text(
            "INSERT INTO fitment_evidence (fitment_id, kind, note, curator_id)"
            " VALUES (:fitment, 'curator', 'checked', :user)"
        ),
        {"fitment": catalog["fitment"], "user": curator.id},
    )
    db_session.execute(text("DELETE FROM users WHERE id = :id"), {"id": curator.id})
    row = db_session.execute(
        text(
            "SELECT f.verified_by_id, f.status, count(e.id), count(e.curator_id)"
            " FROM fitments f JOIN fitment_evidence e ON e.fitment_id = f.id"
            " WHERE f.id = :id GROUP BY f.id"
        ),
        {"id": catalog["fitment"]},
    ).one()
    assert tuple(row) == (None, "verified", 2, 0)  # kept, no longer naming the user


def test_one_statement_naming_several_parents_is_checked_key_by_key(
    db_session: Session, catalog: dict[str, int]
) -> None:
    """One batch in a statement is checked as that one key; several, each of them: a missing
    one among existing ones is found either way."""
    other = ImportBatch(source="Vendor", format="fitments", filename="g.csv", sha256="1" * 64)
    db_session.add(other)
    db_session.flush()
    evidence = (
        "INSERT INTO fitment_evidence (fitment_id, kind, import_batch_id, line_no)"
        " SELECT :fitment, 'import', b, 10 + i FROM unnest(CAST(:batches AS integer[]))"
        " WITH ORDINALITY AS u(b, i)"
    )
    fitment = catalog["fitment"]
    for batches in ([MISSING], [catalog["batch"], MISSING], [MISSING, other.id, catalog["batch"]]):
        _refused(
            db_session,
            evidence,
            {"fitment": fitment, "batches": batches},
            "fk_fitment_evidence_import_batch_id_import_batches",
        )
    db_session.execute(text(evidence), {"fitment": fitment, "batches": [catalog["batch"]] * 2})
    db_session.execute(
        text(evidence.replace("10 + i", "20 + i")),
        {"fitment": fitment, "batches": [catalog["batch"], other.id]},
    )
    assert (
        _count(
            db_session, "SELECT count(*) FROM fitment_evidence WHERE fitment_id = :id", id=fitment
        )
        == 5
    )
    parts = [catalog["part"], MISSING]
    _refused(
        db_session,
        "INSERT INTO fitments (part_id, vehicle_id, position)"
        " SELECT p, :vehicle, 'front' FROM unnest(CAST(:parts AS integer[])) AS u(p)",
        {"vehicle": catalog["vehicle"], "parts": parts},
        "fk_fitments_part_id_parts",
    )


def test_parts_vehicles_and_import_changes_refer_to_existing_parents(
    db_session: Session, catalog: dict[str, int]
) -> None:
    """Migration 0013: references the import writes by the thousand, checked per statement."""
    brand, model = catalog["brand"], catalog["model"]
    part = (
        "INSERT INTO parts (brand_id, mpn, mpn_key, title, category_id)"
        " VALUES (:brand, 'NEW-1', 'NEW1', 'New', :category)"
    )
    _refused(db_session, part, {"brand": MISSING, "category": None}, "fk_parts_brand_id_brands")
    _refused(
        db_session, part, {"brand": brand, "category": MISSING}, "fk_parts_category_id_categories"
    )
    _refused(
        db_session,
        "UPDATE parts SET brand_id = :brand WHERE id = :id",
        {"brand": MISSING, "id": catalog["part"]},
        "fk_parts_brand_id_brands",
    )
    _refused(
        db_session,
        "INSERT INTO vehicles (model_id, year, variant, market) VALUES (:model, 2016, '', '')",
        {"model": MISSING},
        "fk_vehicles_model_id_models",
    )
    _refused(
        db_session,
        "INSERT INTO import_changes (import_batch_id, entity, entity_id, action)"
        " VALUES (:batch, 'part', 1, 'created')",
        {"batch": MISSING},
        "fk_import_changes_import_batch_id_import_batches",
    )
    db_session.execute(text(part), {"brand": brand, "category": None})
    db_session.execute(
        text(
            "INSERT INTO vehicles (model_id, year, variant, market) VALUES (:model, 2016, '', '')"
        ),
        {"model": model},
    )


def test_deleting_brands_and_models_in_use_is_refused_categories_let_go(
    db_session: Session, catalog: dict[str, int]
) -> None:
    """RESTRICT and SET NULL, as the foreign keys had them; a batch takes its change log."""
    build = CatalogBuilder(db_session)
    brand, model = catalog["brand"], catalog["model"]
    for table, key, constraint in (
        ("brands", brand, "fk_parts_brand_id_brands"),
        ("models", model, "fk_vehicles_model_id_models"),
    ):
        with pytest.raises(IntegrityError) as raised, db_session.begin_nested():
            db_session.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": key})
        assert isinstance(raised.value.orig, errors.ForeignKeyViolation)
        assert raised.value.orig.diag.constraint_name == constraint
        assert "is still referenced" in str(raised.value.orig)
    unused = build.brand("Unused")
    db_session.execute(text("DELETE FROM brands WHERE id = :id"), {"id": unused.id})
    category = build.category("Brakes")
    db_session.execute(
        text("UPDATE parts SET category_id = :category WHERE id = :id"),
        {"category": category.id, "id": catalog["part"]},
    )
    db_session.execute(text("DELETE FROM categories WHERE id = :id"), {"id": category.id})
    assert (
        _count(
            db_session,
            "SELECT count(*) FROM parts WHERE id = :id AND category_id IS NULL",
            id=catalog["part"],
        )
        == 1
    )
    db_session.execute(
        text(
            "INSERT INTO import_changes (import_batch_id, entity, entity_id, action)"
            " VALUES (:batch, 'part', :part, 'created')"
        ),
        {"batch": catalog["batch"], "part": catalog["part"]},
    )
    db_session.execute(text("DELETE FROM import_batches WHERE id = :id"), {"id": catalog["batch"]})
    assert (
        _count(
            db_session,
            "SELECT count(*) FROM import_changes WHERE import_batch_id = :id",
            id=catalog["batch"],
        )
        == 0
    )
