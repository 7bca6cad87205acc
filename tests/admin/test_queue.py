"""The verification queue in /admin/queue/: filters, evidence, bulk decisions, concurrent
curators, the part and bike model pages, and who may use it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditLog, Fitment
from app.services.queue import refresh_stats
from tests.admin.conftest import csrf_token
from tests.conftest import login
from tests.public.conftest import CatalogBuilder, Garage
from tests.services.curation_support import batch, claim


def versions(html: str) -> dict[int, int]:
    """The `id:version` checkbox values a queue page rendered."""
    return {int(a): int(b) for a, b in re.findall(r'name="fitment" value="(\d+):(\d+)"', html)}


def open_ids(session: Session, garage: Garage) -> list[int]:
    return list(
        session.scalars(
            select(Fitment.id)
            .where(Fitment.status.in_(("unverified", "needs_review")))
            .order_by(Fitment.id)
        )
    )


def test_curator_sees_open_fitments_conflicts_first_with_evidence(
    logged_in: Any, garage: Garage, db_session: Session
) -> None:
    (fit,) = db_session.scalars(select(Fitment).where(Fitment.part_id == garage.unverified.id))
    claim(db_session, batch(db_session, "EBC catalogue", "ebc-2026.csv"), [fit], raw="FA-888;15")
    refresh_stats(db_session)
    client = logged_in("curator@example.com", "curator")

    page = client.get("/admin/queue/").get_data(as_text=True)

    assert page.index("HF-777") < page.index("FA-888")  # needs_review before unverified
    assert "FA-390HH" not in page  # verified ones are not in the queue
    assert "EBC catalogue" in page and "ebc-2026.csv" in page and "FA-888;15" in page
    assert "Single source" in page
    assert "/admin/queue/static/queue.js" in page
    assert set(versions(page)) == set(open_ids(db_session, garage))


def test_filters_by_names_like_imports_resolve_them(
    logged_in: Any, garage: Garage, build: CatalogBuilder
) -> None:
    other = build.model(build.make("Yamaha"), "MT-07")
    build.fit(
        build.part(build.brand("Brembo"), "07BB", "Pads"),
        build.vehicles(other, [2019]).values(),
        "unverified",
    )
    client = logged_in("curator@example.com", "curator")

    honda = client.get("/admin/queue/?make=honda&model=cbr+600+rr&year=2015").get_data(as_text=True)
    assert "FA-888" in honda and "07BB" not in honda
    brand = client.get("/admin/queue/?brand=BREMBO").get_data(as_text=True)
    assert "07BB" in brand and "FA-888" not in brand
    status = client.get("/admin/queue/?status=needs_review").get_data(as_text=True)
    assert "HF-777" in status and "FA-888" not in status
    unknown = client.get("/admin/queue/?make=Zundapp+Motorworks", follow_redirects=True)
    assert "No make called “Zundapp Motorworks”." in unknown.get_data(as_text=True)


def test_bulk_verify_from_the_queue(logged_in: Any, garage: Garage, db_session: Session) -> None:
    client = logged_in("curator@example.com", "curator")
    page = client.get("/admin/queue/")
    html = page.get_data(as_text=True)
    chosen = versions(html)

    response = client.post(
        "/admin/queue/bulk",
        data={
            "csrf_token": csrf_token(page.data),
            "action": "verify",
            "note": "Matches the fitment chart",
            "next": "/admin/queue/?status=",
            "fitment": [f"{i}:{v}" for i, v in chosen.items()],
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/queue/?status="
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Verified 2 fitments." in shown
    assert "Nothing to verify here" in shown
    db_session.expire_all()
    assert {db_session.get(Fitment, i).status for i in chosen} == {"verified"}
    assert db_session.scalars(
        select(AuditLog.action).where(AuditLog.entity_id.in_(chosen))
    ).all() == ["verify", "verify"]


def test_a_rejection_without_a_note_is_refused(
    logged_in: Any, garage: Garage, db_session: Session
) -> None:
    client = logged_in("curator@example.com", "curator")
    page = client.get("/admin/queue/")
    chosen = versions(page.get_data(as_text=True))

    response = client.post(
        "/admin/queue/bulk",
        data={
            "csrf_token": csrf_token(page.data),
            "action": "reject",
            "note": "  ",
            "fitment": [f"{i}:{v}" for i, v in chosen.items()],
        },
        follow_redirects=True,
    )

    assert "A rejection needs a note saying why" in response.get_data(as_text=True)
    db_session.expire_all()
    assert "rejected" not in {db_session.get(Fitment, i).status for i in chosen}


def test_the_second_of_two_concurrent_curators_gets_the_clear_message(
    app: Flask, logged_in: Any, garage: Garage, user_factory: Any, db_session: Session
) -> None:
    alice = logged_in("alice@example.com", "curator")
    user_factory("bob@example.com", "curator")
    bob = app.test_client()
    assert login(bob, "bob@example.com").status_code == 302
    alice_page, bob_page = alice.get("/admin/queue/"), bob.get("/admin/queue/")
    seen_by_bob = versions(bob_page.get_data(as_text=True))
    first = min(seen_by_bob)

    alice.post(
        "/admin/queue/bulk",
        data={
            "csrf_token": csrf_token(alice_page.data),
            "action": "verify",
            "fitment": [f"{first}:{seen_by_bob[first]}"],
        },
    )
    response = bob.post(
        "/admin/queue/bulk",
        data={
            "csrf_token": csrf_token(bob_page.data),
            "action": "reject",
            "note": "Wrong year",
            "fitment": [f"{i}:{v}" for i, v in seen_by_bob.items()],
        },
        follow_redirects=True,
    )

    text = response.get_data(as_text=True)
    assert f"Fitment #{first} was changed by alice@example.com at " in text
    assert "Reload to see their change" in text
    db_session.expire_all()
    statuses = {i: db_session.get(Fitment, i).status for i in seen_by_bob}
    assert statuses[first] == "verified"  # Alice's decision was not overwritten
    assert "rejected" not in statuses.values()  # and nothing of Bob's bulk was half-applied


def test_the_fitment_edit_form_refuses_to_overwrite_a_newer_change(
    app: Flask, logged_in: Any, garage: Garage, db_session: Session
) -> None:
    client = logged_in("curator@example.com", "curator")
    fitment = db_session.scalar(select(Fitment).where(Fitment.part_id == garage.unverified.id))
    edit_url = f"/admin/fitments/edit/?id={fitment.id}"
    form_page = client.get(edit_url)
    loaded = re.search(rb'name="loaded_version"[^>]*value="(\d+)"', form_page.data) or re.search(
        rb'value="(\d+)"[^>]*name="loaded_version"', form_page.data
    )
    assert loaded is not None
    queue_page = client.get("/admin/queue/")
    client.post(
        "/admin/queue/bulk",
        data={
            "csrf_token": csrf_token(queue_page.data),
            "action": "needs_review",
            "fitment": [f"{fitment.id}:{int(loaded.group(1))}"],
        },
    )

    response = client.post(
        edit_url,
        data={
            "status": "verified",
            "position": "",
            "qty": "1",
            "note": "",
            "loaded_version": loaded.group(1).decode(),
            "csrf_token": csrf_token(form_page.data),
        },
    )

    assert response.status_code == 200  # the form again, with the message
    assert b"was changed by curator@example.com at" in response.data
    db_session.expire_all()
    assert db_session.get(Fitment, fitment.id).status == "needs_review"


def test_part_and_model_pages_offer_bulk_decisions_and_history(
    logged_in: Any, garage: Garage, db_session: Session
) -> None:
    client = logged_in("curator@example.com", "curator")
    part_url = f"/admin/parts/edit/?id={garage.unverified.id}"
    page = client.get(part_url)
    html = page.get_data(as_text=True)
    assert "Open fitments" in html and "History" in html
    chosen = versions(html)
    assert len(chosen) == 1

    response = client.post(
        "/admin/queue/bulk",
        data={
            "csrf_token": csrf_token(page.data),
            "action": "reject",
            "note": "Rear caliper differs",
            "next": part_url,
            "fitment": [f"{i}:{v}" for i, v in chosen.items()],
        },
    )
    assert response.headers["Location"] == part_url
    again = client.get(part_url).get_data(as_text=True)
    assert "Nothing waiting for verification." in again

    model_page = client.get(f"/admin/models/edit/?id={garage.model.id}").get_data(as_text=True)
    assert "Open fitments" in model_page and "HF-777" in model_page
    fitment_page = client.get(f"/admin/fitments/edit/?id={min(chosen)}").get_data(as_text=True)
    assert "History" in fitment_page and "Rear caliper differs" in fitment_page


def test_next_page_link_walks_the_queue_without_counting(
    logged_in: Any, build: CatalogBuilder, count_queries: list[str]
) -> None:
    model = build.model(build.make("Honda"), "CB500F")
    vehicles = build.vehicles(model, range(1990, 2050)).values()
    build.fit(build.part(build.brand("EBC"), "FA1", "Pads"), vehicles, "unverified")
    client = logged_in("curator@example.com", "curator")

    count_queries.clear()
    first = client.get("/admin/queue/").get_data(as_text=True)
    assert not [q for q in count_queries if "count(*)" in q.lower()]
    assert len(versions(first)) == 50
    link = re.search(r'href="([^"]+)" rel="next"', first)
    assert link is not None
    second = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert len(versions(second)) == 10
    assert not set(versions(first)) & set(versions(second))
    assert "First page" in second


def test_an_unsafe_next_is_not_followed(logged_in: Any, garage: Garage) -> None:
    client = logged_in("curator@example.com", "curator")
    page = client.get("/admin/queue/")
    response = client.post(
        "/admin/queue/bulk",
        data={"csrf_token": csrf_token(page.data), "action": "verify", "next": "//evil.example/"},
    )
    assert response.headers["Location"] == "/admin/queue/"


@pytest.mark.parametrize("path", ["/admin/queue/", "/admin/dedup/"])
def test_an_importer_cannot_open_the_curation_screens(
    client: FlaskClient, user_factory: Any, path: str
) -> None:
    user_factory("importer@example.com", "importer")
    assert login(client, "importer@example.com").status_code == 302
    assert client.get(path).status_code == 403


def test_an_importer_cannot_verify(
    client: FlaskClient, user_factory: Any, garage: Garage, db_session: Session
) -> None:
    user_factory("importer@example.com", "importer")
    token = csrf_token(client.get("/account/login").data)
    assert login(client, "importer@example.com").status_code == 302
    (fit,) = db_session.scalars(select(Fitment).where(Fitment.part_id == garage.unverified.id))

    response = client.post(
        "/admin/queue/bulk",
        data={"csrf_token": token, "action": "verify", "fitment": [f"{fit.id}:{fit.version}"]},
    )

    assert response.status_code == 403
    db_session.expire_all()
    assert db_session.get(Fitment, fit.id).status == "unverified"
    assert client.get(f"/admin/fitments/edit/?id={fit.id}").status_code == 403


def test_fitment_list_filters_by_brand_model_and_mpn_through_id_sets(
    app: Flask, logged_in: Any, garage: Garage
) -> None:
    client = logged_in("curator@example.com", "curator")
    (admin,) = app.extensions["admin"]
    view = next(v for v in admin._views if v.endpoint == "fitments")
    keys = {str(flt.name): key for key, (_i, flt) in view._filter_args.items()}

    by_brand = client.get(f"/admin/fitments/?flt0_{keys['Brand']}=Hiflofiltro").data
    assert b"HF204RC" in by_brand and b"FA-390HH" not in by_brand
    by_mpn = client.get(f"/admin/fitments/?flt0_{keys['MPN key']}=fa 390 hh").data
    assert b"FA-390HH" in by_mpn and b"HF204RC" not in by_mpn
    by_model = client.get(f"/admin/fitments/?flt0_{keys['Model']}=CBR600RR").data
    assert b"FA-390HH" in by_model
    assert b"FA-390HH" not in client.get(f"/admin/fitments/?flt0_{keys['Model']}=MT-07").data
