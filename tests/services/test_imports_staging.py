"""Staging COPY: the blocks arrive in order, and a failure on either side — making the
blocks (a bad file) or the database refusing one — aborts the COPY and is raised to the
caller, never a half-staged table."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.services.imports import staging

SHAPE = (("line_no", "integer"), ("raw_text", "text"))


def _table(session: Session) -> None:
    staging.create_temp(session, "imp_test", SHAPE)


def test_blocks_arrive_in_order_and_are_counted(db_session: Session) -> None:
    _table(db_session)
    blocks = [
        "".join(f"{n}\tline {n}\n" for n in range(start, start + 1000))
        for start in range(0, 30_000, 1000)
    ]
    assert staging.copy_text(db_session, "imp_test", SHAPE, blocks) == 30_000
    rows = db_session.execute(text("SELECT line_no FROM imp_test")).scalars().all()
    assert rows == list(range(30_000))


def test_a_failure_while_making_blocks_aborts_the_copy(db_session: Session) -> None:
    _table(db_session)

    def blocks() -> Iterator[str]:
        for start in range(0, 100_000, 1000):
            if start == 50_000:
                raise ValueError("line 50001: not a CSV file")
            yield "".join(f"{n}\tx\n" for n in range(start, start + 1000))

    savepoint = db_session.begin_nested()
    with pytest.raises(ValueError, match="not a CSV"):
        staging.copy_text(db_session, "imp_test", SHAPE, blocks())
    savepoint.rollback()  # the aborted COPY failed the transaction, as any error does
    assert db_session.execute(text("SELECT count(*) FROM imp_test")).scalar() == 0


def test_a_block_the_database_refuses_is_raised_to_the_caller(db_session: Session) -> None:
    _table(db_session)
    blocks = ["1\tfine\n"] + ["not a number\tbad\n"] + ["3\tx\n"] * 50
    savepoint = db_session.begin_nested()
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        staging.copy_text(db_session, "imp_test", SHAPE, blocks)
    savepoint.rollback()
    assert db_session.execute(text("SELECT count(*) FROM imp_test")).scalar() == 0


def test_a_refusal_at_the_end_of_the_copy_is_raised_too(db_session: Session) -> None:
    _table(db_session)
    savepoint = db_session.begin_nested()
    with pytest.raises(psycopg.errors.BadCopyFileFormat):  # the last line lacks a column
        staging.copy_text(db_session, "imp_test", SHAPE, ["1\tok\n", "2\n"])
    savepoint.rollback()
