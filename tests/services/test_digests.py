"""The curator digest: what it says, to whom, how often; skipped when nothing happened."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.duplicates import DuplicateCandidate
from app.models.email import EmailOutbox
from app.models.imports import ImportBatch
from app.models.retailers import Offer, OfferClick, OfferImpression, Retailer
from app.services import digests
from tests.public import conftest as public_fixtures
from tests.public.conftest import Garage

# The public tests' catalog fixtures, shared rather than copied.
build = public_fixtures.build
garage = public_fixtures.garage

SECRET = "test-secret-key"


def _queue(
    session: Session, frequency: str = "daily", now: dt.datetime | None = None
) -> dict[str, int]:
    return digests.queue_digests(
        session,
        frequency=frequency,
        now=now or utcnow(),
        link_for_user=lambda uid: (
            f"https://mpp.test/account/emails/unsubscribe/{digests.unsubscribe_token(SECRET, uid)}"
        ),
        preferences_url="https://mpp.test/account/emails/preferences",
        admin_url="https://mpp.test/admin/",
    )


def _activity(session: Session, garage: Garage) -> ImportBatch:
    batch = ImportBatch(
        source="EBC catalog",
        format="fitments",
        filename="ebc-2026.csv",
        sha256="a" * 64,
        status="committed",
        committed_at=utcnow(),
        counts={"new": 120, "updated": 4, "unchanged": 0, "invalid": 3},
    )
    session.add(batch)
    left, right = sorted((garage.pads.brand_id, garage.filter.brand_id))
    session.add(
        DuplicateCandidate(
            entity="brand", left_id=left, right_id=right, score=0.9, reason="trigram"
        )
    )
    session.flush()
    return batch


def _mail_for(session: Session, email: str) -> EmailOutbox | None:
    return digests.last_digest(session, email)


def test_due_recipients_follow_each_users_preference(
    db_session: Session, user_factory: Any
) -> None:
    daily = user_factory("daily@example.com", "curator")
    weekly = user_factory("weekly@example.com", "curator")
    weekly.digest_frequency = "weekly"
    off = user_factory("off@example.com", "curator")
    off.digest_frequency = "off"
    user_factory("importer@example.com", "importer")  # not a curator: no digest
    db_session.flush()
    now = utcnow()

    daily_ids = {u.id for u in digests.due_recipients(db_session, frequency="daily", now=now)}
    weekly_ids = {u.id for u in digests.due_recipients(db_session, frequency="weekly", now=now)}

    assert daily.id in daily_ids and weekly.id not in daily_ids and off.id not in daily_ids
    assert weekly_ids >= {weekly.id} and daily.id not in weekly_ids


def test_the_digest_reports_queue_imports_duplicates_conflicts_and_metrics(
    db_session: Session, user_factory: Any, garage: Garage
) -> None:
    curator = user_factory("digest@example.com", "curator")
    _activity(db_session, garage)

    summary = _queue(db_session)

    assert summary["queued"] >= 1
    mail = _mail_for(db_session, "digest@example.com")
    assert mail is not None and mail.kind == "digest_daily" and mail.status == "pending"
    assert mail.subject.startswith("MotoPartPicker daily digest:")
    for body in (mail.html, mail.text):
        assert "ebc-2026.csv" in body and "120" in body  # the import and its counts
        assert "Fitment verification rate" in body
        assert "Affiliate click-through rate" in body and "Search success rate" in body
    assert "Open conflicts" in mail.html and "+1 new" in mail.html  # the disputed filter
    assert "1 brand" in mail.html
    assert 'style="' in mail.html and "<style" not in mail.html  # inline CSS only
    token = digests.unsubscribe_token(SECRET, curator.id)
    assert (
        mail.headers["List-Unsubscribe"] == f"<https://mpp.test/account/emails/unsubscribe/{token}>"
    )
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"/account/emails/unsubscribe/{token}" in mail.html and token in mail.text
    assert curator.digest_last_sent_at is not None


def test_a_second_run_in_the_same_period_sends_nothing(
    db_session: Session, user_factory: Any, garage: Garage
) -> None:
    user_factory("once@example.com", "curator")
    _activity(db_session, garage)
    _queue(db_session)
    first = _mail_for(db_session, "once@example.com")

    _queue(db_session)  # a retried job, or a second worker

    assert _mail_for(db_session, "once@example.com") == first


def test_nothing_to_say_means_no_email_and_the_next_digest_covers_the_gap(
    db_session: Session, user_factory: Any, garage: Garage
) -> None:
    quiet = user_factory("quiet@example.com", "curator")
    later = utcnow() + dt.timedelta(days=3)
    quiet.digest_last_sent_at = later - dt.timedelta(days=1)  # nothing happened since
    db_session.flush()

    summary = _queue(db_session, now=later)

    assert summary["skipped"] >= 1
    assert _mail_for(db_session, "quiet@example.com") is None
    assert quiet.digest_last_sent_at == later - dt.timedelta(days=1)


def test_metrics_show_their_change(db_session: Session, garage: Garage) -> None:
    retailer = Retailer(
        name="Shop", slug="shop", homepage="https://shop.test", allowed_hosts=["shop.test"]
    )
    db_session.add(retailer)
    db_session.flush()
    offer = Offer(
        part_id=garage.pads.id,
        retailer_id=retailer.id,
        sku="S1",
        url="https://shop.test/1",
        fetched_at=utcnow(),
    )
    db_session.add(offer)
    db_session.flush()
    now = utcnow()
    db_session.add_all(
        [
            OfferImpression(offer_id=offer.id, day=(now - dt.timedelta(days=1)).date(), count=50),
            OfferImpression(offer_id=offer.id, day=(now - dt.timedelta(days=2)).date(), count=100),
        ]
        + [OfferClick(offer_id=offer.id, created_at=now - dt.timedelta(hours=12)) for _ in range(5)]
        + [OfferClick(offer_id=offer.id, created_at=now - dt.timedelta(hours=36)) for _ in range(5)]
    )
    db_session.flush()
    # A period of exactly one day (from midnight, clicks 36 h ago fell inside it after noon).
    since = now - dt.timedelta(days=1)

    ctr, verification, search = digests.product_metrics(db_session, since=since, until=now)

    assert ctr.current == 5 / 50 and ctr.previous == 5 / 100
    assert ctr.change_shown() == "+5.0 pts"
    assert verification.current is not None and 0 < verification.current <= 1
    assert search.current is None and search.change_shown() == "no data"


def test_unsubscribe_tokens_are_signed() -> None:
    token = digests.unsubscribe_token(SECRET, 42)
    assert digests.read_unsubscribe_token(SECRET, token) == 42
    assert digests.read_unsubscribe_token("another-secret", token) is None
    assert digests.read_unsubscribe_token(SECRET, token[:-2] + "xx") is None
