"""reference checks probe each distinct parent once

Revision ID: 0010_distinct_key_checks
Revises: 0009_set_based_integrity
Create Date: 2026-11-25 07:00:00

0009 checked every inserted row against its parent: `NOT EXISTS (...) LIMIT 1` over the
transition table, which the planner runs as one index probe per row (the LIMIT makes a
nested loop look cheap). A million-row import paid ~3.4 s for it: 1.5 million probes each
for fitments → parts, fitments → vehicles, evidence → fitments and evidence →
import_batches, although the first two have ~50k / ~30k distinct parents and the last one
has a single one.

The checks of references with many children per parent now collect the distinct keys once
(one hash aggregate over the transition table), lock those parents (KEY SHARE, skipping
parents this transaction created, as before) and count how many exist with one index scan;
only when the count falls short is the missing key looked up for the message. Evidence →
fitments (about one evidence row per fitment) keeps 0009's per-row form: its distinct keys
are as many as its rows.

Same guarantees, same SQLSTATE 23503 and constraint names as 0009. Written by hand.
"""
from alembic import op

revision = "0010_distinct_key_checks"
down_revision = "0009_set_based_integrity"
branch_labels = None
depends_on = None

# (constraint, child table, column, parent table, nullable, children per parent)
REFERENCES = (
    ("fk_fitments_part_id_parts", "fitments", "part_id", "parts", False, "many"),
    ("fk_fitments_vehicle_id_vehicles", "fitments", "vehicle_id", "vehicles", False, "many"),
    (
        "fk_fitment_evidence_fitment_id_fitments",
        "fitment_evidence",
        "fitment_id",
        "fitments",
        False,
        "few",
    ),
    (
        "fk_fitment_evidence_import_batch_id_import_batches",
        "fitment_evidence",
        "import_batch_id",
        "import_batches",
        True,
        "many",
    ),
)
CHILDREN = ("fitments", "fitment_evidence")
EVENTS = ("insert", "update")


def _rows(column: str, event: str) -> str:
    """The rows to check: every inserted row; on UPDATE only rows whose `column` changed."""
    if event == "insert":
        return "new_rows"
    return (
        f"(SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id "
        f"WHERE n.{column} IS DISTINCT FROM o.{column})"
    )


def _raise(name: str, child: str, column: str, parent: str) -> str:
    return f"""
        RAISE EXCEPTION 'insert or update on table "{child}" violates foreign key constraint "{name}"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{name}', TABLE = '{child}',
                  DETAIL = format('Key ({column})=(%s) is not present in table "{parent}".', missing);"""


def _check_many(name: str, child: str, column: str, parent: str, rows: str) -> str:
    """Distinct keys once; lock them; one counting index scan; the culprit only on failure."""
    return f"""
    SELECT array_agg(k) INTO keys
    FROM (SELECT DISTINCT {column} AS k FROM {rows} r WHERE {column} IS NOT NULL) d;
    IF keys IS NOT NULL THEN
        PERFORM 1 FROM {parent} p
        WHERE p.id = ANY(keys) AND p.xmin <> pg_current_xact_id()::xid
        FOR KEY SHARE OF p;
        SELECT count(*) INTO present FROM {parent} p WHERE p.id = ANY(keys);
        IF present < cardinality(keys) THEN
            SELECT k INTO missing FROM unnest(keys) AS u(k)
            WHERE NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = u.k)
            LIMIT 1;{_raise(name, child, column, parent)}
        END IF;
    END IF;"""


def _check_few(name: str, child: str, column: str, parent: str, rows: str) -> str:
    """About one child per parent (a fitment's evidence): one pass over the rows finds
    every parent and notes those another transaction created; only those are locked, and
    the lock must still find each of them (a parent deleted meanwhile fails the check)."""
    return f"""
    SELECT count(*), count(p.id),
           array_agg(p.id) FILTER (WHERE p.xmin <> pg_current_xact_id()::xid)
    INTO total, present, keys
    FROM {rows} n LEFT JOIN {parent} p ON p.id = n.{column};
    IF keys IS NOT NULL THEN
        -- distinct over these keys only (not a sort of every row, as DISTINCT in the
        -- aggregate above would be)
        SELECT count(DISTINCT k) INTO wanted FROM unnest(keys) AS u(k);
        PERFORM 1 FROM {parent} p WHERE p.id = ANY(keys) FOR KEY SHARE OF p;
        GET DIAGNOSTICS locked = ROW_COUNT;
    END IF;
    IF present < total OR locked < wanted THEN
        SELECT n.{column} INTO missing FROM {rows} n
        WHERE NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = n.{column})
        LIMIT 1;{_raise(name, child, column, parent)}
    END IF;"""


def _previous_few(name: str, child: str, column: str, parent: str, rows: str) -> str:
    """0009's form: lock by join, then one probe per row."""
    return f"""
    PERFORM 1 FROM {parent} p JOIN {rows} n ON p.id = n.{column}
    WHERE p.xmin <> pg_current_xact_id()::xid
    FOR KEY SHARE OF p;
    SELECT n.{column} INTO missing FROM {rows} n
    WHERE NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = n.{column})
    LIMIT 1;
    IF FOUND THEN{_raise(name, child, column, parent)}
    END IF;"""


def _check_function(child: str, event: str) -> str:
    body = "".join(
        (_check_many if children == "many" else _check_few)(
            name, child, column, parent, _rows(column, event)
        )
        for name, table, column, parent, _, children in REFERENCES
        if table == child
    )
    return f"""
CREATE OR REPLACE FUNCTION {child}_check_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
    keys bigint[];
    present bigint;
    total bigint;
    wanted bigint := 0;
    locked bigint := 0;
BEGIN{body}
    RETURN NULL;
END
$$"""


def _previous_function(child: str, event: str) -> str:
    """0009's checks (a per-row probe for every reference), locking in the join form of
    `_check_few`, for downgrade."""
    body = "".join(
        _previous_few(name, child, column, parent, _rows(column, event)).replace(
            "WHERE NOT EXISTS",
            f"WHERE {'n.' + column + ' IS NOT NULL AND ' if nullable else ''}NOT EXISTS",
        )
        for name, table, column, parent, nullable, _ in REFERENCES
        if table == child
    )
    return f"""
CREATE OR REPLACE FUNCTION {child}_check_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN{body}
    RETURN NULL;
END
$$"""


def upgrade():
    for child in CHILDREN:
        for event in EVENTS:
            op.execute(_check_function(child, event))


def downgrade():
    for child in CHILDREN:
        for event in EVENTS:
            op.execute(_previous_function(child, event))
