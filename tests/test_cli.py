"""CLI commands, run through Flask's real CLI runner against the test database."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Make, User


def test_users_create_with_role(app: Flask, db_session: Session) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "cli@example.com", "--role", "curator"]
    )
    assert result.exit_code == 0, result.output
    assert "Password (shown once):" in result.output
    user = db_session.scalar(select(User).where(User.email == "cli@example.com"))
    assert user is not None and [r.name for r in user.roles] == ["curator"]


def test_users_create_explains_errors(app: Flask, db_session: Session) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "create", "twice@example.com", "--role", "importer"])
    again = runner.invoke(args=["users", "create", "twice@example.com", "--role", "importer"])
    assert again.exit_code != 0
    assert "already exists" in again.output
    bad_role = runner.invoke(args=["users", "create", "r@example.com", "--role", "root"])
    assert bad_role.exit_code != 0
    assert "root" in bad_role.output


def test_demo_load_then_refuses_to_load_twice(app: Flask, db_session: Session) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Demo catalog loaded" in result.output
    assert (db_session.scalar(select(func.count()).select_from(Make)) or 0) >= 15
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code != 0
    assert "already has data" in again.output
