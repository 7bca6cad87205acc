"""Public site: the read-only blueprint riders use (bike picker, bike pages, part pages)."""

from __future__ import annotations

from flask import Blueprint

# The app is built with static_folder=None, so the public blueprint owns /static/.
bp = Blueprint(
    "public",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

from app.public import views  # noqa: E402  # registers the routes on bp

__all__ = ["bp", "views"]
