"""Canary: what one test writes (even with a commit) is gone before the next test starts."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Make

CANARY = "Canary Motorcycle Works"


def test_1_write_and_commit_a_row(db_session: Session) -> None:
    db_session.add(
        Make(name=CANARY, slug="canary-motorcycle-works", name_key="canarymotorcycleworks")
    )
    db_session.commit()  # the app's own commits only release a savepoint
    assert db_session.scalar(select(Make.id).where(Make.name == CANARY)) is not None


def test_2_the_row_is_gone(db_session: Session) -> None:
    assert db_session.scalar(select(Make.id).where(Make.name == CANARY)) is None


def test_3_nothing_reached_the_database_outside_the_test_transaction(app: object) -> None:
    # A brand-new connection from the real engine (not the test's) must not see the canary.
    with app.app_context(), db.engine.connect() as conn:  # type: ignore[attr-defined]
        found = conn.execute(text("SELECT count(*) FROM makes WHERE name = :n"), {"n": CANARY})
        assert found.scalar_one() == 0
