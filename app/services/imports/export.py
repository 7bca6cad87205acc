"""Fitment export: a CSV in the fitment-sheet layout, safe to open in a spreadsheet and
importable again unchanged (same headers, compressed year ranges, guarded cells)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.models.fitments import FITMENT_STATUSES
from app.services.imports.errors import ImportProblem
from app.services.imports.report import safe_cell
from app.services.names import name_key
from app.services.years import compress_years

HEADER = (
    "Brand",
    "MPN",
    "Title",
    "Category",
    "Make",
    "Model",
    "Years",
    "Variant",
    "Market",
    "Position",
    "Qty",
    "Note",
    "Status",
)


@dataclass(frozen=True)
class ExportFilter:
    """Which fitments: any combination of brand, make (names, any spelling) and status."""

    brand: str = ""
    make: str = ""
    status: str = ""

    def describe(self) -> str:
        parts = [
            f"{k} {v}"
            for k, v in (("brand", self.brand), ("make", self.make), ("status", self.status))
            if v
        ]
        return ", ".join(parts) or "all fitments"


def _where(session: Session, flt: ExportFilter) -> tuple[str, dict[str, Any]]:
    clauses = ["true"]
    params: dict[str, Any] = {}
    if flt.status:
        if flt.status not in FITMENT_STATUSES:
            raise ImportProblem(
                f"Unknown status '{flt.status}': use one of {', '.join(FITMENT_STATUSES)}."
            )
        clauses.append("f.status = :status")
        params["status"] = flt.status
    if flt.brand:
        clauses.append("b.name_key = :brand")
        params["brand"] = name_key(flt.brand)
    if flt.make:
        clauses.append("k.name_key = :make")
        params["make"] = name_key(flt.make)
    return " AND ".join(clauses), params


def export_rows(session: Session, flt: ExportFilter) -> Iterator[list[str]]:
    """The header, then one guarded row per part × model × variant/market × position ×
    qty/note/status, its years compressed ("2013–2018, 2020"). Streamed: flat memory."""
    where, params = _where(session, flt)
    result = session.execute(
        text(
            f"""
            SELECT b.name, p.mpn, p.title, cp.path, k.name, m.name,
                   array_agg(v.year ORDER BY v.year), v.variant, v.market, f.position, f.qty,
                   f.note, f.status
            FROM fitments f
            JOIN parts p ON p.id = f.part_id
            JOIN brands b ON b.id = p.brand_id
            JOIN vehicles v ON v.id = f.vehicle_id
            JOIN models m ON m.id = v.model_id
            JOIN makes k ON k.id = m.make_id
            LEFT JOIN LATERAL (
                WITH RECURSIVE up(id, parent_id, path) AS (
                    SELECT c.id, c.parent_id, c.name::text FROM categories c
                    WHERE c.id = p.category_id
                    UNION ALL
                    SELECT c.id, c.parent_id, c.name || ' › ' || up.path
                    FROM categories c JOIN up ON c.id = up.parent_id
                )
                SELECT path FROM up WHERE parent_id IS NULL
            ) cp ON true
            WHERE {where}
            GROUP BY b.name, p.mpn_key, p.mpn, p.title, cp.path, k.name, m.name, v.variant,
                     v.market, f.position, f.qty, f.note, f.status
            ORDER BY b.name, p.mpn_key, k.name, m.name, v.variant, v.market, f.position,
                     f.status
            """  # noqa: S608 - `where` is built from constants, values are bound
        ),
        params,
        execution_options={"stream_results": True, "yield_per": 2000},
    )
    yield list(HEADER)
    for brand, mpn, title, path, make, model, years, variant, market, *rest in result:
        position, qty, note, status = rest
        cells = [
            brand,
            mpn,
            title,
            path or "",
            make,
            model,
            compress_years(years),
            variant,
            market,
            position,
            qty,
            note,
            status,
        ]
        yield [safe_cell(cell) for cell in cells]
