"""The audit trail: every curator/admin write records who, what, before → after."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from app.models.audit import AuditLog


def _jsonable(value: Any) -> Any:
    """Make column values JSON-safe (dates, decimals, UUIDs) for the before/after snapshot."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str = "",
) -> AuditLog:
    """Add one audit row to the session (the caller's commit makes it durable with the write)."""
    row = AuditLog(
        actor_id=actor_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=_jsonable(dict(before)) if before is not None else None,
        after=_jsonable(dict(after)) if after is not None else None,
        note=note[:1000],
    )
    session.add(row)
    return row


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    """The named attributes of a model instance, JSON-safe, for before/after."""
    return {name: _jsonable(getattr(obj, name)) for name in fields}
