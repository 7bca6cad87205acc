"""Staged names → catalog ids: exact keys first, then aliases (merges teach them), then — on
commit only — new rows, each logged in import_changes so undo can remove it again.

Works on the imp_makes / imp_models / imp_brands / imp_parts / imp_vehicles TEMP tables that
staging.stage() filled. A "not the same" judgement needs no extra rule here: an exact key
always wins over an alias, so vPIC's "Harley" stays Lil Smokey's make even though
"Harley" is how people shorten Harley-Davidson.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.models.categories import Category
from app.services.imports.errors import ImportProblem
from app.services.names import name_key

CATEGORY_SEPARATORS = ("›", ">", "/", "|")
BULK_ROWS = 10_000  # above this many new rows, a table is re-analyzed inside the import


def _run(session: Session, sql: str, **params: Any) -> int:
    result = session.execute(text(sql), params)
    return int(getattr(result, "rowcount", 0) or 0)


def has_table(session: Session, name: str) -> bool:
    """True when a table exists (part_aliases arrives with the curation migration)."""
    return session.scalar(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": name}) is True


def resolve_existing(session: Session) -> None:
    """Fill the *_id columns of every staged entity that already exists in the catalog."""
    _run(
        session, "UPDATE imp_makes i SET make_id = m.id FROM makes m WHERE m.name_key = i.name_key"
    )
    _run(
        session,
        "UPDATE imp_makes i SET make_id = a.make_id FROM make_aliases a "
        "WHERE i.make_id IS NULL AND a.alias_key = i.name_key",
    )
    _run(
        session,
        "UPDATE imp_models i SET model_id = m.id FROM imp_makes k JOIN models m "
        "ON m.make_id = k.make_id WHERE k.ref = i.make_ref AND m.name_key = i.name_key",
    )
    _run(
        session,
        "UPDATE imp_models i SET model_id = a.model_id FROM imp_makes k JOIN model_aliases a "
        "ON a.make_id = k.make_id WHERE i.model_id IS NULL AND k.ref = i.make_ref "
        "AND a.alias_key = i.name_key",
    )
    _run(
        session,
        "UPDATE imp_brands i SET brand_id = b.id FROM brands b WHERE b.name_key = i.name_key",
    )
    _run(
        session,
        "UPDATE imp_brands i SET brand_id = a.brand_id FROM brand_aliases a "
        "WHERE i.brand_id IS NULL AND a.alias_key = i.name_key",
    )
    _resolve_parts(session)
    _resolve_vehicles(session)
    analyze(session)


def analyze(session: Session) -> None:
    """Fresh planner statistics for the staged entities (their ids just changed)."""
    for table in ("imp_makes", "imp_models", "imp_brands", "imp_parts", "imp_vehicles"):
        session.execute(text(f"ANALYZE {table}"))


def _resolve_parts(session: Session) -> None:
    _run(
        session,
        "UPDATE imp_parts i SET part_id = p.id FROM imp_brands b JOIN parts p "
        "ON p.brand_id = b.brand_id WHERE b.ref = i.brand_ref AND p.mpn_key = i.mpn_key "
        "AND i.part_id IS NULL",
    )
    if has_table(session, "part_aliases"):
        _run(
            session,
            "UPDATE imp_parts i SET part_id = a.part_id FROM imp_brands b JOIN part_aliases a "
            "ON a.brand_id = b.brand_id WHERE i.part_id IS NULL AND b.ref = i.brand_ref "
            "AND a.mpn_key = i.mpn_key",
        )


def _resolve_vehicles(session: Session) -> None:
    # Variants match case-insensitively ("ABS" = "abs"); years and markets exactly.
    _run(
        session,
        "UPDATE imp_vehicles i SET vehicle_id = v.id FROM imp_models m JOIN vehicles v "
        "ON v.model_id = m.model_id WHERE m.ref = i.model_ref AND v.year = i.year "
        "AND lower(v.variant) = lower(i.variant) AND v.market = i.market AND i.vehicle_id IS NULL",
    )


def resolve_categories(session: Session) -> list[tuple[int, str, str]]:
    """Match each staged part's category by path or leaf name; returns (line, text, reason)
    warnings for names that match no category (the part is created without one)."""
    wanted = [
        row[0]
        for row in session.execute(
            text("SELECT DISTINCT category FROM imp_parts WHERE category <> ''")
        )
    ]
    if not wanted:
        return []
    by_path: dict[str, int] = {}
    by_leaf: dict[str, list[int]] = {}
    categories = {c.id: c for c in session.scalars(select(Category))}
    for category in categories.values():
        by_path[name_key(category.path)] = category.id
        by_leaf.setdefault(name_key(category.name), []).append(category.id)
    matches: list[dict[str, Any]] = []
    for value in wanted:
        leaf = value
        for separator in CATEGORY_SEPARATORS:
            leaf = leaf.rsplit(separator, 1)[-1]
        category_id = by_path.get(name_key(value))
        if category_id is None and len(by_leaf.get(name_key(leaf), [])) == 1:
            category_id = by_leaf[name_key(leaf)][0]
        if category_id is not None:
            matches.append({"value": value, "id": category_id})
    if matches:
        session.execute(
            text("UPDATE imp_parts SET category_id = :id WHERE category = :value"), matches
        )
    unknown = session.execute(
        text(
            "SELECT min(line_no), category FROM imp_parts WHERE category <> '' "
            "AND category_id IS NULL GROUP BY category ORDER BY 1"
        )
    ).all()
    return [
        (int(line), str(value), "no such category: the part is imported without one")
        for line, value in unknown
    ]


def _create(session: Session, batch_id: int, entity: str, insert_sql: str, match_sql: str) -> int:
    """INSERT the staged rows that have no id yet, log them as created, write ids back."""
    _run(
        session,
        f"""
        WITH new AS ({insert_sql}),
        logged AS (
            INSERT INTO import_changes (import_batch_id, entity, entity_id, action)
            SELECT :batch, :entity, id, 'created' FROM new
        )
        {match_sql}
        """,  # noqa: S608 - statements are constants of this module
        batch=batch_id,
        entity=entity,
    )
    return int(
        session.scalar(
            text(
                "SELECT count(*) FROM import_changes WHERE import_batch_id = :batch "
                "AND entity = :entity AND action = 'created'"
            ),
            {"batch": batch_id, "entity": entity},
        )
        or 0
    )


def create_missing(session: Session, batch_id: int) -> dict[str, int]:
    """Create makes, models, brands, parts and vehicles the file names but the catalog lacks."""
    created = {}
    created["makes"] = _create(
        session,
        batch_id,
        "make",
        "INSERT INTO makes (name, slug, name_key) SELECT name, slug, name_key FROM imp_makes "
        "WHERE make_id IS NULL ORDER BY ref ON CONFLICT DO NOTHING RETURNING id, name_key",
        "UPDATE imp_makes i SET make_id = new.id FROM new WHERE i.name_key = new.name_key",
    )
    resolve_existing(session)
    _require_ids(session, "imp_makes", "make_id", "make")
    created["models"] = _create(
        session,
        batch_id,
        "model",
        "INSERT INTO models (make_id, name, slug, name_key) SELECT DISTINCT ON (k.make_id, "
        "i.name_key) k.make_id, i.name, i.slug, i.name_key FROM imp_models i JOIN imp_makes k "
        "ON k.ref = i.make_ref WHERE i.model_id IS NULL ORDER BY k.make_id, i.name_key, i.ref "
        "ON CONFLICT DO NOTHING RETURNING id, make_id, name_key",
        "UPDATE imp_models i SET model_id = new.id FROM new, imp_makes k WHERE k.ref = i.make_ref "
        "AND k.make_id = new.make_id AND i.name_key = new.name_key",
    )
    created["brands"] = _create(
        session,
        batch_id,
        "brand",
        "INSERT INTO brands (name, slug, name_key) SELECT name, slug, name_key FROM imp_brands "
        "WHERE brand_id IS NULL ORDER BY ref ON CONFLICT DO NOTHING RETURNING id, name_key",
        "UPDATE imp_brands i SET brand_id = new.id FROM new WHERE i.name_key = new.name_key",
    )
    resolve_existing(session)
    _require_ids(session, "imp_models", "model_id", "model")
    _require_ids(session, "imp_brands", "brand_id", "brand")
    created["parts"] = _create(
        session,
        batch_id,
        "part",
        "INSERT INTO parts (brand_id, mpn, mpn_key, title, category_id) SELECT DISTINCT ON "
        "(b.brand_id, i.mpn_key) b.brand_id, i.mpn, i.mpn_key, coalesce(nullif(i.title, ''), "
        "left(br.name || ' ' || i.mpn, 300)), i.category_id FROM imp_parts i JOIN imp_brands b "
        "ON b.ref = i.brand_ref JOIN brands br ON br.id = b.brand_id WHERE i.part_id IS NULL "
        "ORDER BY b.brand_id, i.mpn_key, i.ref ON CONFLICT DO NOTHING "
        "RETURNING id, brand_id, mpn_key",
        "UPDATE imp_parts i SET part_id = new.id FROM new, imp_brands b WHERE b.ref = i.brand_ref "
        "AND b.brand_id = new.brand_id AND i.mpn_key = new.mpn_key",
    )
    created["vehicles"] = _create(
        session,
        batch_id,
        "vehicle",
        "INSERT INTO vehicles (model_id, year, variant, market) SELECT DISTINCT ON (m.model_id, "
        "i.year, lower(i.variant), i.market) m.model_id, i.year, i.variant, i.market FROM "
        "imp_vehicles i JOIN imp_models m ON m.ref = i.model_ref WHERE i.vehicle_id IS NULL "
        "ORDER BY m.model_id, i.year, lower(i.variant), i.market, i.ref ON CONFLICT DO NOTHING "
        "RETURNING id, model_id, year, variant, market",
        "UPDATE imp_vehicles i SET vehicle_id = new.id FROM new, imp_models m "
        "WHERE m.ref = i.model_ref AND m.model_id = new.model_id AND i.year = new.year "
        "AND lower(i.variant) = lower(new.variant) AND i.market = new.market",
    )
    if created["parts"] + created["vehicles"] > BULK_ROWS:
        # Fresh statistics for what was just bulk-inserted: later joins plan on them.
        session.execute(text("ANALYZE parts"))
        session.execute(text("ANALYZE vehicles"))
    _resolve_parts(session)
    _resolve_vehicles(session)
    _require_ids(session, "imp_parts", "part_id", "part")
    _require_ids(session, "imp_vehicles", "vehicle_id", "vehicle")
    created["part_categories"] = _fill_part_categories(session, batch_id)
    analyze(session)
    return created


def _fill_part_categories(session: Session, batch_id: int) -> int:
    """Existing parts without a category get the file's (logged, so undo puts NULL back)."""
    return _run(
        session,
        """
        WITH changed AS (
            UPDATE parts p SET category_id = i.category_id, updated_at = now()
            FROM (SELECT DISTINCT ON (part_id) part_id, category_id FROM imp_parts
                  WHERE category_id IS NOT NULL ORDER BY part_id, ref) i
            WHERE p.id = i.part_id AND p.category_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM import_changes c WHERE c.import_batch_id = :batch
                              AND c.entity = 'part' AND c.entity_id = p.id)
            RETURNING p.id, p.category_id
        )
        INSERT INTO import_changes (import_batch_id, entity, entity_id, action, before, after)
        SELECT :batch, 'part', id, 'updated', jsonb_build_object('category_id', NULL),
               jsonb_build_object('category_id', category_id) FROM changed
        """,
        batch=batch_id,
    )


def _require_ids(session: Session, table: str, column: str, what: str) -> None:
    missing = session.execute(
        text(f"SELECT line_no FROM {table} WHERE {column} IS NULL ORDER BY line_no LIMIT 1")  # noqa: S608
    ).scalar()
    if missing is not None:
        raise ImportProblem(
            f"The {what} named here could not be created: its name clashes with an existing "
            f"{what}'s web address. Rename one of them, or add an alias, and import again.",
            line=int(missing),
        )


def new_names(session: Session, limit: int = 50) -> dict[str, dict[str, Any]]:
    """What a commit would create: counts and the first names of each kind (for the preview)."""
    queries = {
        "makes": "SELECT name FROM imp_makes WHERE make_id IS NULL ORDER BY name",
        "models": "SELECT k.name || ' ' || i.name FROM imp_models i JOIN imp_makes k "
        "ON k.ref = i.make_ref WHERE i.model_id IS NULL ORDER BY 1",
        "brands": "SELECT name FROM imp_brands WHERE brand_id IS NULL ORDER BY name",
    }
    result: dict[str, dict[str, Any]] = {}
    for kind, sql in queries.items():
        names = [row[0] for row in session.execute(text(sql + f" LIMIT {limit + 1}"))]
        count = session.scalar(text(f"SELECT count(*) FROM ({sql}) q"))  # noqa: S608
        result[kind] = {"count": int(count or 0), "names": names[:limit]}
    for kind, sql in {
        "parts": "SELECT count(*) FROM imp_parts WHERE part_id IS NULL",
        "vehicles": "SELECT count(*) FROM imp_vehicles WHERE vehicle_id IS NULL",
    }.items():
        result[kind] = {"count": int(session.scalar(text(sql)) or 0), "names": []}
    return result
