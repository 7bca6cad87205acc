"""Staging: the row and entity shapes importers produce, and COPY into TEMP tables.

Importers turn a file into rows of these shapes (normalized in Python, cached per distinct
value); this module streams them into per-transaction TEMP tables with psycopg's COPY on
the session's own connection, so everything after is set-based SQL in the same
transaction. Nothing here touches a catalog table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.orm import Session

ISSUE_COLUMNS = ("issue_column", "issue_value", "issue_reason", "severity")
BLOCK_ROWS = 20_000  # rows per COPY write (and per progress report)

# column name → SQL type, in the order importers emit tuples.
FITMENT_ROW = (
    ("line_no", "integer"),
    ("raw_text", "text"),
    ("part_ref", "integer"),
    ("vehicle_refs", "integer[]"),
    ("position", "text"),
    ("qty", "smallint"),
    ("note", "text"),
    ("issue_column", "text"),
    ("issue_value", "text"),
    ("issue_reason", "text"),
    ("severity", "text"),
)
OFFER_ROW = (
    ("line_no", "integer"),
    ("raw_text", "text"),
    ("sku", "text"),
    ("brand_ref", "integer"),
    ("mpn_key", "text"),
    ("gtin", "text"),
    ("title", "text"),
    ("price", "numeric(10,2)"),
    ("currency", "text"),
    ("url", "text"),
    ("image_url", "text"),
    ("in_stock", "boolean"),
    ("issue_column", "text"),
    ("issue_value", "text"),
    ("issue_reason", "text"),
    ("severity", "text"),
)
Shape = tuple[tuple[str, str], ...]
ROW_SHAPES: dict[str, Shape] = {
    "fitments": FITMENT_ROW,
    "ebay": FITMENT_ROW,
    "vehicles": FITMENT_ROW,
    "retailer_feed": OFFER_ROW,
}

ENTITY_SHAPES = {
    "makes": (
        ("ref", "integer"),
        ("name_key", "text"),
        ("name", "text"),
        ("slug", "text"),
        ("line_no", "integer"),
    ),
    "models": (
        ("ref", "integer"),
        ("make_ref", "integer"),
        ("name_key", "text"),
        ("name", "text"),
        ("slug", "text"),
        ("line_no", "integer"),
    ),
    "brands": (
        ("ref", "integer"),
        ("name_key", "text"),
        ("name", "text"),
        ("slug", "text"),
        ("line_no", "integer"),
    ),
    "parts": (
        ("ref", "integer"),
        ("brand_ref", "integer"),
        ("mpn_key", "text"),
        ("mpn", "text"),
        ("title", "text"),
        ("category", "text"),
        ("line_no", "integer"),
    ),
    "vehicles": (
        ("ref", "integer"),
        ("model_ref", "integer"),
        ("year", "smallint"),
        ("variant", "text"),
        ("market", "text"),
        ("line_no", "integer"),
    ),
}
# Filled in by resolution (existing ids) and by commit (new ids).
ENTITY_ID_COLUMNS = {
    "makes": "make_id integer",
    "models": "model_id integer",
    "brands": "brand_id integer",
    "parts": "part_id integer, category_id integer",
    "vehicles": "vehicle_id integer",
}

Row = tuple[Any, ...]


@dataclass
class Entities:
    """Everything a file names, each with a small integer `ref` its rows point at."""

    makes: list[Row] = field(default_factory=list)
    models: list[Row] = field(default_factory=list)
    brands: list[Row] = field(default_factory=list)
    parts: list[Row] = field(default_factory=list)
    vehicles: list[Row] = field(default_factory=list)


class RowSource(Protocol):
    """What an importer hands the service: rows of ROW_SHAPES[format], then the entities."""

    format: str
    total_lines: int
    warnings: list[str]

    def rows(self) -> Iterator[Row]: ...

    def entities(self) -> Entities: ...


Progress = Callable[[int, int], None]


def _noop(done: int, total: int) -> None:
    return None


def raw_connection(session: Session) -> Any:
    """The psycopg connection under the session's current transaction (for COPY)."""
    return session.connection().connection.dbapi_connection


def create_temp(
    session: Session, name: str, shape: Sequence[tuple[str, str]], extra: str = ""
) -> None:
    """A TEMP table dropped at commit; any leftover of the same name (same transaction) first."""
    columns = ", ".join(f"{col} {sql_type}" for col, sql_type in shape)
    if extra:
        columns += ", " + extra
    session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    session.execute(text(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP"))


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list | tuple):
        return "{" + ",".join(str(v) for v in value) + "}"
    return str(value)


def _generic_line(row: Row) -> str:
    return "\t".join(_text(v) for v in row) + "\n"


def _fitment_line(row: Row) -> str:
    """The hot path: a valid fitment row (ints, one int list, short strings), formatted
    directly; psycopg's per-value adaptation costs twice as much at a million rows."""
    line_no, raw, part_ref, refs, position, qty, note, issue, _, _, _ = row
    if issue is not None:
        return _generic_line(row)
    if "\\" in raw or "\t" in raw or "\n" in raw or "\r" in raw:
        raw = raw.translate(_ESCAPES)
    if note and ("\\" in note or "\t" in note or "\n" in note or "\r" in note):
        note = note.translate(_ESCAPES)
    qty_text = "\\N" if qty is None else str(qty)
    part = "\\N" if part_ref is None else str(part_ref)
    return (
        f"{line_no}\t{raw}\t{part}\t{{{','.join(map(str, refs))}}}\t{position}\t{qty_text}"
        f"\t{note}\t\\N\t\\N\t\\N\t\\N\n"
    )


def copy_rows(session: Session, table: str, shape: Shape, rows: Iterable[Row]) -> int:
    """COPY rows (text format, written in batches) into a TEMP table on the session's own
    connection; returns how many went in."""
    return copy_text(session, table, shape, text_blocks(rows, shape))


def text_blocks(
    rows: Iterable[Row], shape: Shape, progress: Progress = _noop, total: int = 0
) -> Iterator[str]:
    """Rows as COPY text, BLOCK_ROWS lines at a time (progress after each block)."""
    line = _fitment_line if shape is FITMENT_ROW else _generic_line
    buffer: list[str] = []
    for row in rows:
        buffer.append(line(row))
        if len(buffer) >= BLOCK_ROWS:
            yield "".join(buffer)
            buffer.clear()
            progress(int(row[0] or 0), total)
    if buffer:
        yield "".join(buffer)


def copy_text(session: Session, table: str, shape: Shape, blocks: Iterable[str]) -> int:
    """COPY blocks of COPY text (whole lines) into a TEMP table on the session's own
    connection; returns how many lines went in."""
    columns = ", ".join(col for col, _ in shape)
    count = 0
    cursor = raw_connection(session).cursor()
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for block in blocks:
            copy.write(block)
            count += block.count("\n")
    cursor.close()
    return count


class Sink(Protocol):
    """Where staged COPY text is copied to (a parse cache recording)."""

    def write(self, block: str) -> None: ...


def _tee(blocks: Iterable[str], keep: Sink) -> Iterator[str]:
    for block in blocks:
        keep.write(block)
        yield block


def stage(
    session: Session,
    source: RowSource,
    *,
    progress: Progress = _noop,
    blocks: Iterable[str] | None = None,
    keep: Sink | None = None,
) -> tuple[int, Entities]:
    """Stream the source's rows into imp_rows and its entities into imp_<entity> tables.

    `blocks`: the rows as ready COPY text (a cached parse, app/services/imports/
    parsecache.py) instead of the source's rows; `keep`: where to copy that text as it
    goes (to cache it).
    """
    shape = ROW_SHAPES[source.format]
    create_temp(session, "imp_rows", shape)
    if blocks is None:
        blocks = text_blocks(source.rows(), shape, progress, source.total_lines)
    if keep is not None:
        blocks = _tee(blocks, keep)
    count = copy_text(session, "imp_rows", shape, blocks)
    entities = source.entities()
    for name, entity_shape in ENTITY_SHAPES.items():
        create_temp(session, f"imp_{name}", entity_shape, ENTITY_ID_COLUMNS[name])
        copy_rows(session, f"imp_{name}", entity_shape, getattr(entities, name))
        session.execute(text(f"CREATE UNIQUE INDEX ON imp_{name} (ref)"))
    session.execute(text("ANALYZE imp_rows"))
    for name in ENTITY_SHAPES:
        session.execute(text(f"ANALYZE imp_{name}"))
    progress(source.total_lines, source.total_lines)
    return count, entities


def rowcount(result: Any) -> int:
    """Rows a DML statement touched (0 when the driver does not say)."""
    return int(getattr(result, "rowcount", 0) or 0)
