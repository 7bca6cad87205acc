"""What curators and admins see and do in /admin: names not ids, computed keys, CSRF on
every form, read-only mode, and the users view that never shows a password hash."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditLog, Brand, Fitment, ImportBatch, Part, Retailer, User
from tests.admin.conftest import admin_view, csrf_token
from tests.public.conftest import CatalogBuilder, Garage


def filter_url(app: Flask, endpoint: str, column_label: str, operation: str, value: str) -> str:
    """A list URL with one named filter (e.g. Brand equals EBC Brakes)."""
    view = admin_view(app, endpoint)
    for key, (_index, flt) in view._filter_args.items():
        if str(flt.name) == column_label and str(flt.operation()) == operation:
            return f"/admin/{endpoint}/?flt0_{key}={value}"
    raise AssertionError(f"no filter {column_label} {operation} on {endpoint}")


# --- creating through the admin forms -------------------------------------------------------


def test_admin_creates_a_brand_with_computed_slug_and_key(
    logged_in: Any, db_session: Session
) -> None:
    client = logged_in("boss@example.com", "admin")
    form_page = client.get("/admin/brands/new/")
    assert b'name="slug"' not in form_page.data  # computed, never typed
    assert b'name="name_key"' not in form_page.data

    response = client.post(
        "/admin/brands/new/",
        data={
            "name": "  Öhlins   Racing ",
            "website": "",
            "csrf_token": csrf_token(form_page.data),
        },
    )

    assert response.status_code == 302
    brand = db_session.scalar(select(Brand).where(Brand.name == "Öhlins Racing"))
    assert brand is not None
    assert (brand.slug, brand.name_key, brand.website) == ("ohlins-racing", "ohlinsracing", None)


def test_admin_form_post_without_csrf_token_is_refused(logged_in: Any, db_session: Session) -> None:
    client = logged_in("boss@example.com", "admin")

    response = client.post("/admin/brands/new/", data={"name": "No Token Brakes"})

    assert response.status_code == 400
    assert db_session.scalar(select(Brand).where(Brand.name == "No Token Brakes")) is None


def test_a_duplicate_name_gets_a_readable_error(
    logged_in: Any, build: CatalogBuilder, db_session: Session
) -> None:
    build.brand("EBC Brakes")
    client = logged_in("curator@example.com", "curator")
    token = csrf_token(client.get("/admin/brands/new/").data)

    response = client.post(
        "/admin/brands/new/",
        data={"name": "E.B.C. brakes", "csrf_token": token},
        follow_redirects=True,
    )

    assert b"conflicts with an existing record" in response.data
    assert b"uq_brands_name_key" in response.data
    assert b"psycopg" not in response.data
    assert db_session.scalar(select(Brand).where(Brand.name == "E.B.C. brakes")) is None


def test_curator_creates_a_part_and_the_mpn_key_is_computed(
    logged_in: Any, build: CatalogBuilder, db_session: Session
) -> None:
    ebc = build.brand("EBC Brakes")
    pads = build.category("Pads", parent=build.category("Brakes"))
    client = logged_in("curator@example.com", "curator")
    token = csrf_token(client.get("/admin/parts/new/").data)

    response = client.post(
        "/admin/parts/new/",
        data={
            "brand": str(ebc.id),
            "mpn": "fa 390/hh",
            "title": "Sintered  pads",
            "category": str(pads.id),
            "gtin": "",
            "csrf_token": token,
        },
    )

    assert response.status_code == 302, response.data[-2000:]
    part = db_session.scalar(select(Part).where(Part.brand_id == ebc.id))
    assert part is not None
    assert (part.mpn, part.mpn_key, part.title, part.gtin) == (
        "fa 390/hh",
        "FA390HH",
        "Sintered pads",
        None,
    )


# --- list pages read like a catalog, not a database dump -----------------------------------


def test_part_list_shows_brand_mpn_title_and_category_path(logged_in: Any, garage: Garage) -> None:
    page = logged_in("curator@example.com", "curator").get("/admin/parts/").get_data(as_text=True)

    assert "EBC Brakes" in page
    assert "FA-390HH" in page
    assert "Sintered front brake pads" in page
    assert "Brakes › Pads" in page


def test_vehicle_and_fitment_lists_show_names(
    logged_in: Any, garage: Garage, db_session: Session
) -> None:
    client = logged_in("curator@example.com", "curator")

    vehicles = client.get("/admin/vehicles/").get_data(as_text=True)
    assert "Honda" in vehicles and "CBR600RR" in vehicles and "ABS" in vehicles

    fitments = client.get("/admin/fitments/").get_data(as_text=True)
    assert "EBC Brakes FA-390HH — Sintered front brake pads" in fitments
    assert "2015 Honda CBR600RR ABS (US)" in fitments
    assert "needs_review" in fitments


def test_list_filters_by_brand_make_and_status(app: Flask, logged_in: Any, garage: Garage) -> None:
    client = logged_in("curator@example.com", "curator")

    by_brand = client.get(filter_url(app, "parts", "Brand", "equals", "Hiflofiltro"))
    assert b"HF204RC" in by_brand.data
    assert b"FA-390HH" not in by_brand.data

    by_status = client.get(filter_url(app, "fitments", "Status", "equals", "needs_review"))
    assert b"HF-777" in by_status.data
    assert b"FA-390HH" not in by_status.data

    by_make = client.get(filter_url(app, "fitments", "Make", "equals", "Yamaha"))
    assert by_make.status_code == 200
    assert b"FA-390HH" not in by_make.data


def test_part_search_finds_by_mpn(logged_in: Any, garage: Garage) -> None:
    page = logged_in("curator@example.com", "curator").get("/admin/parts/?search=HF204")

    assert b"HF204RC" in page.data
    assert b"FA-390HH" not in page.data


def test_big_lists_skip_the_count_query(app: Flask) -> None:
    for endpoint in ("parts", "fitments", "vehicles", "offers", "audit", "imports"):
        view = admin_view(app, endpoint)
        assert view.simple_list_pager, endpoint
        assert view.page_size == 50, endpoint


# --- fitments --------------------------------------------------------------------------------


def test_curator_verifies_a_fitment_and_who_and_when_are_recorded(
    logged_in: Any, garage: Garage, db_session: Session
) -> None:
    client = logged_in("curator@example.com", "curator")
    fitment = db_session.scalar(select(Fitment).where(Fitment.part_id == garage.unverified.id))
    assert fitment is not None
    edit_url = f"/admin/fitments/edit/?id={fitment.id}"
    form_page = client.get(edit_url)
    for field in ("part_id", "vehicle_id", "verified_at", "verified_by", "version"):
        assert f'name="{field}"'.encode() not in form_page.data

    response = client.post(
        edit_url,
        data={
            "status": "verified",
            "position": "rear",
            "qty": "1",
            "note": "Checked against the EBC catalogue",
            "csrf_token": csrf_token(form_page.data),
        },
    )

    assert response.status_code == 302
    db_session.refresh(fitment)
    assert fitment.status == "verified"
    assert fitment.verified_at is not None
    assert fitment.verified_by is not None
    assert fitment.verified_by.email == "curator@example.com"
    assert fitment.version == 2


def test_fitments_cannot_be_created_or_deleted_from_the_admin(logged_in: Any) -> None:
    client = logged_in("boss@example.com", "admin")

    listing = client.get("/admin/fitments/")
    assert b"/admin/fitments/new/" not in listing.data
    assert b"/admin/fitments/delete/" not in listing.data
    assert client.get("/admin/fitments/new/").status_code == 302  # Flask-Admin sends you back


# --- CSRF on list forms (delete, bulk actions) ----------------------------------------------


def test_list_delete_and_action_forms_carry_the_csrf_token(
    logged_in: Any, build: CatalogBuilder, db_session: Session
) -> None:
    shop = build.retailer("Moto Shop")
    client = logged_in("boss@example.com", "admin")
    listing = client.get("/admin/retailers/").get_data(as_text=True)

    delete_form = re.search(r'<form[^>]*action="/admin/retailers/delete/".*?</form>', listing, re.S)
    action_form = re.search(r'<form id="action_form".*?</form>', listing, re.S)
    assert delete_form and 'name="csrf_token"' in delete_form.group(0)
    assert action_form and 'name="csrf_token"' in action_form.group(0)

    refused = client.post("/admin/retailers/delete/", data={"id": str(shop.id)})
    assert refused.status_code == 400
    assert db_session.get(Retailer, shop.id) is not None

    token = csrf_token(delete_form.group(0).encode())
    deleted = client.post(
        "/admin/retailers/delete/", data={"id": str(shop.id), "csrf_token": token}
    )
    assert deleted.status_code == 302
    db_session.expire_all()
    assert db_session.get(Retailer, shop.id) is None


# --- read-only mode ---------------------------------------------------------------------------


def test_read_only_mode_refuses_writes_with_a_clear_message(
    app: Flask, logged_in: Any, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = logged_in("boss@example.com", "admin")
    token = csrf_token(client.get("/admin/brands/new/").data)
    monkeypatch.setitem(app.config, "READ_ONLY", True)

    listing = client.get("/admin/brands/")
    assert b"Read-only mode." in listing.data
    assert b"/admin/brands/new/" not in listing.data  # no Create button

    response = client.post(
        "/admin/brands/new/", data={"name": "Read Only Racing", "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/brands/"
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "creating, editing and deleting are switched off" in shown
    assert db_session.scalar(select(Brand).where(Brand.name == "Read Only Racing")) is None


def test_read_only_mode_hides_bulk_actions(
    app: Flask, logged_in: Any, build: CatalogBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    build.retailer("Moto Shop")
    client = logged_in("boss@example.com", "admin")
    monkeypatch.setitem(app.config, "READ_ONLY", True)

    listing = client.get("/admin/retailers/")

    assert b'id="action_form"' not in listing.data
    assert b"/admin/retailers/delete/" not in listing.data


# --- users ------------------------------------------------------------------------------------


def test_admin_creates_a_user_through_the_users_service(
    logged_in: Any, db_session: Session
) -> None:
    client = logged_in("boss@example.com", "admin")
    form_page = client.get("/admin/users/new/")
    curator_role = re.search(rb'<option value="(\d+)">curator</option>', form_page.data)
    assert curator_role

    response = client.post(
        "/admin/users/new/",
        data={
            "email": "new.curator@example.com",
            "new_password": "a long enough passphrase",
            "roles": curator_role.group(1).decode(),
            "active": "y",
            "digest_frequency": "weekly",
            "csrf_token": csrf_token(form_page.data),
        },
    )

    assert response.status_code == 302, response.data[-2000:]
    user = db_session.scalar(select(User).where(User.email == "new.curator@example.com"))
    assert user is not None
    assert user.password is not None and user.password.startswith("$argon2")
    assert [role.name for role in user.roles] == ["curator"]
    assert user.digest_frequency == "weekly"


def test_a_short_password_is_refused_with_the_services_reason(
    logged_in: Any, db_session: Session
) -> None:
    client = logged_in("boss@example.com", "admin")
    token = csrf_token(client.get("/admin/users/new/").data)

    response = client.post(
        "/admin/users/new/",
        data={"email": "short@example.com", "new_password": "short", "csrf_token": token},
        follow_redirects=True,
    )

    assert b"password must be at least 12 characters" in response.data
    assert db_session.scalar(select(User).where(User.email == "short@example.com")) is None


def test_the_password_hash_is_never_shown(logged_in: Any, db_session: Session) -> None:
    client = logged_in("boss@example.com", "admin")
    me = db_session.scalar(select(User).where(User.email == "boss@example.com"))
    assert me is not None

    for path in (
        "/admin/users/",
        f"/admin/users/details/?id={me.id}",
        f"/admin/users/edit/?id={me.id}",
        "/admin/users/new/",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert b"$argon2" not in page.data, path
        assert me.fs_uniquifier.encode() not in page.data, path


def test_an_admin_cannot_demote_themselves(logged_in: Any, db_session: Session) -> None:
    client = logged_in("boss@example.com", "admin")
    me = db_session.scalar(select(User).where(User.email == "boss@example.com"))
    assert me is not None
    edit_url = f"/admin/users/edit/?id={me.id}"
    token = csrf_token(client.get(edit_url).data)

    response = client.post(
        edit_url,
        data={"active": "y", "digest_frequency": "daily", "csrf_token": token},  # no roles
        follow_redirects=True,
    )

    assert b"cannot remove your own admin role" in response.data
    db_session.expire_all()
    assert [role.name for role in me.roles] == ["admin"]


# --- read-only lists and the home page ---------------------------------------------------------


def test_import_and_audit_lists_are_read_only(logged_in: Any, db_session: Session) -> None:
    importer = logged_in("importer@example.com", "importer")
    me = db_session.scalar(select(User).where(User.email == "importer@example.com"))
    db_session.add(
        ImportBatch(
            source="EBC catalogue",
            format="fitments",
            filename="ebc-2026.csv",
            sha256="a" * 64,
            counts={"new": 10, "invalid": 2},
            created_by=me,
        )
    )
    db_session.add(AuditLog(actor=me, action="verify", entity="fitment", entity_id=1))
    db_session.flush()

    imports = importer.get("/admin/imports/").get_data(as_text=True)
    assert "ebc-2026.csv" in imports
    assert "new 10 · invalid 2" in imports
    assert "importer@example.com" in imports
    assert "/admin/imports/new/" not in imports
    assert "/admin/imports/edit/" not in imports


def test_home_counts_the_catalog_and_fitments_by_status(logged_in: Any, garage: Garage) -> None:
    page = logged_in("curator@example.com", "curator").get("/admin/").get_data(as_text=True)

    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Makes 2" in text
    assert "Models 1" in text
    assert "Parts 5" in text
    assert "Verified 9" in text and "Unverified 1" in text
    assert "Rejected 1" in text and "Needs review 1" in text


def test_admin_pages_allow_flask_admins_inline_handlers_but_public_pages_do_not(
    client: FlaskClient, logged_in: Any
) -> None:
    public = client.get("/healthz").headers["Content-Security-Policy"]
    admin_page = logged_in("boss@example.com", "admin").get("/admin/brands/")

    assert "'unsafe-inline'" not in public.split("script-src", 1)[1].split(";", 1)[0]
    admin_csp = admin_page.headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in admin_csp
    assert "frame-ancestors 'none'" in admin_csp


def test_list_pages_load_related_names_without_a_query_per_row(
    logged_in: Any, garage: Garage, count_queries: list[str]
) -> None:
    client = logged_in("curator@example.com", "curator")

    for path in ("/admin/fitments/", "/admin/parts/", "/admin/vehicles/"):
        count_queries.clear()
        assert client.get(path).status_code == 200
        # The logged-in user, then one SELECT with its joins: no COUNT(*), no N+1.
        assert len(count_queries) <= 3, (path, count_queries)
        assert not any("count(" in sql.lower() for sql in count_queries), path
