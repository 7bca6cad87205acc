"""set-based integrity for fitments and their evidence

Revision ID: 0009_set_based_integrity
Revises: 0008_public_site
Create Date: 2026-11-25 05:00:00

The four busiest references of the catalog — fitments → parts, fitments → vehicles,
fitment_evidence → fitments, fitment_evidence → import_batches — were foreign keys. Postgres
checks a foreign key once per row (an SPI query and a row lock on the parent each time): a
million-row import paid ~15 s of its ~50 s for them (benchmarks/import_fitments.py), and
the lock on a parent created by the same transaction protects nothing.

They are now enforced per statement, with transition tables, by the triggers below:

- after INSERT or UPDATE of a child table: lock the parents once each (KEY SHARE, the
  lock a foreign key takes, so a concurrent delete of a parent waits for us, or — if it
  committed first — makes the check fail), skipping parents this transaction created
  (nobody else can see them, and locking a million of them cost seconds), then one
  anti-join; a missing parent raises SQLSTATE 23503
  (foreign_key_violation) naming the old constraint, as the foreign key did;
- after DELETE of a parent: delete its children in one statement (ON DELETE CASCADE);
- TRUNCATE of a parent is refused (a foreign key refused it too).

An UPDATE checks (and locks parents of) only rows whose reference changed, like a foreign key.

The guarantees are the foreign keys' under READ COMMITTED (the application's isolation
level: the cascade's DELETE sees rows committed while it waited). Parent ids never change
(no code updates a primary key). The SQLAlchemy models keep their ForeignKey declarations
(relationships, flush order) marked `enforced_by: trigger`; migrations/env.py leaves those
out of `flask db check`.

Also drops ix_fitment_evidence_fitment_id: uq_fitment_evidence_fitment_id (fitment_id,
import_batch_id, line_no) serves every lookup by fitment_id.

Written by hand.
"""
from alembic import op

revision = "0009_set_based_integrity"
down_revision = "0008_public_site"
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
CHILDREN = {
    "fitments": [r for r in REFERENCES if r[1] == "fitments"],
    "fitment_evidence": [r for r in REFERENCES if r[1] == "fitment_evidence"],
}


def _rows(column: str, event: str) -> str:
    """The rows whose reference must be checked: every inserted row; on UPDATE only rows
    whose `column` changed (as a foreign key does: a queue refresh rewriting a million
    fitments' priorities locks and checks no part). Transition tables cannot be combined
    with UPDATE OF column lists, hence the join of old and new rows."""
    if event == "insert":
        return "new_rows"
    return (
        f"(SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id "
        f"WHERE n.{column} IS DISTINCT FROM o.{column})"
    )


def _lock(column: str, parent: str, children: str, rows: str) -> str:
    """Lock the parents of the checked rows (not those this transaction created).

    Many children per parent (a part's fitments): the distinct keys first, then one probe
    each. About one child per parent (a fitment's evidence): one join — the planner cannot
    estimate DISTINCT over a transition table and would probe a million times.
    """
    if children == "many":
        return f"""
    PERFORM 1 FROM {parent} p
    WHERE p.id IN (SELECT DISTINCT {column} FROM {rows} r)
      AND p.xmin <> pg_current_xact_id()::xid
    FOR KEY SHARE OF p;"""
    return f"""
    PERFORM 1 FROM {parent} p JOIN {rows} n ON p.id = n.{column}
    WHERE p.xmin <> pg_current_xact_id()::xid
    FOR KEY SHARE OF p;"""


def _check_function(child: str, event: str) -> str:
    references = CHILDREN[child]
    locks = "".join(
        _lock(column, parent, children, _rows(column, event))
        for _, _, column, parent, _, children in references
    )
    checks = "\n".join(
        f"""
    SELECT n.{column} INTO missing FROM {_rows(column, event)} n
    WHERE {"n." + column + " IS NOT NULL AND " if nullable else ""}NOT EXISTS (
        SELECT 1 FROM {parent} p WHERE p.id = n.{column})
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "{child}" violates foreign key constraint "{name}"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{name}', TABLE = '{child}',
                  DETAIL = format('Key ({column})=(%s) is not present in table "{parent}".', missing);
    END IF;"""
        for name, _, column, parent, nullable, _ in references
    )
    return f"""
CREATE FUNCTION {child}_check_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN{locks}{checks}
    RETURN NULL;
END
$$"""


def _cascade_function(parent: str) -> str:
    deletes = "\n".join(
        f"    DELETE FROM {child} WHERE {column} IN (SELECT id FROM old_rows);"
        for _, child, column, referenced, _, _ in REFERENCES
        if referenced == parent
    )
    return f"""
CREATE FUNCTION {parent}_delete_children() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{deletes}
    RETURN NULL;
END
$$"""


PARENTS = ("parts", "vehicles", "fitments", "import_batches")
EVENTS = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
}
# TRUNCATE fires no delete trigger: refuse it on a parent, as a foreign key did.
REFUSE_TRUNCATE = """
CREATE FUNCTION refuse_truncate_of_referenced_table() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'cannot truncate table "%": fitments or their evidence refer to it (use DELETE)',
        TG_TABLE_NAME USING ERRCODE = 'feature_not_supported';
END
$$"""


def upgrade():
    for name, child, *_ in REFERENCES:
        op.drop_constraint(name, child, type_="foreignkey")
    op.drop_index("ix_fitment_evidence_fitment_id", table_name="fitment_evidence")
    for child in CHILDREN:
        for event, referencing in EVENTS.items():
            op.execute(_check_function(child, event))
            op.execute(
                f"CREATE TRIGGER {child}_check_{event} AFTER {event.upper()} ON {child} "
                f"REFERENCING {referencing} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {child}_check_{event}()"
            )
    op.execute(REFUSE_TRUNCATE)
    for parent in PARENTS:
        op.execute(_cascade_function(parent))
        op.execute(
            f"CREATE TRIGGER {parent}_delete_children AFTER DELETE ON {parent} "
            "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {parent}_delete_children()"
        )
        op.execute(
            f"CREATE TRIGGER {parent}_refuse_truncate BEFORE TRUNCATE ON {parent} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate_of_referenced_table()"
        )


def downgrade():
    for parent in PARENTS:
        op.execute(f"DROP TRIGGER {parent}_refuse_truncate ON {parent}")
        op.execute(f"DROP TRIGGER {parent}_delete_children ON {parent}")
        op.execute(f"DROP FUNCTION {parent}_delete_children()")
    op.execute("DROP FUNCTION refuse_truncate_of_referenced_table()")
    for child in CHILDREN:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER {child}_check_{event} ON {child}")
            op.execute(f"DROP FUNCTION {child}_check_{event}()")
    op.create_index("ix_fitment_evidence_fitment_id", "fitment_evidence", ["fitment_id"])
    for name, child, column, parent, *_ in REFERENCES:
        op.create_foreign_key(name, child, parent, [column], ["id"], ondelete="CASCADE")
