"""Users and roles (Flask-Security-Too's required fields and mixins, nothing it does not need).

The one place a model imports from the web stack: Flask-Security's mixins carry the
authentication protocol (is_active, get_id, has_role…) that its datastore requires.
"""

from __future__ import annotations

import datetime as dt

from flask_security import RoleMixin, UserMixin
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, String, Table, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, created_at_column, text_enum

ROLE_NAMES = ("admin", "curator", "importer")
DIGEST_FREQUENCIES = ("daily", "weekly", "off")

roles_users = Table(
    "roles_users",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)


class Role(Base, RoleMixin):
    """One of admin / curator / importer."""

    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="", server_default="")
    update_datetime: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    def __str__(self) -> str:
        return self.name


class User(Base, UserMixin):
    """A back-office account; riders never have one."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    password: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    fs_uniquifier: Mapped[str] = mapped_column(String(64), unique=True)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    digest_frequency: Mapped[str] = mapped_column(
        text_enum(*DIGEST_FREQUENCIES, name="digest_frequency"),
        default="daily",
        server_default="daily",
    )
    # When the last curator digest went out: the next one reports what happened since.
    digest_last_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = created_at_column()

    # UserMixin annotates roles as list[RoleMixin]; Role is one, but lists are invariant.
    roles: Mapped[list[Role]] = relationship(secondary=roles_users, lazy="selectin")  # type: ignore[assignment]

    __table_args__ = (Index("uq_users_email_lower", func.lower(email), unique=True),)

    def has_role_name(self, *names: str) -> bool:
        """True when the user holds any of the named roles."""
        return any(role.name in names for role in self.roles)

    def __str__(self) -> str:
        return self.email
