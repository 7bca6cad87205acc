"""Admin views, one module per area; each module's `views()` lists what it adds to the menu."""

from __future__ import annotations

from flask_admin.base import BaseView

from admin.views import (  # operations (issue 6)
    audit,
    catalog,
    dedup,
    fitments,
    imports,
    jobs,
    outbox,
    queue,
    retailers,
    users,
)


def all_views() -> list[BaseView]:
    """Every admin view in menu order (the home page is the index view, added separately)."""
    return [
        *queue.views(),
        *dedup.views(),
        *catalog.views(),
        *fitments.views(),
        *imports.views(),
        *retailers.views(),
        *users.views(),
        *audit.views(),
        *outbox.views(),
        *jobs.views(),
    ]
