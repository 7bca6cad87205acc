"""Every curator/admin write leaves an audit row (who, what, before → after), the history
panels show them, and roles keep importers from verifying and curators from managing users."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditLog, Brand, Fitment, Part, Role, User
from app.services import dedup, merges
from app.services.conflicts import detect_conflicts
from app.services.fitments import flag_for_review, reject_fitments, verify_fitments
from tests.admin.conftest import csrf_token
from tests.public.conftest import CatalogBuilder, Garage
from tests.services.curation_support import batch, claim, fitments


def rows_for(session: Session, entity: str, entity_id: int) -> list[AuditLog]:
    return list(
        session.scalars(
            select(AuditLog)
            .where(AuditLog.entity == entity, AuditLog.entity_id == entity_id)
            .order_by(AuditLog.id)
        )
    )


def test_create_edit_and_delete_through_admin_forms_are_audited(
    logged_in: Any, build: CatalogBuilder, db_session: Session
) -> None:
    client = logged_in("boss@example.com", "admin")
    boss = db_session.scalar(select(User).where(User.email == "boss@example.com"))
    form = client.get("/admin/brands/new/")
    client.post("/admin/brands/new/", data={"name": "Galfer", "csrf_token": csrf_token(form.data)})
    brand = db_session.scalar(select(Brand).where(Brand.name == "Galfer"))
    assert brand is not None

    edit = client.get(f"/admin/brands/edit/?id={brand.id}")
    client.post(
        f"/admin/brands/edit/?id={brand.id}",
        data={"name": "Galfer USA", "website": "", "csrf_token": csrf_token(edit.data)},
    )
    # Saving again without a change writes nothing.
    client.post(
        f"/admin/brands/edit/?id={brand.id}",
        data={"name": "Galfer USA", "website": "", "csrf_token": csrf_token(edit.data)},
    )
    shop = build.retailer("Moto Shop")
    listing = client.get("/admin/retailers/")
    client.post(
        "/admin/retailers/delete/",
        data={"id": str(shop.id), "csrf_token": csrf_token(listing.data)},
    )

    created, updated = rows_for(db_session, "brand", brand.id)
    assert (created.action, created.actor_id, created.before) == ("create", boss.id, None)
    assert created.after["name"] == "Galfer" and created.after["slug"] == "galfer"
    assert updated.action == "update"
    assert (updated.before["name"], updated.after["name"]) == ("Galfer", "Galfer USA")
    assert updated.before["name_key"] == "galfer" and updated.after["name_key"] == "galferusa"
    (deleted,) = rows_for(db_session, "retailer", shop.id)
    assert deleted.action == "delete" and deleted.before["name"] == "Moto Shop"

    page = client.get(f"/admin/brands/edit/?id={brand.id}").get_data(as_text=True)
    assert "History" in page and "boss@example.com" in page and "Galfer → Galfer USA" in page


def test_user_accounts_and_role_changes_are_audited_without_secrets(
    logged_in: Any, db_session: Session
) -> None:
    client = logged_in("boss@example.com", "admin")
    form = client.get("/admin/users/new/")
    curator_role = db_session.scalar(select(Role).where(Role.name == "curator"))
    importer_role = db_session.scalar(select(Role).where(Role.name == "importer"))
    client.post(
        "/admin/users/new/",
        data={
            "email": "new.curator@example.com",
            "new_password": "a long enough password",
            "roles": [str(curator_role.id)],
            "active": "y",
            "digest_frequency": "daily",
            "csrf_token": csrf_token(form.data),
        },
    )
    user = db_session.scalar(select(User).where(User.email == "new.curator@example.com"))
    assert user is not None
    edit = client.get(f"/admin/users/edit/?id={user.id}")
    client.post(
        f"/admin/users/edit/?id={user.id}",
        data={
            "roles": [str(importer_role.id)],
            "active": "y",
            "digest_frequency": "weekly",
            "csrf_token": csrf_token(edit.data),
        },
    )

    audit_rows = rows_for(db_session, "user", user.id)
    created, updated = audit_rows
    assert created.action == "create" and created.after["roles"] == ["curator"]
    assert (updated.before["roles"], updated.after["roles"]) == (["curator"], ["importer"])
    assert (updated.before["digest_frequency"], updated.after["digest_frequency"]) == (
        "daily",
        "weekly",
    )
    for row in (created, updated):
        assert "password" not in (row.after or {}) and "fs_uniquifier" not in (row.after or {})


def test_every_curation_write_is_audited(
    build: CatalogBuilder, garage: Garage, db_session: Session, user_factory: Any
) -> None:
    curator = user_factory("curator@example.com", "curator")
    rows = list(
        db_session.scalars(
            select(Fitment).where(Fitment.status.in_(("unverified", "needs_review")))
        )
    )
    verify_fitments(db_session, {rows[0].id: rows[0].version}, actor_id=curator.id)
    flag_for_review(db_session, {rows[1].id: rows[1].version}, actor_id=curator.id)
    fresh = db_session.get(Fitment, rows[0].id)
    reject_fitments(db_session, {fresh.id: fresh.version}, actor_id=curator.id, note="No")

    pads = build.part(build.brand("Galfer"), "FD1", "Pads")
    conflicted = fitments(db_session, pads, [garage.years[2016], garage.years[2017]])
    claim(db_session, batch(db_session, "A"), conflicted)
    claim(db_session, batch(db_session, "B"), conflicted[:1])
    detect_conflicts(db_session, part_ids=[pads.id], actor_id=curator.id)

    a = build.part(garage.pads.brand, "FA_390HH", "dup")
    b_id = a.id
    merge = merges.merge(
        db_session, "part", survivor_id=garage.pads.id, merged_id=b_id, actor_id=curator.id
    )
    merges.unmerge(db_session, merge.id, actor_id=curator.id)
    left, right = sorted((garage.filter.id, garage.disputed.id))
    dedup.judge_not_same(db_session, "part", left, right, actor_id=curator.id)

    actions = {
        (row.action, row.entity)
        for row in db_session.scalars(select(AuditLog).where(AuditLog.actor_id == curator.id))
    }
    assert actions == {
        ("verify", "fitment"),
        ("needs_review", "fitment"),
        ("reject", "fitment"),
        ("conflict", "fitment"),
        ("merge", "part"),
        ("merged_into", "part"),
        ("unmerge", "part"),
        ("not_same", "part"),
    }
    assert db_session.get(Part, b_id) is not None


def test_a_curator_cannot_manage_users(logged_in: Any, db_session: Session) -> None:
    client = logged_in("curator@example.com", "curator")
    token = csrf_token(client.get("/admin/parts/new/").data)

    assert client.get("/admin/users/").status_code == 403
    response = client.post(
        "/admin/users/new/",
        data={
            "email": "sneaky@example.com",
            "new_password": "a long enough password",
            "csrf_token": token,
        },
    )
    assert response.status_code == 403
    assert db_session.scalar(select(User).where(User.email == "sneaky@example.com")) is None


def test_audit_rows_are_never_deleted_from_the_admin(logged_in: Any, client: FlaskClient) -> None:
    page = logged_in("boss@example.com", "admin").get("/admin/audit/").get_data(as_text=True)
    assert "/admin/audit/delete/" not in page
    assert client.get("/admin/audit/edit/?id=1").status_code in {302, 404}
