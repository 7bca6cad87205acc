"""Back-office accounts: create users with roles, and the first admin on a fresh database."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.users import ROLE_NAMES, Role, User

FIRST_ADMIN_EMAIL = "admin@motopartpicker.com"
MIN_PASSWORD_LENGTH = 12


class UserError(ValueError):
    """A user could not be created; the message says why, in words for the operator."""


PasswordHasher = Callable[[str], str]
"""The auth library's hasher (argon2 + HMAC pepper), passed in so services stay Flask-free."""


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role_names: Sequence[str],
    hash_password: PasswordHasher,
) -> User:
    """Create an active account holding `role_names` (admin, curator, importer)."""
    email = email.strip()
    if "@" not in email or len(email) > 320:
        raise UserError(f"{email!r} is not an email address")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    unknown = sorted(set(role_names) - set(ROLE_NAMES))
    if unknown:
        raise UserError(
            f"unknown role(s) {', '.join(unknown)}; choose from {', '.join(ROLE_NAMES)}"
        )
    taken = session.scalar(select(User.id).where(func.lower(User.email) == email.lower()))
    if taken is not None:
        raise UserError(f"a user with email {email} already exists")
    roles = list(session.scalars(select(Role).where(Role.name.in_(role_names))))
    user = User(
        email=email,
        password=hash_password(password),
        active=True,
        fs_uniquifier=uuid.uuid4().hex,
        roles=roles,
    )
    session.add(user)
    session.flush()
    return user


def ensure_first_admin(session: Session, hash_password: PasswordHasher) -> tuple[str, str] | None:
    """On a database without users, create an admin; return (email, password) to print once."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    password = secrets.token_urlsafe(15)
    create_user(
        session,
        email=FIRST_ADMIN_EMAIL,
        password=password,
        role_names=list(ROLE_NAMES),
        hash_password=hash_password,
    )
    return FIRST_ADMIN_EMAIL, password
