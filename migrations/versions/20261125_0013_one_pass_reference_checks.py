"""reference checks in one pass per statement; the import's other references checked by them too

Revision ID: 0013_one_pass_reference_checks
Revises: 0012_lean_queue_sources_index
Create Date: 2026-11-25 10:00:00

Two costs of a million-row import were left in the references it writes
(benchmarks/import_fitments.py: 1.5 million fitments and as many evidence rows, 50,000
parts, 30,000 vehicles):

- Foreign keys were left on the rows an import writes: fitments.verified_by_id and
  fitment_evidence.curator_id → users (NULL in every imported row, yet Postgres queues a
  trigger event per row and fetches each row back to find that out: ~0.9 s for the
  fitments, ~0.5 s for their evidence), parts → brands and categories, vehicles → models
  and import_changes → import_batches (an SPI query and a parent row lock per row: ~0.3 s
  for the parts). They are now checked by the statement triggers of 0009/0010, with
  their own parents' actions: users and categories ON DELETE SET NULL, brands and models
  RESTRICT (a delete of a parent still referenced is refused, SQLSTATE 23503 naming the
  old constraint), import_batches CASCADE to import_changes too; TRUNCATE of the new
  parents is refused as it was.
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
per row) would serve the next million. The same goes for what deleting a parent does
(cascade, set null, refuse): an undo's delete of 50,000 parts and a curator's of one.

Same guarantees, same SQLSTATE and constraint names as 0010. Written by hand.
"""

from alembic import op

revision = "0013_one_pass_reference_checks"
down_revision = "0012_lean_queue_sources_index"
branch_labels = None
depends_on = None

# (constraint, child table, column, parent table, nullable, children per parent, on delete)
REFERENCES = (
    ("fk_fitments_part_id_parts", "fitments", "part_id", "parts", False, "many", "cascade"),
    (
        "fk_fitments_vehicle_id_vehicles",
        "fitments",
        "vehicle_id",
        "vehicles",
        False,
        "many",
        "cascade",
    ),
    (
        "fk_fitments_verified_by_id_users",
        "fitments",
        "verified_by_id",
        "users",
        True,
        "many",
        "set null",
    ),
    (
        "fk_fitment_evidence_fitment_id_fitments",
        "fitment_evidence",
        "fitment_id",
        "fitments",
        False,
        "few",
        "cascade",
    ),
    (
        "fk_fitment_evidence_import_batch_id_import_batches",
        "fitment_evidence",
        "import_batch_id",
        "import_batches",
        True,
        "many",
        "cascade",
    ),
    (
        "fk_fitment_evidence_curator_id_users",
        "fitment_evidence",
        "curator_id",
        "users",
        True,
        "many",
        "set null",
    ),
    ("fk_parts_brand_id_brands", "parts", "brand_id", "brands", False, "many", "restrict"),
    (
        "fk_parts_category_id_categories",
        "parts",
        "category_id",
        "categories",
        True,
        "many",
        "set null",
    ),
    ("fk_vehicles_model_id_models", "vehicles", "model_id", "models", False, "many", "restrict"),
    (
        "fk_import_changes_import_batch_id_import_batches",
        "import_changes",
        "import_batch_id",
        "import_batches",
        False,
        "many",
        "cascade",
    ),
)
# 0009/0010's references (their children and parents keep their triggers); the rest were
# foreign keys until this migration.
EARLIER = REFERENCES[:2] + REFERENCES[3:5]
TAKEN_OVER = tuple(r for r in REFERENCES if r not in EARLIER)
EARLIER_CHILDREN = ("fitments", "fitment_evidence")
NEW_CHILDREN = ("parts", "vehicles", "import_changes")
NEW_PARENTS = ("users", "brands", "categories", "models")
EARLIER_PARENTS = ("parts", "vehicles", "fitments", "import_batches")
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
    the "few" one (a fitment's evidence) the join that finds each parent.

    That join reads the parents in the range of keys the rows name (found first, and planned
    with): an import's new fitments are the newest ids, so it hashes those, not every
    fitment of the catalog (a million-row file into a catalog of 1.5 million fitments: an
    index range scan of the 1.5 million new ids instead of a scan of all 3 million).
    """
    columns = []
    targets = []
    bounds = ""
    using = ""
    source = "new_rows n" if event == "insert" else "new_rows n JOIN old_rows o ON o.id = n.id"
    for _, _, column, parent, _, children, _ in references:
        changed = _changed(column, event)
        if children == "few":
            bounds = f"""
    EXECUTE $q$SELECT min({column}), max({column}) FROM new_rows$q$ INTO few_lo, few_hi;"""
            using = " USING few_lo, few_hi"
            source += (
                f" LEFT JOIN {parent} p ON p.id = n.{column} AND {changed}"
                " AND p.id BETWEEN $1 AND $2"
            )
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
    return f"""{bounds}
    EXECUTE $q$SELECT {", ".join(columns)} FROM {source}$q$
    INTO {", ".join(targets)}{using};"""


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
        for name, _, column, parent, _, children, _ in mine
    )
    return f"""
CREATE OR REPLACE FUNCTION {child}_check_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
    keys bigint[];
    found_elsewhere bigint[];
    few_lo bigint;
    few_hi bigint;
    present bigint;
    total bigint;
    wanted bigint := 0;
    locked bigint := 0;{bounds}
BEGIN{body}
    RETURN NULL;
END
$$"""


def _on_delete(
    name: str, child: str, column: str, parent: str, action: str, *, dynamic: bool = True
) -> str:
    """What deleting a parent does to its children, as the foreign key did it; planned for
    each statement's rows (`dynamic`), or 0009's static form (for downgrade)."""
    rows = f"{column} IN (SELECT id FROM old_rows)"
    if action in ("cascade", "set null"):
        statement = f"DELETE FROM {child} WHERE {rows}"
        if action == "set null":
            statement = f"UPDATE {child} SET {column} = NULL WHERE {rows}"
        return f"    EXECUTE $q${statement}$q$;" if dynamic else f"    {statement};"
    return f"""    EXECUTE $q$SELECT {column} FROM {child} WHERE {rows} LIMIT 1$q$ INTO missing;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'update or delete on table "{parent}" violates foreign key constraint "{name}" on table "{child}"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{name}', TABLE = '{child}',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "{child}".', missing);
    END IF;"""


def _parent_function(parent: str, references: tuple, *, dynamic: bool = True) -> str:
    actions = "\n".join(
        _on_delete(name, child, column, parent, action, dynamic=dynamic)
        for name, child, column, referenced, _, _, action in references
        if referenced == parent
    )
    return f"""
CREATE OR REPLACE FUNCTION {parent}_delete_children() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
{actions}
    RETURN NULL;
END
$$"""


def _child_triggers(child: str, event: str) -> str:
    referencing = "NEW TABLE AS new_rows"
    if event == "update":
        referencing = "OLD TABLE AS old_rows " + referencing
    return (
        f"CREATE TRIGGER {child}_check_{event} AFTER {event.upper()} ON {child} "
        f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {child}_check_{event}()"
    )


def upgrade():
    for name, child, *_ in TAKEN_OVER:
        op.drop_constraint(name, child, type_="foreignkey")
    for child in EARLIER_CHILDREN + NEW_CHILDREN:
        for event in EVENTS:
            op.execute(_check_function(child, event, REFERENCES))
            if child in NEW_CHILDREN:
                op.execute(_child_triggers(child, event))
    for parent in EARLIER_PARENTS:  # planned per statement now; import_batches: + changes
        op.execute(_parent_function(parent, REFERENCES))
    for parent in NEW_PARENTS:
        op.execute(_parent_function(parent, REFERENCES))
        op.execute(
            f"CREATE TRIGGER {parent}_delete_children AFTER DELETE ON {parent} "
            "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {parent}_delete_children()"
        )
        # refuse_truncate_of_referenced_table() is 0009's.
        op.execute(
            f"CREATE TRIGGER {parent}_refuse_truncate BEFORE TRUNCATE ON {parent} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate_of_referenced_table()"
        )


def downgrade():
    for parent in NEW_PARENTS:
        op.execute(f"DROP TRIGGER {parent}_refuse_truncate ON {parent}")
        op.execute(f"DROP TRIGGER {parent}_delete_children ON {parent}")
        op.execute(f"DROP FUNCTION {parent}_delete_children()")
    for parent in EARLIER_PARENTS:
        op.execute(_parent_function(parent, EARLIER, dynamic=False))
    for child in NEW_CHILDREN:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER {child}_check_{event} ON {child}")
            op.execute(f"DROP FUNCTION {child}_check_{event}()")
    for child in EARLIER_CHILDREN:
        for event in EVENTS:
            op.execute(_check_function(child, event, EARLIER))
    for name, child, column, parent, *_, action in TAKEN_OVER:
        op.create_foreign_key(name, child, parent, [column], ["id"], ondelete=action.upper())
