"""Flask-Admin back office at /admin: init_admin(app) builds it, views live in admin/views/."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from admin.views import all_views
from admin.views.home import HomeView

# Our overrides of Flask-Admin templates (admin/master.html, admin/index.html). Jinja looks
# in blueprints in registration order, so this one is registered before the admin's own.
templates = Blueprint("admin_templates", __name__, template_folder="templates")


def init_admin(app: Flask) -> Admin:
    """Build a fresh Admin and its views for this app (views hold per-app state)."""
    app.register_blueprint(templates)
    admin = Admin(
        name="MotoPartPicker",
        url="/admin",
        index_view=HomeView(name="Home", url="/admin"),
        theme=Bootstrap4Theme(fluid=True),
    )
    admin.add_views(*all_views())
    admin.init_app(app)
    return admin
