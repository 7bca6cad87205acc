"""reference checks in one pass per statement; curator references checked by them too

Revision ID: 0013_one_pass_reference_checks
Revises: 0012_lean_queue_sources_index
Create Date: 2026-11-25 10:00:00

Two costs of a million-row import were left in the references of fitments and evidence
(benchmarks/import_fitments.py, measured on 1.5 million fitments and as many evidence rows):

- fitments.verified_by_id and fitment_evidence.curator_id were still foreign keys to users.
  Postgres queues a foreign-key trigger event per inserted row even when the reference is
  NULL, as it is in every imported row, and fetches each row back to find that out: ~0.9 s
  for the fitments, ~0.5 s for their evidence. They are now checked by the statement
  triggers of 0009/0010, with users as one more parent (KEY SHARE lock on the users a
  statement names, SQLSTATE 23503 with the old constraint names, ON DELETE SET NULL by a
  statement trigger on users, TRUNCATE of users refused).
- Each reference took its own pass over the transition table, most of them a DISTINCT over
  every row: the evidence of one batch paid a hash aggregate over 1.5 million rows to find
  its one batch. Now one pass per statement reads every reference's smallest and largest
  key (and does the one join a fitment's evidence needs); a reference with no key (all
  NULL) is done, one with a single key checks that key, and only a reference with several
  keys (a file's parts and vehicles) takes its DISTINCT pass. On UPDATE the one pass also
  replaces a join of old and new rows per reference.

The passes over the transition table run as dynamic SQL (EXECUTE), planned for each
statement's own number of rows: a function's static queries are planned once per
connection, so the plan made for a million-row import (hash the whole fitments table:
~130 ms) served the next statement's 420 rows, and a plan made for one row (an index probe
per row) would serve the next million.

Same guarantees, same SQLSTATE and constraint names as 0010. Written by hand.
"""
from alembic import op

revision = "0013_one_pass_reference_checks"
down_revision = "0012_lean_queue_sources_index"
branch_labels = None
depends_on = None

# (constraint, child table, column, parent table, nullable, children per parent)
REFERENCES = (
    ("fk_fitments_part_id_parts", "fitments", "part_id", "parts", False, "many"),
    ("fk_fitments_vehicle_id_vehicles", "fitments", "vehicle_id", "vehicles", False, "many"),
    ("fk_fitments_verified_by_id_users", "fitments", "verified_by_id", "users", True, "many"),
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
    (
        "fk_fitment_evidence_curator_id_users",
        "fitment_evidence",
        "curator_id",
        "users",
        True,
        "many",
    ),
)
# The references this migration takes over from foreign keys (ON DELETE SET NULL).
TAKEN_OVER = tuple(r for r in REFERENCES if r[3] == "users")
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


def _changed(column: str, event: str) -> str:
    """Within the one pass: the row's `column` is one to check."""
    if event == "insert":
        return "true"
    return f"n.{column} IS DISTINCT FROM o.{column}"


def _raise(name: str, child: str, column: str, parent: str) -> str:
    return f"""
        RAISE EXCEPTION 'insert or update on table "{child}" violates foreign key constraint "{name}"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{name}', TABLE = '{child}',
                  DETAIL = format('Key ({column})=(%s) is not present in table "{parent}".', missing);"""


def _one_pass(child: str, event: str, references: list[tuple]) -> str:
    """One scan of the rows: the smallest and largest key of each "many" reference, and for
    the "few" one (a fitment's evidence) the join that finds each parent."""
    columns = []
    targets = []
    source = "new_rows n" if event == "insert" else "new_rows n JOIN old_rows o ON o.id = n.id"
    for _, _, column, parent, _, children in references:
        changed = _changed(column, event)
        if children == "few":
            source += f" LEFT JOIN {parent} p ON p.id = n.{column} AND {changed}"
            columns += [
                f"count(*) FILTER (WHERE {changed})",
                "count(p.id)",
                "array_agg(p.id) FILTER (WHERE p.xmin <> pg_current_xact_id()::xid)",
            ]
            targets += ["total", "present", "found_elsewhere"]
        else:
            columns += [f"min(n.{column}) FILTER (WHERE {changed})"]
            columns += [f"max(n.{column}) FILTER (WHERE {changed})"]
            targets += [f"lo_{column}", f"hi_{column}"]
    return f"""
    EXECUTE $q$SELECT {", ".join(columns)} FROM {source}$q$
    INTO {", ".join(targets)};"""


def _check_few(name: str, child: str, column: str, parent: str, rows: str) -> str:
    """About one child per parent (a fitment's evidence): the one pass found every parent and
    noted those another transaction created; only those are locked, and the lock must still
    find each of them (a parent deleted meanwhile fails the check)."""
    return f"""
    IF found_elsewhere IS NOT NULL THEN
        -- distinct over these keys only (not a sort of every row)
        SELECT count(DISTINCT k) INTO wanted FROM unnest(found_elsewhere) AS u(k);
        PERFORM 1 FROM {parent} p WHERE p.id = ANY(found_elsewhere) FOR KEY SHARE OF p;
        GET DIAGNOSTICS locked = ROW_COUNT;
    END IF;
    IF present < total OR locked < wanted THEN
        SELECT n.{column} INTO missing FROM {rows} n
        WHERE NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = n.{column})
        LIMIT 1;{_raise(name, child, column, parent)}
    END IF;"""


def _check_many(name: str, child: str, column: str, parent: str, rows: str) -> str:
    """Many children per parent, or none (a NULL reference): no key, nothing to check; one
    key (the batch of an import's evidence), that key; several, the distinct keys once. Then
    lock them (not parents this transaction created), one counting index scan, and the
    culprit only on failure."""
    lo, hi = f"lo_{column}", f"hi_{column}"
    return f"""
    keys := NULL;
    IF {lo} = {hi} THEN
        keys := ARRAY[{lo}];
    ELSIF {lo} IS NOT NULL THEN
        EXECUTE $q$SELECT array_agg(k)
            FROM (SELECT DISTINCT {column} AS k FROM {rows} r WHERE {column} IS NOT NULL) d$q$
        INTO keys;
    END IF;
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


def _check_function(child: str, event: str, references: tuple) -> str:
    mine = [r for r in references if r[1] == child]
    bounds = "".join(
        f"\n    lo_{r[2]} bigint;\n    hi_{r[2]} bigint;" for r in mine if r[5] == "many"
    )
    body = _one_pass(child, event, mine) + "".join(
        (_check_many if children == "many" else _check_few)(
            name, child, column, parent, _rows(column, event)
        )
        for name, _, column, parent, _, children in mine
    )
    return f"""
CREATE OR REPLACE FUNCTION {child}_check_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
    keys bigint[];
    found_elsewhere bigint[];
    present bigint;
    total bigint;
    wanted bigint := 0;
    locked bigint := 0;{bounds}
BEGIN{body}
    RETURN NULL;
END
$$"""


# ON DELETE SET NULL of the references taken over, as the foreign keys did it.
USERS_DELETE = "\n".join(
    f"    UPDATE {child} SET {column} = NULL WHERE {column} IN (SELECT id FROM old_rows);"
    for _, child, column, *_ in TAKEN_OVER
)


def upgrade():
    for name, child, *_ in TAKEN_OVER:
        op.drop_constraint(name, child, type_="foreignkey")
    for child in CHILDREN:
        for event in EVENTS:
            op.execute(_check_function(child, event, REFERENCES))
    op.execute(
        f"""
CREATE FUNCTION users_delete_children() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{USERS_DELETE}
    RETURN NULL;
END
$$"""
    )
    op.execute(
        "CREATE TRIGGER users_delete_children AFTER DELETE ON users "
        "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION users_delete_children()"
    )
    # refuse_truncate_of_referenced_table() is 0009's.
    op.execute(
        "CREATE TRIGGER users_refuse_truncate BEFORE TRUNCATE ON users "
        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate_of_referenced_table()"
    )


def downgrade():
    op.execute("DROP TRIGGER users_refuse_truncate ON users")
    op.execute("DROP TRIGGER users_delete_children ON users")
    op.execute("DROP FUNCTION users_delete_children()")
    without = tuple(r for r in REFERENCES if r not in TAKEN_OVER)
    for child in CHILDREN:
        for event in EVENTS:
            op.execute(_check_function(child, event, without))
    for name, child, column, parent, *_ in TAKEN_OVER:
        op.create_foreign_key(name, child, parent, [column], ["id"], ondelete="SET NULL")
