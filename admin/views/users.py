"""Back-office accounts (admin only): roles and active flag; never the password hash."""

# ruff: noqa: RUF012 - Flask-Admin is configured through mutable class attributes

from __future__ import annotations

from typing import Any

from flask import flash
from flask_admin.base import BaseView
from flask_security import current_user, hash_password
from wtforms import PasswordField, ValidationError
from wtforms.validators import InputRequired

from admin.views.base import SecuredModelView
from app.extensions import db
from app.models.users import User
from app.services.users import MIN_PASSWORD_LENGTH, UserError, create_user


class UserAdmin(SecuredModelView):
    """Create accounts through the users service (argon2 via Flask-Security); edit roles."""

    simple_list_pager = False  # a few dozen accounts
    allow_delete = False  # deactivate instead: audit rows keep pointing at the account

    column_list = ("email", "roles", "active", "digest_frequency", "created_at")
    column_details_list = column_list
    column_labels = {"digest_frequency": "Digest", "created_at": "Created", "roles.name": "Role"}
    column_searchable_list = ("email",)
    column_sortable_list = ("email", "active", "created_at")
    column_default_sort = "email"
    column_filters = ("active", "roles.name")
    can_export = False

    form_columns = ("email", "new_password", "roles", "active", "digest_frequency")
    form_extra_fields = {
        "new_password": PasswordField(
            "Password",
            validators=[InputRequired()],
            description=f"At least {MIN_PASSWORD_LENGTH} characters; stored as an argon2 hash.",
        )
    }

    def get_edit_form(self) -> Any:
        # Email and password belong to the account holder (Flask-Security's change password).
        form_class = super().get_edit_form()
        del form_class.email
        del form_class.new_password
        return form_class

    def create_model(self, form: Any) -> Any:
        try:
            user = create_user(
                db.session(),
                email=form.email.data or "",
                password=form.new_password.data or "",
                role_names=[role.name for role in form.roles.data or []],
                hash_password=hash_password,
            )
            user.active = bool(form.active.data)
            user.digest_frequency = form.digest_frequency.data or "daily"
            db.session.commit()
        except UserError as exc:
            db.session.rollback()
            flash(f"User not created: {exc}", "error")
            return False
        return user

    def on_model_change(self, form: Any, model: User, is_created: bool) -> None:
        if model.id == current_user.id and not (model.active and model.has_role_name("admin")):
            raise ValidationError(
                "You cannot remove your own admin role or deactivate yourself; ask another admin."
            )


def views() -> list[BaseView]:
    """The users menu entry."""
    return [UserAdmin(User, name="Users", endpoint="users")]
