"""Accounts: roles, validation, the first admin."""

from __future__ import annotations

import pytest
from flask_security import hash_password, verify_password
from sqlalchemy.orm import Session

from app.services.users import FIRST_ADMIN_EMAIL, UserError, create_user, ensure_first_admin


def test_create_user_hashes_with_argon2_and_grants_roles(db_session: Session) -> None:
    user = create_user(
        db_session,
        email="c@example.com",
        password="a long enough pw",
        role_names=["curator"],
        hash_password=hash_password,
    )
    assert user.password and user.password.startswith("$argon2")
    assert verify_password("a long enough pw", user.password)
    assert [r.name for r in user.roles] == ["curator"]


@pytest.mark.parametrize(
    ("email", "password", "roles", "message"),
    [
        ("not-an-email", "a long enough pw", ["curator"], "not an email"),
        ("x@example.com", "short", ["curator"], "at least 12"),
        ("x@example.com", "a long enough pw", ["superuser"], "unknown role"),
    ],
)
def test_create_user_rejects_bad_input(
    db_session: Session, email: str, password: str, roles: list[str], message: str
) -> None:
    with pytest.raises(UserError, match=message):
        create_user(
            db_session,
            email=email,
            password=password,
            role_names=roles,
            hash_password=hash_password,
        )


def test_duplicate_email_is_refused_whatever_its_case(db_session: Session) -> None:
    create_user(
        db_session,
        email="Dup@example.com",
        password="a long enough pw",
        role_names=["importer"],
        hash_password=hash_password,
    )
    with pytest.raises(UserError, match="already exists"):
        create_user(
            db_session,
            email="dup@EXAMPLE.com",
            password="a long enough pw",
            role_names=["importer"],
            hash_password=hash_password,
        )


def test_first_admin_only_on_an_empty_user_table(db_session: Session) -> None:
    created = ensure_first_admin(db_session, hash_password)
    assert created is not None
    email, password = created
    assert email == FIRST_ADMIN_EMAIL and len(password) >= 12
    assert ensure_first_admin(db_session, hash_password) is None
