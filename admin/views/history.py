"""Audit rows for every admin form write, and the history panel on edit and details pages.

`AuditedViewMixin` sits in SecuredModelView: creates, edits and deletes through Flask-Admin's
forms each add one audit row (who, what, before → after) inside the same transaction as the
write. Views whose service writes its own audit rows set `audit_writes = False`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g, request, url_for
from flask_security import current_user
from sqlalchemy import inspect, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import AuditLog
from app.services import audit
from app.services.queue import QueueFilters, QueuePage, queue_page

# Table → the entity name the services use in audit rows.
ENTITY_NAMES = {
    "models": "model",
    "categories": "category",
    "import_batches": "import_batch",
    "audit_log": "audit_log",
}
SECRET_COLUMNS = frozenset({"password", "fs_uniquifier"})
HISTORY_LIMIT = 50
PANEL_ROWS = 100


def entity_name(model: Any) -> str:
    """`fitment`, `part`, `model`… for a mapped instance or class."""
    table = getattr(model, "__tablename__", "")
    return ENTITY_NAMES.get(table, table[:-1] if table.endswith("s") else table)


def _columns(obj: Any) -> list[str]:
    mapper = inspect(obj).mapper
    state = inspect(obj)
    return [
        attr.key
        for attr in mapper.column_attrs
        if attr.key not in SECRET_COLUMNS and attr.key not in state.unloaded
    ]


def _collections(obj: Any) -> list[str]:
    """Many-to-many collections (a user's roles) — changes there are writes too."""
    return [rel.key for rel in inspect(obj).mapper.relationships if rel.secondary is not None]


def _label(item: Any) -> str:
    return str(item)


def snapshot_after(obj: Any) -> dict[str, Any]:
    """Current column values (and many-to-many members) of an instance."""
    values = {key: getattr(obj, key) for key in _columns(obj)}
    for key in _collections(obj):
        values[key] = sorted(_label(item) for item in getattr(obj, key) or [])
    return values


def snapshot_before(obj: Any) -> dict[str, Any]:
    """Values as loaded from the database, before the form populated the instance."""
    state = inspect(obj)
    before: dict[str, Any] = {}
    for key in _columns(obj):
        history = state.attrs[key].history
        before[key] = history.deleted[0] if history.deleted else getattr(obj, key)
    for key in _collections(obj):
        history = state.attrs[key].history
        old = list(history.unchanged or ()) + list(history.deleted or ())
        before[key] = sorted(_label(item) for item in old)
    return before


def _mark(obj: Any) -> None:
    g.setdefault("_audited_ids", set()).add(id(obj))


def _marked(obj: Any) -> bool:
    return id(obj) in g.get("_audited_ids", set())


def history_rows(entity: str, entity_id: Any, limit: int = HISTORY_LIMIT) -> list[AuditLog]:
    """The newest audit rows of one record (indexed on entity, entity_id, created_at)."""
    try:
        ident = int(entity_id)
    except (TypeError, ValueError):
        return []
    return list(
        db.session.scalars(
            select(AuditLog)
            .options(joinedload(AuditLog.actor))
            .where(AuditLog.entity == entity, AuditLog.entity_id == ident)
            .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
            .limit(limit)
        )
    )


def changes(row: AuditLog) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for the fields an audit row changed, for display."""
    before, after = row.before or {}, row.after or {}
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return [(k, before.get(k), after.get(k)) for k in keys]


class AuditedViewMixin:
    """Audit rows for Flask-Admin's create/edit/delete, and the history panel."""

    audit_writes = True
    edit_template = "admin/curation/edit.html"
    details_template = "admin/curation/details.html"

    def _on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        before = None if is_created else snapshot_before(model)
        super()._on_model_change(form, model, is_created)  # type: ignore[misc]
        if not self.audit_writes:
            return
        db.session.flush()  # ids and database defaults for the "after" side
        after = snapshot_after(model)
        if before is not None and before == {k: after.get(k) for k in before}:
            _mark(model)
            return  # saved without a change: nothing to record
        audit.record(
            db.session(),
            actor_id=current_user.id,
            action="create" if is_created else "update",
            entity=entity_name(model),
            entity_id=_pk(model),
            before=before,
            after=after,
        )
        _mark(model)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A view may create through a service and commit itself, never reaching
        # `_on_model_change` (users). Wrapping the bound method on the instance catches
        # those creations too, whatever the subclass overrides.
        create: Any = getattr(self, "create_model")  # noqa: B009 - bound before the override

        def create_model(form: Any) -> Any:
            model = create(form)
            if model and self.audit_writes and not _marked(model):
                audit.record(
                    db.session(),
                    actor_id=current_user.id,
                    action="create",
                    entity=entity_name(model),
                    entity_id=_pk(model),
                    after=snapshot_after(model),
                )
                db.session.commit()
                _mark(model)
            return model

        self.create_model = create_model

    def delete_model(self, model: Any) -> bool:
        if self.audit_writes:
            audit.record(
                db.session(),
                actor_id=current_user.id,
                action="delete",
                entity=entity_name(model),
                entity_id=_pk(model),
                before=snapshot_after(model),
            )
        return bool(super().delete_model(model))  # type: ignore[misc]

    def history(self, model: Any) -> list[AuditLog]:
        """Audit rows for the record on an edit/details page."""
        return history_rows(entity_name(model), _pk(model))

    def history_changes(self, row: AuditLog) -> list[tuple[str, Any, Any]]:
        """What an audit row changed (template helper)."""
        return changes(row)

    def open_fitments(self, model: Any) -> FitmentPanel | None:
        """On a part's or a bike model's page: its open fitments, ready for bulk decisions."""
        if not current_user.has_role_name("admin", "curator"):
            return None
        table = getattr(model, "__tablename__", "")
        if table == "parts":
            filters, title = QueueFilters(part_id=model.id), "this part"
            link = url_for("queue.index", part=model.id)
        elif table == "models":
            filters, title = QueueFilters(model_id=model.id), "this model, all years"
            link = url_for("queue.index", make=model.make_id, model=model.id)
        else:
            return None
        page = queue_page(db.session(), filters, limit=PANEL_ROWS)
        return FitmentPanel(title, page, link, request.full_path.rstrip("?"))


@dataclass(frozen=True)
class FitmentPanel:
    """The open-fitments panel of a part or model page."""

    title: str
    page: QueuePage
    queue_url: str
    here: str


def _pk(model: Any) -> int | None:
    identity = inspect(model).identity
    if identity and len(identity) == 1 and isinstance(identity[0], int):
        return identity[0]
    return None
