"""Merging duplicate makes, models, brands and parts — and undoing a merge.

A merge folds the merged record into the survivor: every row that points at it (found from
the model metadata, so tables added later are covered too) is repointed; where that would
break a unique key, the two colliding rows are merged in turn (a make's models, a model's
vehicles, a part's fitments: evidence combined) or, for redundant rows (aliases, identical
evidence), dropped. The merged record's name becomes an alias of the survivor so the next
import resolves it. Each row-level change is logged in the `merges` row — repointed ids,
deleted rows in full, before/after of updated rows, inserted aliases — and `unmerge`
replays that log backwards. Everything is audited; nothing commits here.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    Computed,
    Date,
    DateTime,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    func,
    insert,
    select,
    text,
    tuple_,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import (
    Base,
    BikeModel,
    Brand,
    BrandAlias,
    DuplicateCandidate,
    Fitment,
    FitmentEvidence,
    Make,
    MakeAlias,
    Merge,
    ModelAlias,
    Offer,
    Part,
    PartAlias,
    Vehicle,
)
from app.services import audit
from app.services.dedup import labels
from app.services.names import mpn_key, name_key

ENTITY_TABLES = {"make": "makes", "model": "models", "brand": "brands", "part": "parts"}
# Child tables whose colliding rows are merged in turn (recursively).
MERGEABLE = frozenset({"makes", "models", "brands", "parts", "vehicles", "fitments"})
# Child tables whose colliding rows say nothing new: the merged record's copy is dropped.
REDUNDANT = frozenset(
    {"make_aliases", "model_aliases", "brand_aliases", "part_aliases", "fitment_evidence"}
)
# A fitment's status after merging two claims of it: decided beats open, and a verified
# claim meeting a rejected one is a conflict.
STATUS_RANK = {"unverified": 0, "needs_review": 1, "verified": 2, "rejected": 2}
FITMENT_MERGE_FIELDS = ("status", "verified_by_id", "verified_at", "note")


class MergeError(ValueError):
    """A merge or unmerge that cannot be done; the message is for the curator."""


@dataclass(frozen=True, slots=True)
class RecordCounts:
    """What hangs off a record, for the side-by-side review."""

    fitments: int = 0
    verified: int = 0
    evidence: int = 0
    offers: int = 0
    parts: int = 0
    models: int = 0
    vehicles: int = 0
    aliases: int = 0


# --- metadata helpers -------------------------------------------------------------------------


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


@cache
def _referencing(table_name: str) -> tuple[tuple[str, str], ...]:
    """(child table, fk column) for every foreign key pointing at `table_name`.id."""
    found = []
    for child in Base.metadata.sorted_tables:
        for fk in child.foreign_keys:
            if fk.column.table.name == table_name and fk.column.name == "id":
                found.append((child.name, fk.parent.name))
    return tuple(sorted(found))


def _uniques_with(child: Table, column: str) -> list[list[str]]:
    """Column lists of the unique keys (constraints, unique indexes, primary key) of `child`
    that contain `column`."""
    uniques: list[list[str]] = []
    for constraint in child.constraints:
        if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint):
            names = [c.name for c in constraint.columns]
            if column in names:
                uniques.append(names)
    for index in child.indexes:
        names = [c.name for c in index.columns if isinstance(c, Column)]
        if index.unique and column in names and len(names) == len(index.expressions):
            uniques.append(names)
    return uniques


def _pk(table: Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


def _plain_columns(table: Table) -> list[Column[Any]]:
    """Columns a snapshot keeps: all but generated ones (the database recomputes those)."""
    return [c for c in table.columns if not isinstance(c.server_default, Computed)]


def _to_json(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [_to_json(v) for v in value]
    return value


def _from_json(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return dt.date.fromisoformat(value)
    if isinstance(column.type, Numeric) and not isinstance(value, float | int):
        return decimal.Decimal(value)
    return value


def _q(name: str) -> str:
    """A quoted identifier (names come from our own metadata, quoting is belt and braces)."""
    return '"' + name.replace('"', '""') + '"'


# --- the operation log ------------------------------------------------------------------------


class _Log:
    """Row-level changes in the order they happened; `unmerge` replays them backwards."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ops: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()
        self.fitment_ids: set[int] = set()

    def delete(self, table_name: str, ids: Sequence[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        table = _table(table_name)
        columns = _plain_columns(table)
        rows = self.session.execute(
            table.delete().where(table.c.id.in_(list(ids))).returning(*columns)
        ).all()
        snapshots = [
            {c.name: _to_json(v) for c, v in zip(columns, row, strict=True)} for row in rows
        ]
        self.ops.append({"op": "delete", "table": table_name, "rows": snapshots})
        self.counts[f"{table_name} deleted"] += len(snapshots)
        return snapshots

    def repoint(self, table_name: str, column: str, pairs: Sequence[tuple[int, int]]) -> int:
        """Point every `column` = loser at its survivor; returns rows moved."""
        table = _table(table_name)
        pk = _pk(table)
        bump = ", version = c.version + 1" if "version" in table.c else ""
        rows = self.session.execute(
            text(
                f"UPDATE {_q(table_name)} AS c SET {_q(column)} = p.survivor{bump}"  # noqa: S608
                " FROM unnest(CAST(:survivors AS bigint[]), CAST(:losers AS bigint[]))"
                " AS p(survivor, loser)"
                f" WHERE c.{_q(column)} = p.loser"
                f" RETURNING {', '.join('c.' + _q(n) for n in pk)}, p.loser, p.survivor"
            ),
            {"survivors": [s for s, _ in pairs], "losers": [loser for _, loser in pairs]},
        ).all()
        if rows:
            self.ops.append(
                {
                    "op": "repoint",
                    "table": table_name,
                    "column": column,
                    "pk": pk,
                    "rows": [[_to_json(v) for v in row] for row in rows],
                }
            )
            self.counts[f"{table_name} repointed"] += len(rows)
            if table_name == "fitments":
                self.fitment_ids.update(int(row[0]) for row in rows)
        return len(rows)

    def update(
        self, table_name: str, changes: Sequence[tuple[int, dict[str, Any], dict[str, Any]]]
    ) -> None:
        """Apply (id, before, after) changes and log them."""
        if not changes:
            return
        table = _table(table_name)
        for ident, _before, after in changes:
            values = {k: _from_json(table.c[k], v) for k, v in after.items()}
            statement = table.update().where(table.c.id == ident).values(**values)
            if "version" in table.c:
                statement = statement.values(version=table.c.version + 1)
            self.session.execute(statement)
        self.ops.append(
            {
                "op": "update",
                "table": table_name,
                "rows": [{"id": i, "before": b, "after": a} for i, b, a in changes],
            }
        )
        self.counts[f"{table_name} updated"] += len(changes)

    def inserted(self, table_name: str, ident: int) -> None:
        self.ops.append({"op": "insert", "table": table_name, "ids": [ident]})
        self.counts[f"{table_name} inserted"] += 1


def _collisions(
    session: Session, child: str, column: str, pairs: Sequence[tuple[int, int]]
) -> dict[int, int]:
    """Loser-side child id → survivor-side child id, for rows whose repointing would break
    one of the child's unique keys."""
    table = _table(child)
    found: dict[int, int] = {}
    for unique in _uniques_with(table, column):
        others = [name for name in unique if name != column]
        if _pk(table) != ["id"]:
            raise MergeError(
                f"{child} rows of both records would collide on {', '.join(unique)}; "
                "resolve them first"
            )
        match = " AND ".join(f"a.{_q(n)} = b.{_q(n)}" for n in others) or "TRUE"
        rows = session.execute(
            text(
                f"SELECT a.id, b.id FROM {_q(child)} a"  # noqa: S608 - identifiers from metadata
                " JOIN unnest(CAST(:survivors AS bigint[]), CAST(:losers AS bigint[]))"
                f" AS p(survivor, loser) ON a.{_q(column)} = p.loser"
                f" JOIN {_q(child)} b ON b.{_q(column)} = p.survivor AND {match}"
            ),
            {"survivors": [s for s, _ in pairs], "losers": [loser for _, loser in pairs]},
        ).all()
        for loser_child, survivor_child in rows:
            if found.setdefault(loser_child, survivor_child) != survivor_child:
                raise MergeError(
                    f"{child} #{loser_child} matches two rows of the survivor; merge those first"
                )
    return found


def _merge_rows(log: _Log, table_name: str, pairs: Sequence[tuple[int, int]]) -> None:
    """Fold each (survivor, loser) pair of `table_name` rows: children first, then delete."""
    pairs = [(s, loser) for s, loser in pairs if s != loser]
    if not pairs:
        return
    for child, column in _referencing(table_name):
        collided = _collisions(log.session, child, column, pairs)
        if collided:
            if child in MERGEABLE:
                _merge_rows(log, child, [(s, loser) for loser, s in collided.items()])
            elif child in REDUNDANT:
                log.delete(child, sorted(collided))
            else:
                raise MergeError(
                    f"rows in {child} of both records collide; resolve them before merging"
                )
        log.repoint(child, column, pairs)
    deleted = log.delete(table_name, [loser for _, loser in pairs])
    if table_name == "fitments":
        _combine_fitments(log, pairs, deleted)


def _combine_fitments(
    log: _Log, pairs: Sequence[tuple[int, int]], deleted: list[dict[str, Any]]
) -> None:
    """Two claims of one fitment became one: keep the decided status (verified + rejected is
    a conflict → needs_review) and the note, logging before → after."""
    losers = {row["id"]: row for row in deleted}
    survivors = {
        row["id"]: row
        for row in log.session.execute(
            select(Fitment.id, *(getattr(Fitment, f) for f in FITMENT_MERGE_FIELDS)).where(
                Fitment.id.in_([s for s, _ in pairs])
            )
        ).mappings()
    }
    changes = []
    for survivor_id, loser_id in pairs:
        kept, gone = survivors.get(survivor_id), losers.get(loser_id)
        if kept is None or gone is None:
            continue
        before = {f: _to_json(kept[f]) for f in FITMENT_MERGE_FIELDS}
        after = dict(before)
        a, b = before["status"], gone["status"]
        if {a, b} == {"verified", "rejected"}:
            after.update(status="needs_review", verified_by_id=None, verified_at=None)
        elif STATUS_RANK[b] > STATUS_RANK[a]:
            after.update(
                status=b, verified_by_id=gone["verified_by_id"], verified_at=gone["verified_at"]
            )
        if not after["note"] and gone["note"]:
            after["note"] = gone["note"]
        if after != before:
            changes.append((survivor_id, before, after))
        log.fitment_ids.add(survivor_id)
    log.update("fitments", changes)


# --- merge ------------------------------------------------------------------------------------


def _record(session: Session, entity: str, ident: int) -> Any:
    model: Any = {"make": Make, "model": BikeModel, "brand": Brand, "part": Part}[entity]
    row = session.execute(
        select(model).where(model.id == ident).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise MergeError(f"{entity} #{ident} does not exist (merged or removed meanwhile?)")
    return row


def _snapshot(session: Session, entity: str, ident: int) -> dict[str, Any]:
    table = _table(ENTITY_TABLES[entity])
    columns = _plain_columns(table)
    row = session.execute(select(*columns).where(table.c.id == ident)).one()
    return {c.name: _to_json(v) for c, v in zip(columns, row, strict=True)}


def _write_alias(log: _Log, entity: str, survivor: Any, merged: dict[str, Any]) -> None:
    """The merged-away spelling becomes an alias of the survivor (unless it resolves already)."""
    session = log.session
    if entity == "part":
        key = mpn_key(merged["mpn"])
        exists = session.scalar(
            select(PartAlias.id).where(
                PartAlias.brand_id == merged["brand_id"], PartAlias.mpn_key == key
            )
        )
        if exists or (merged["brand_id"] == survivor.brand_id and key == survivor.mpn_key):
            return
        row: Any = PartAlias(
            part_id=survivor.id,
            brand_id=merged["brand_id"],
            mpn=merged["mpn"],
            mpn_key=key,
            source="merge",
        )
    else:
        key = name_key(merged["name"])
        if not key or key == survivor.name_key:
            return
        if entity == "make":
            if session.scalar(select(MakeAlias.id).where(MakeAlias.alias_key == key)):
                return
            row = MakeAlias(
                make_id=survivor.id, alias=merged["name"], alias_key=key, source="merge"
            )
        elif entity == "brand":
            if session.scalar(select(BrandAlias.id).where(BrandAlias.alias_key == key)):
                return
            row = BrandAlias(
                brand_id=survivor.id, alias=merged["name"], alias_key=key, source="merge"
            )
        else:
            if session.scalar(
                select(ModelAlias.id).where(
                    ModelAlias.make_id == survivor.make_id, ModelAlias.alias_key == key
                )
            ):
                return
            row = ModelAlias(
                model_id=survivor.id,
                make_id=survivor.make_id,
                alias=merged["name"],
                alias_key=key,
                source="merge",
            )
    session.add(row)
    session.flush()
    log.inserted(row.__tablename__, row.id)


def _close_candidates(
    log: _Log,
    entity: str,
    *,
    survivor_id: int,
    merged_id: int,
    candidate_id: int | None,
    actor_id: int | None,
    now: dt.datetime,
) -> None:
    """The merged pair's candidate → merged; other open pairs naming the gone record → removed
    (the next scan proposes them again against the survivor)."""
    session = log.session
    left, right = sorted((survivor_id, merged_id))
    pair = session.execute(
        select(
            DuplicateCandidate.id,
            DuplicateCandidate.status,
            DuplicateCandidate.resolved_by_id,
            DuplicateCandidate.resolved_at,
        ).where(
            DuplicateCandidate.entity == entity,
            DuplicateCandidate.left_id == left,
            DuplicateCandidate.right_id == right,
        )
    ).first()
    if candidate_id is not None and (pair is None or pair[0] != candidate_id):
        raise MergeError("the duplicate candidate does not match the records being merged")
    if pair is not None and pair[1] == "open":
        log.update(
            "duplicate_candidates",
            [
                (
                    pair[0],
                    {"status": "open", "resolved_by_id": None, "resolved_at": None},
                    {
                        "status": "merged",
                        "resolved_by_id": actor_id,
                        "resolved_at": now.isoformat(),
                    },
                )
            ],
        )
    others = session.scalars(
        select(DuplicateCandidate.id).where(
            DuplicateCandidate.entity == entity,
            DuplicateCandidate.status == "open",
            (DuplicateCandidate.left_id == merged_id) | (DuplicateCandidate.right_id == merged_id),
        )
    ).all()
    log.delete("duplicate_candidates", list(others))


def merge(
    session: Session,
    entity: str,
    *,
    survivor_id: int,
    merged_id: int,
    actor_id: int | None,
    candidate_id: int | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Merge:
    """Fold record `merged_id` into `survivor_id` (reversibly; see the module docstring)."""
    if entity not in ENTITY_TABLES:
        raise MergeError(f"cannot merge {entity!r}; choose make, model, brand or part")
    if survivor_id == merged_id:
        raise MergeError("choose two different records")
    now = now or dt.datetime.now(dt.UTC)
    first, second = sorted((survivor_id, merged_id))
    _record(session, entity, first)  # lock both rows in id order
    _record(session, entity, second)
    survivor = _record(session, entity, survivor_id)
    if entity == "model":
        merged_make = session.scalar(select(BikeModel.make_id).where(BikeModel.id == merged_id))
        if merged_make != survivor.make_id:
            raise MergeError("these models belong to different makes: merge the makes first")
    names = labels(session, entity, [survivor_id, merged_id])
    merged_row = _snapshot(session, entity, merged_id)
    survivor_row = _snapshot(session, entity, survivor_id)
    log = _Log(session)
    try:
        with session.begin_nested():
            _merge_rows(log, ENTITY_TABLES[entity], [(survivor_id, merged_id)])
            _write_alias(log, entity, survivor, merged_row)
            _close_candidates(
                log,
                entity,
                survivor_id=survivor_id,
                merged_id=merged_id,
                candidate_id=candidate_id,
                actor_id=actor_id,
                now=now,
            )
    except IntegrityError as exc:
        diag = getattr(exc.orig, "diag", None)
        rule = getattr(diag, "constraint_name", None) or "a database rule"
        raise MergeError(f"the merge would break {rule}; nothing was changed") from exc
    _forget_deleted(session, log.ops)
    summary = dict(sorted(log.counts.items()))
    row = Merge(
        entity=entity,
        survivor_id=survivor_id,
        merged_id=merged_id,
        candidate_id=candidate_id,
        merged_label=names.get(merged_id, "")[:300],
        survivor_label=names.get(survivor_id, "")[:300],
        operations=log.ops,
        summary=summary,
        note=note[:1000],
        merged_by_id=actor_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    for ident, action, other in (
        (survivor_id, "merge", merged_id),
        (merged_id, "merged_into", survivor_id),
    ):
        audit.record(
            session,
            actor_id=actor_id,
            action=action,
            entity=entity,
            entity_id=ident,
            before={"survivor": survivor_row, "merged": merged_row},
            after={"merge_id": row.id, "other_id": other, "summary": summary},
            note=note,
        )
    _refresh_queue(session, log.fitment_ids)
    session.flush()
    return row


def _forget_deleted(session: Session, ops: Iterable[Mapping[str, Any]]) -> None:
    """The log changed rows behind the ORM's back: expire what the session holds and drop
    the objects whose rows are gone, so nothing stale is read or flushed later."""
    mappers = {getattr(m.local_table, "name", ""): m.class_ for m in Base.registry.mappers}
    for op in ops:
        model = mappers.get(op["table"])
        if op["op"] != "delete" or model is None:
            continue
        for row in op["rows"]:
            obj = session.identity_map.get(session.identity_key(model, row["id"]))
            if obj is not None:
                session.expunge(obj)
    session.expire_all()


def _refresh_queue(session: Session, fitment_ids: Iterable[int]) -> None:
    from app.services.queue import refresh_stats

    ids = sorted(set(fitment_ids))
    if ids:
        refresh_stats(session, fitment_ids=ids)


# --- unmerge ----------------------------------------------------------------------------------


def _blocking_merge(session: Session, merge_row: Merge) -> Merge | None:
    """A later, still-active merge that folded this merge's survivor away."""
    return session.scalar(
        select(Merge)
        .where(
            Merge.id > merge_row.id,
            Merge.undone_at.is_(None),
            Merge.entity == merge_row.entity,
            Merge.merged_id == merge_row.survivor_id,
        )
        .limit(1)
    )


def _undo_delete(session: Session, op: Mapping[str, Any]) -> None:
    table = _table(op["table"])
    rows = [
        {k: _from_json(table.c[k], v) for k, v in row.items() if k in table.c} for row in op["rows"]
    ]
    if not rows:
        return
    taken = set(session.scalars(select(table.c.id).where(table.c.id.in_([r["id"] for r in rows]))))
    rows = [r for r in rows if r["id"] not in taken]
    if rows:
        session.execute(insert(table), rows)


def _undo_repoint(session: Session, op: Mapping[str, Any], skipped: Counter[str]) -> None:
    table = _table(op["table"])
    column = table.c[op["column"]]
    pk = [table.c[name] for name in op["pk"]]
    groups: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for row in op["rows"]:
        *key, loser, survivor = row
        values = [_from_json(col, v) for col, v in zip(pk, key, strict=True)]
        groups[(loser, survivor)].append(values[0] if len(values) == 1 else tuple(values))
    for (loser, survivor), keys in groups.items():
        where = pk[0].in_(keys) if len(pk) == 1 else tuple_(*pk).in_(keys)
        statement = table.update().where(where, column == survivor).values({column: loser})
        if "version" in table.c:
            statement = statement.values(version=table.c.version + 1)
        moved = session.execute(statement)
        skipped[op["table"]] += len(keys) - int(getattr(moved, "rowcount", 0) or 0)


def _undo_update(session: Session, op: Mapping[str, Any], skipped: Counter[str]) -> None:
    """Restore `before` where the row still holds what the merge wrote (a curator's later
    decision wins over the undo, and is counted as skipped)."""
    table = _table(op["table"])
    for change in op["rows"]:
        after = {k: _from_json(table.c[k], v) for k, v in change["after"].items()}
        before = {k: _from_json(table.c[k], v) for k, v in change["before"].items()}
        statement = (
            table.update()
            .where(table.c.id == change["id"])
            .where(*(table.c[k].is_not_distinct_from(v) for k, v in after.items()))
            .values(**before)
        )
        if "version" in table.c:
            statement = statement.values(version=table.c.version + 1)
        done = session.execute(statement)
        if not getattr(done, "rowcount", 0):
            skipped[op["table"]] += 1


def unmerge(
    session: Session,
    merge_id: int,
    *,
    actor_id: int | None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Merge:
    """Reverse a merge: bring the merged record back with the same id, move its rows back,
    drop the alias the merge wrote, reopen the candidate. Rows added to the survivor since
    stay with the survivor; fitment decisions made since are kept (and reported)."""
    merge_row = session.get(Merge, merge_id, with_for_update=True)
    if merge_row is None:
        raise MergeError(f"merge #{merge_id} does not exist")
    if merge_row.undone_at is not None:
        raise MergeError("this merge was already undone")
    blocking = _blocking_merge(session, merge_row)
    if blocking is not None:
        raise MergeError(
            f"the survivor was itself merged afterwards (merge #{blocking.id}); undo that first"
        )
    skipped: Counter[str] = Counter()
    fitment_ids: set[int] = set()
    try:
        with session.begin_nested():
            for op in reversed(merge_row.operations):
                kind, table = op["op"], op["table"]
                if kind == "delete":
                    _undo_delete(session, op)
                    if table == "fitments":
                        fitment_ids.update(int(r["id"]) for r in op["rows"])
                elif kind == "repoint":
                    _undo_repoint(session, op, skipped)
                    if table == "fitments":
                        fitment_ids.update(int(r[0]) for r in op["rows"])
                elif kind == "update":
                    _undo_update(session, op, skipped)
                elif kind == "insert":
                    target = _table(table)
                    session.execute(target.delete().where(target.c.id.in_(op["ids"])))
    except IntegrityError as exc:
        diag = getattr(exc.orig, "diag", None)
        rule = getattr(diag, "constraint_name", None) or "a database rule"
        raise MergeError(
            f"cannot undo: a record created since the merge now holds its place ({rule})"
        ) from exc
    session.expire_all()
    merge_row = session.get_one(Merge, merge_id)
    merge_row.undone_at = now or dt.datetime.now(dt.UTC)
    merge_row.undone_by_id = actor_id
    merge_row.summary = {**merge_row.summary, "undo_skipped": dict(skipped)}
    for ident in (merge_row.survivor_id, merge_row.merged_id):
        audit.record(
            session,
            actor_id=actor_id,
            action="unmerge",
            entity=merge_row.entity,
            entity_id=ident,
            before={"merge_id": merge_row.id},
            after={"restored_id": merge_row.merged_id, "skipped": dict(skipped)},
            note=note,
        )
    _refresh_queue(session, fitment_ids)
    session.flush()
    return merge_row


# --- the review screen's numbers --------------------------------------------------------------


def record_counts(session: Session, entity: str, ident: int) -> RecordCounts:
    """Fitments, evidence, offers (and children) of one record, for the side-by-side view."""
    fitments = select(Fitment.id)
    if entity == "part":
        fitments = fitments.where(Fitment.part_id == ident)
    elif entity == "brand":
        fitments = fitments.join(Part, Part.id == Fitment.part_id).where(Part.brand_id == ident)
    elif entity == "model":
        fitments = fitments.join(Vehicle, Vehicle.id == Fitment.vehicle_id).where(
            Vehicle.model_id == ident
        )
    else:
        fitments = (
            fitments.join(Vehicle, Vehicle.id == Fitment.vehicle_id)
            .join(BikeModel, BikeModel.id == Vehicle.model_id)
            .where(BikeModel.make_id == ident)
        )
    ids = select(fitments.subquery().c.id)

    def count(query: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)

    values: dict[str, int] = {
        "fitments": count(ids),
        "verified": count(
            select(Fitment.id).where(Fitment.id.in_(ids), Fitment.status == "verified")
        ),
        "evidence": count(select(FitmentEvidence.id).where(FitmentEvidence.fitment_id.in_(ids))),
    }
    if entity == "part":
        values["offers"] = count(select(Offer.id).where(Offer.part_id == ident))
        values["aliases"] = count(select(PartAlias.id).where(PartAlias.part_id == ident))
    elif entity == "brand":
        values["parts"] = count(select(Part.id).where(Part.brand_id == ident))
        values["offers"] = count(
            select(Offer.id).join(Part, Part.id == Offer.part_id).where(Part.brand_id == ident)
        )
        values["aliases"] = count(select(BrandAlias.id).where(BrandAlias.brand_id == ident))
    elif entity == "model":
        values["vehicles"] = count(select(Vehicle.id).where(Vehicle.model_id == ident))
        values["aliases"] = count(select(ModelAlias.id).where(ModelAlias.model_id == ident))
    else:
        values["models"] = count(select(BikeModel.id).where(BikeModel.make_id == ident))
        values["aliases"] = count(select(MakeAlias.id).where(MakeAlias.make_id == ident))
    return RecordCounts(**values)
