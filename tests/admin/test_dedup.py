"""Duplicate review in /admin/dedup/: side by side, merge with a chosen survivor, undo,
"not the same", the scan button, `flask dedup scan` and the scheduled job."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app import jobs
from app.models import BikeModel, DuplicateCandidate, Make, Merge, NotSameJudgement
from app.services import aliases, dedup
from app.services.names import slugify
from tests.admin.conftest import csrf_token
from tests.public.conftest import CatalogBuilder


def _legacy_make(session: Session, name: str) -> Make:
    """A make stored before today's key normalization (so it escaped the unique key)."""
    make = Make(name=name, slug=slugify(name) + "-old", name_key=name.lower())
    session.add(make)
    session.flush()
    return make


def _pair(build: CatalogBuilder, session: Session) -> tuple[Make, Make, DuplicateCandidate]:
    hd = build.make("Harley-Davidson")
    legacy = _legacy_make(session, "Harley Davidson")
    model = build.model(legacy, "FLHT")
    build.fit(
        build.part(build.brand("EBC"), "FA409", "Pads"),
        build.vehicles(model, [2012, 2013]).values(),
        "unverified",
    )
    dedup.scan(session, "makes")
    candidate = session.scalars(select(DuplicateCandidate)).one()
    return hd, legacy, candidate


def test_review_shows_both_records_side_by_side_with_counts(
    logged_in: Any, build: CatalogBuilder, db_session: Session
) -> None:
    _hd, _legacy, candidate = _pair(build, db_session)
    client = logged_in("curator@example.com", "curator")

    listing = client.get("/admin/dedup/?entity=make").get_data(as_text=True)
    assert "Harley-Davidson" in listing and "same normalized key" in listing

    review = client.get(f"/admin/dedup/{candidate.id}").get_data(as_text=True)
    assert "Are these the same make?" in review
    assert "Fitments" in review and "Models" in review
    # The record with the fitments is proposed as the survivor.
    assert 'value="right" checked' in review or 'value="left" checked' in review


def test_merge_with_the_chosen_survivor_then_undo(
    logged_in: Any, build: CatalogBuilder, db_session: Session
) -> None:
    hd, legacy, candidate = _pair(build, db_session)
    hd_id, legacy_id = hd.id, legacy.id
    survivor_side = "left" if candidate.left_id == hd_id else "right"
    client = logged_in("curator@example.com", "curator")
    review = client.get(f"/admin/dedup/{candidate.id}")

    merged = client.post(
        f"/admin/dedup/{candidate.id}/merge",
        data={"csrf_token": csrf_token(review.data), "survivor": survivor_side, "note": "dup"},
        follow_redirects=True,
    )

    page = merged.get_data(as_text=True)
    assert "Merged Harley Davidson into Harley-Davidson." in page
    assert "Undo this merge" in page
    db_session.expire_all()
    assert db_session.get(Make, legacy_id) is None
    assert db_session.scalar(select(BikeModel.make_id).where(BikeModel.name == "FLHT")) == hd_id
    # The next import of the old spelling resolves through the learned alias.
    assert aliases.resolve_make(db_session, "HARLEY  DAVIDSON").id == hd_id
    merge_row = db_session.scalars(select(Merge)).one()

    undone = client.post(
        f"/admin/dedup/merges/{merge_row.id}/undo",
        data={"csrf_token": csrf_token(merged.data)},
        follow_redirects=True,
    )

    assert "Merge undone: Harley Davidson is back." in undone.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Make, legacy_id).name == "Harley Davidson"
    assert db_session.scalar(select(BikeModel.make_id).where(BikeModel.name == "FLHT")) == (
        legacy_id
    )
    assert db_session.get(DuplicateCandidate, candidate.id).status == "open"
    merges_page = client.get("/admin/dedup/merges").get_data(as_text=True)
    assert "undone" in merges_page


def test_not_the_same_is_remembered_and_never_proposed_again(
    logged_in: Any, build: CatalogBuilder, db_session: Session
) -> None:
    _hd, _legacy, candidate = _pair(build, db_session)
    client = logged_in("curator@example.com", "curator")
    review = client.get(f"/admin/dedup/{candidate.id}")

    response = client.post(
        f"/admin/dedup/{candidate.id}/dismiss",
        data={"csrf_token": csrf_token(review.data), "note": "Two companies"},
        follow_redirects=True,
    )

    assert "will not be proposed again" in response.get_data(as_text=True)
    judgement = db_session.scalars(select(NotSameJudgement)).one()
    assert (judgement.left_id, judgement.right_id, judgement.note) == (
        candidate.left_id,
        candidate.right_id,
        "Two companies",
    )
    assert dedup.scan(db_session, "makes").candidates == []
    listing = client.get("/admin/dedup/").get_data(as_text=True)
    assert "No open duplicate candidates" in listing


def test_scan_now_queues_the_job_once(logged_in: Any, db_session: Session) -> None:
    client = logged_in("curator@example.com", "curator")
    page = client.get("/admin/dedup/")
    token = csrf_token(page.data)

    first = client.post("/admin/dedup/scan", data={"csrf_token": token, "entity": "part"})
    second = client.post(
        "/admin/dedup/scan", data={"csrf_token": token, "entity": "part"}, follow_redirects=True
    )

    assert first.status_code == 302
    assert "already waiting" in second.get_data(as_text=True)
    queued = db_session.execute(
        text(
            "SELECT task_name, args FROM procrastinate_jobs"
            " WHERE task_name = 'curation.dedup_scan' AND status = 'todo'"
        )
    ).all()
    assert [(name, args) for name, args in queued] == [("curation.dedup_scan", {"entity": "part"})]


def test_cli_scan_prints_candidates_as_json(
    app: Flask, build: CatalogBuilder, db_session: Session
) -> None:
    honda = build.make("Honda")
    build.model(honda, "CBR600RR")
    db_session.add(
        BikeModel(make_id=honda.id, name="CBR 600 RR", slug="cbr-600-rr", name_key="cbr 600 rr")
    )
    db_session.flush()

    result = app.test_cli_runner().invoke(args=["dedup", "scan", "--entity", "models", "--json"])

    assert result.exit_code == 0, result.output
    (models,) = json.loads(result.output)
    assert models["entity"] == "model"
    (candidate,) = models["candidates"]
    assert {candidate["left"], candidate["right"]} == {"Honda CBR600RR", "Honda CBR 600 RR"}
    assert candidate["reason"] == "same normalized key"
    plain = app.test_cli_runner().invoke(args=["dedup", "scan", "--entity", "models"])
    assert "Honda CBR600RR" in plain.output and "1 open candidates (0 new" in plain.output


def test_the_scheduled_job_scans_and_commits(
    app: Flask, build: CatalogBuilder, db_session: Session, monkeypatch: Any
) -> None:
    from app.tasks import curation

    honda = build.make("Honda")
    build.model(honda, "CBR600RR")
    db_session.add(
        BikeModel(make_id=honda.id, name="CBR 600 RR", slug="cbr-600-rr", name_key="cbr 600 rr")
    )
    db_session.flush()
    monkeypatch.setattr(jobs.FlaskContext, "app", app)

    summary = curation.dedup_scan(timestamp=0)

    assert summary == {"make": 0, "model": 1, "brand": 0, "part": 0}
    schedules = {
        name: periodic.cron
        for (name, _), periodic in jobs.queue.periodic_registry.periodic_tasks.items()
    }
    assert schedules["curation.dedup_scan"] == "40 3 * * *"  # nightly
    assert schedules["curation.refresh_queue"] == "*/10 * * * *"
    assert "app.tasks.curation" in jobs.TASK_MODULES
    assert curation.refresh_queue(timestamp=0) == {"batches": 0, "flagged": 0, "refreshed": 0}
