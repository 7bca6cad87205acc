"""Site search: part numbers, part titles and brands, and bike names, typo tolerant.

One call, `search(session, text)`, runs a few indexed queries:

1. **Bikes**: the query's name key (`zx10r`) inside a model's key (`ninjazx10r`), or make +
   model keys (`kawasakizx10r`), or trigram-similar to one (`cbr600r`), via the models'
   trigram index. A year in the query (`2015 zx10r`) links straight to that bike page.
2. **Part numbers**: the normalized MPN key (`cm4401` → `CM4401`) equal to or a prefix of
   `parts.mpn_key` (btree with varchar_pattern_ops).
3. **Full text** over title and MPN (`parts.search_vector`, GIN), ranked by ts_rank_cd over a
   bounded candidate set; a leading brand name ("ebc pads") narrows to that brand.
4. **Typos**: only when 2 and 3 find nothing, each query word is corrected against the words
   of part titles (`search_terms`) and brand names (trigram similarity), and the search runs
   again with the corrected words.

Counting searches for the metrics happens in the caller (the web layer buffers increments);
this module only reads.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from app.models import BikeModel, Brand, Make, ModelAlias, Part, SearchTerm, Vehicle
from app.services.catalog import MakeRef, ModelRef, PartRef, category_paths
from app.services.names import mpn_key, name_key
from app.services.years import compress_years

MAX_QUERY = 100
PER_PAGE = 20
MAX_RESULTS = 1000  # counts above this read "1,000+"; deeper pages are not offered
RANKED = 200  # full-text matches scored per query; pages beyond them list unranked matches
BIKE_LIMIT = 8
MIN_BIKE_KEY = 3
MIN_MPN_KEY = 3
WORD_SIMILARITY = 0.45
YEAR_TOKEN = re.compile(r"\b(18[89][0-9]|19[0-9]{2}|20[0-9]{2}|2100)\b")
WORDS = re.compile(r"[^\W_]+", re.UNICODE)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class BikeHit:
    """A motorcycle model the query names; `year` when the query also named a known year."""

    model: ModelRef
    years: str
    year: int | None = None


@dataclass(frozen=True, slots=True)
class PartHit:
    """A part the query found, and whether it was by part number (exact or prefix)."""

    part: PartRef
    category_path: str | None
    by_number: bool = False


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What the search page shows; `total` counts parts (capped at MAX_RESULTS)."""

    query: str
    bikes: tuple[BikeHit, ...] = ()
    makes: tuple[MakeRef, ...] = ()
    parts: tuple[PartHit, ...] = ()
    total: int = 0
    page: int = 1
    per_page: int = PER_PAGE
    corrected: str = ""  # the query as we re-ran it after fixing typos
    suggestions: tuple[str, ...] = field(default=())

    @property
    def is_capped(self) -> bool:
        """True when there are more matches than we count."""
        return self.total > MAX_RESULTS

    @property
    def hit_count(self) -> int:
        """Bikes, makes and parts found: zero means the "no results" page."""
        return len(self.bikes) + len(self.makes) + min(self.total, MAX_RESULTS)

    @property
    def page_count(self) -> int:
        """Pages of parts (at least 1), never beyond MAX_RESULTS."""
        return max(1, math.ceil(min(self.total, MAX_RESULTS) / self.per_page))


def clean_query(text: str) -> str:
    """What we search for: control characters dropped, spaces collapsed, length capped."""
    return " ".join(CONTROL.sub(" ", text).split())[:MAX_QUERY]


def search(session: Session, text: str, page: int = 1, per_page: int = PER_PAGE) -> SearchResult:
    """Bikes, makes and parts for a rider's query; an empty query finds nothing."""
    query = clean_query(text)
    if not query:
        return SearchResult(query="")
    page = max(1, min(page, math.ceil(MAX_RESULTS / per_page)))
    year_match = YEAR_TOKEN.search(query)
    year = int(year_match.group(1)) if year_match else None
    bike_text = YEAR_TOKEN.sub(" ", query) if year_match else query
    bikes = _bike_hits(session, bike_text, year)
    makes = _make_hits(session, bike_text)
    parts, total = _part_hits(session, query, page, per_page)
    corrected = ""
    if not parts and not bikes and not makes:
        corrected = _corrected(session, query)
        if corrected and corrected.lower() != query.lower():
            parts, total = _part_hits(session, corrected, page, per_page)
            bikes = _bike_hits(session, corrected, year)
        else:
            corrected = ""
    suggestions: tuple[str, ...] = ()
    if not parts and not bikes and not makes:
        suggestions = _suggestions(session, bike_text)
    return SearchResult(
        query=query,
        bikes=bikes,
        makes=makes,
        parts=parts,
        total=total,
        page=page,
        per_page=per_page,
        corrected=corrected if (parts or bikes) else "",
        suggestions=suggestions,
    )


# ---------------------------------------------------------------- bikes


def _bike_hits(session: Session, text: str, year: int | None) -> tuple[BikeHit, ...]:
    """Models whose (make +) model key contains the query's key, or is close to it."""
    key = name_key(text)
    if len(key) < MIN_BIKE_KEY:
        return ()
    pattern = f"%{_escape_like(key)}%"
    by_model = select(BikeModel.id.label("id"), literal(3).label("score")).where(
        BikeModel.name_key.like(pattern, escape="\\")
    )
    by_alias = select(ModelAlias.model_id, literal(3)).where(
        ModelAlias.alias_key.like(pattern, escape="\\")
    )
    # "kawasaki zx10r": the key starts with a make's key and the rest is in a model of it
    # (keys are letters and digits only, so the rest needs no LIKE escaping).
    rest = func.substr(key, func.length(Make.name_key) + 1)
    by_make = (
        select(BikeModel.id, literal(2))
        .join(Make, Make.id == BikeModel.make_id)
        .where(
            literal(key).like(func.concat(Make.name_key, "%")),
            func.length(rest) >= 2,
            BikeModel.name_key.like(func.concat("%", rest, "%")),
        )
    )
    exact = union_all(by_model, by_alias, by_make).subquery("candidates")
    found = _ranked_models(session, exact, key)
    if not found:  # nothing contains the key: the closest names instead ("cbr600r")
        similar = select(BikeModel.id.label("id"), literal(1).label("score")).where(
            BikeModel.name_key.op("%")(key)
        )
        found = _ranked_models(session, similar.subquery("candidates"), key)
    if not found:
        return ()
    years: dict[int, list[int]] = defaultdict(list)
    for model_id, model_year in session.execute(
        select(Vehicle.model_id, Vehicle.year)
        .where(Vehicle.model_id.in_([row[0] for row in found]))
        .distinct()
        .order_by(Vehicle.model_id, Vehicle.year)
    ):
        years[model_id].append(model_year)
    hits = []
    for model_id, make_name, make_slug, name, slug, code in found:
        known = years[model_id]
        model = ModelRef(model_id, MakeRef(make_name, make_slug), name, slug, code)
        hits.append(BikeHit(model, compress_years(known), year if year in known else None))
    return tuple(hits)


def _ranked_models(session: Session, candidates: Any, key: str) -> list[Any]:
    """The best BIKE_LIMIT models among candidate (id, score) rows, with their makes."""
    best = (
        select(candidates.c.id, func.max(candidates.c.score).label("score"))
        .group_by(candidates.c.id)
        .subquery("best")
    )
    return list(
        session.execute(
            select(
                BikeModel.id,
                Make.name,
                Make.slug,
                BikeModel.name,
                BikeModel.slug,
                BikeModel.model_code,
            )
            .join(best, best.c.id == BikeModel.id)
            .join(Make, Make.id == BikeModel.make_id)
            .order_by(
                best.c.score.desc(),
                func.similarity(BikeModel.name_key, key).desc(),
                Make.name,
                BikeModel.name,
            )
            .limit(BIKE_LIMIT)
        ).all()
    )


def _make_hits(session: Session, text: str) -> tuple[MakeRef, ...]:
    """Makes named by the query ("honda", "harley"), when no model matched."""
    key = name_key(text)
    if len(key) < MIN_BIKE_KEY:
        return ()
    rows = session.execute(
        select(Make.name, Make.slug)
        .where(
            or_(
                Make.name_key.like(f"{_escape_like(key)}%", escape="\\"),
                Make.name_key.op("%")(key),
            ),
            select(BikeModel.id).where(BikeModel.make_id == Make.id).exists(),
        )
        .order_by(func.similarity(Make.name_key, key).desc(), Make.name)
        .limit(3)
    )
    return tuple(MakeRef(name, slug) for name, slug in rows)


# ---------------------------------------------------------------- parts


def _part_hits(
    session: Session, text: str, page: int, per_page: int
) -> tuple[tuple[PartHit, ...], int]:
    """Parts by number first, then by full text; returns a page of hits and the total.

    Candidates are scored once (at most MAX_RESULTS + 1 from each source), merged and
    sorted here, and only the page's parts are then read with their brand and category.
    """
    scores: dict[int, float] = {}
    by_number = _number_matches(text)
    if by_number is not None:
        for part_id, score in session.execute(by_number):
            scores[part_id] = max(score, scores.get(part_id, 0.0))
    brand_ids, rest = _leading_brand(session, text)
    words, narrowed = (rest, brand_ids) if brand_ids and rest else (text, ())
    ranked: list[tuple[int, float]] = []
    matched = 0
    if brand_ids and not rest:  # just a brand name: its parts
        ranked = [(row[0], row[1]) for row in session.execute(_brand_ids(brand_ids))]
        matched = len(ranked)
    if not ranked:
        matched = session.scalar(_fulltext_count(words, narrowed)) or 0
        if not matched and narrowed:  # "brand + words" found nothing: the words, any brand
            narrowed = ()
            matched = session.scalar(_fulltext_count(words, narrowed)) or 0
        if matched:
            ranked = [(row[0], row[1]) for row in session.execute(_fulltext_ids(words, narrowed))]
    for part_id, score in ranked:
        scores[part_id] = max(score, scores.get(part_id, 0.0))
    if not scores:
        return (), 0
    order = sorted(scores, key=lambda part_id: (-scores[part_id], part_id))
    total = max(len(order), len(order) - len(ranked) + matched)
    start = (page - 1) * per_page
    page_ids = order[start : start + per_page]
    if len(page_ids) < per_page and total > len(order):
        # Past the ranked few: further matches in index order (no score, after the ranked).
        skip = max(0, start - len(order))
        extra = session.scalars(
            select(Part.id)
            .where(
                Part.search_vector.op("@@")(_tsquery(words, narrowed)),
                Part.id.not_in(order),
            )
            .order_by(Part.id)
            .offset(skip)
            .limit(per_page - len(page_ids))
        ).all()
        page_ids += extra
        for part_id in extra:
            scores[part_id] = 0.0
    if not page_ids:
        return (), total
    paths = category_paths()
    rows = {
        row[0]: row[1:]
        for row in session.execute(
            select(
                Part.id, Brand.name, Brand.slug, Part.mpn, Part.mpn_key, Part.title, paths.c.path
            )
            .join(Brand, Brand.id == Part.brand_id)
            .outerjoin(paths, paths.c.id == Part.category_id)
            .where(Part.id.in_(page_ids))
        )
    }
    hits = tuple(
        PartHit(PartRef(brand, bslug, mpn, key.lower(), title), path, by_number=scores[pid] >= 10)
        for pid in page_ids
        if pid in rows
        for brand, bslug, mpn, key, title, path in (rows[pid],)
    )
    return hits, total


def _number_matches(text: str) -> Select[int, float] | None:
    """Parts whose MPN key equals (score 20) or starts with (score 10) a key in the query.

    The whole query is tried as one number ("cm 4401") and each word with a digit on its
    own ("ebc fa390hh").
    """
    keys = {mpn_key(text)} | {
        mpn_key(word) for word in text.split() if any(c.isdigit() for c in word)
    }
    keys = {key for key in keys if len(key) >= MIN_MPN_KEY and any(c.isdigit() for c in key)}
    if not keys:
        return None
    exact = select(Part.id.label("id"), literal(20.0).label("score")).where(
        Part.mpn_key.in_(sorted(keys))
    )
    prefixes = [
        select(Part.id, literal(10.0))
        .where(Part.mpn_key.like(f"{_escape_like(key)}%", escape="\\"), Part.mpn_key != key)
        .limit(MAX_RESULTS)
        for key in sorted(keys)
    ]
    return union_all(exact, *prefixes)  # type: ignore[return-value]


def _tsquery(text: str, brand_ids: tuple[int, ...]) -> Any:
    """websearch_to_tsquery of the words, AND one of the brands' `brand<id>` tokens."""
    words: Any = func.websearch_to_tsquery("english", text)
    if not brand_ids:
        return words
    brands = func.to_tsquery("simple", " | ".join(f"brand{int(b)}" for b in brand_ids))
    return brands.op("&&")(words)


def _fulltext_ids(text: str, brand_ids: tuple[int, ...]) -> Select[int, float]:
    """Up to RANKED full-text matches, scored by ts_rank_cd (0 < score < 10).

    Ranking reads each match's vector, so it runs over a bounded set: the first matches the
    GIN index yields, not every part that mentions "pads". A brand narrows the query inside
    the index through the vector's `brand<id>` tokens.
    """
    query = _tsquery(text, brand_ids)
    matches = (
        select(Part.id.label("id"), Part.search_vector.label("vector"))
        .where(Part.search_vector.op("@@")(query))
        .limit(RANKED)
        .subquery("matches")
    )
    return select(
        matches.c.id,
        (func.least(func.ts_rank_cd(matches.c.vector, query), 9.0)).label("score"),
    )


def _fulltext_count(text: str, brand_ids: tuple[int, ...]) -> Select[int]:
    """How many parts match, counted up to MAX_RESULTS + 1 (no ranking: index only)."""
    query = _tsquery(text, brand_ids)
    found = (
        select(Part.id).where(Part.search_vector.op("@@")(query)).limit(MAX_RESULTS + 1)
    ).subquery("found")
    return select(func.count()).select_from(found)


def _brand_ids(brand_ids: tuple[int, ...]) -> Select[int, float]:
    """A brand's parts when the query is just the brand's name."""
    return (
        select(Part.id.label("id"), literal(1.0).label("score"))
        .where(Part.brand_id.in_(brand_ids))
        .limit(MAX_RESULTS + 1)
    )


def _leading_brand(session: Session, text: str) -> tuple[tuple[int, ...], str]:
    """Brands the query starts with ("EBC Brakes pads", "ebc pads") and the words after."""
    words = WORDS.findall(text)
    if not words:
        return (), ""
    first = name_key(words[0])
    whole = name_key(text)
    if len(whole) < 2:
        return (), ""
    condition: ColumnElement[bool] = literal(whole).like(func.concat(Brand.name_key, "%"))
    if len(first) >= 2:
        condition = or_(condition, Brand.name_key.like(f"{_escape_like(first)}%", escape="\\"))
    rows = session.execute(
        select(Brand.id, Brand.name_key)
        .where(condition, func.length(Brand.name_key) >= 2)
        .order_by(func.length(Brand.name_key).desc())
        .limit(5)
    ).all()
    if not rows:
        return (), ""
    longest = rows[0][1]
    if whole.startswith(longest):
        # Drop as many leading words as the brand name uses ("EBC Brakes pads" → "pads").
        consumed, used = "", 0
        while used < len(words) and len(consumed) < len(longest):
            consumed += name_key(words[used])
            used += 1
        ids = tuple(brand_id for brand_id, key in rows if whole.startswith(key))
        return ids, " ".join(words[used:])
    return tuple(brand_id for brand_id, _ in rows), " ".join(words[1:])


# ---------------------------------------------------------------- typos and suggestions


def _corrected(session: Session, text: str) -> str:
    """The query with each unknown word replaced by the closest known word, or ""."""
    words = WORDS.findall(text.lower())
    if not words or len(words) > 6:
        return ""
    fixed = []
    changed = False
    for word in words:
        if len(word) < 3 or any(c.isdigit() for c in word):
            fixed.append(word)
            continue
        best = _closest_word(session, word)
        if best and best != word:
            fixed.append(best)
            changed = True
        else:
            fixed.append(word)
    return " ".join(fixed) if changed else ""


def _closest_word(session: Session, word: str) -> str | None:
    """The known word closest to `word`: a word of the part titles (the `search_terms`
    vocabulary) or of a brand name, by trigram similarity through their indexes."""
    terms = select(
        SearchTerm.term.label("word"), func.similarity(SearchTerm.term, word).label("score")
    ).where(SearchTerm.term.op("%")(word))
    brand_words = (
        select(
            func.unnest(func.regexp_split_to_array(func.lower(Brand.name), r"[^[:alnum:]]+")).label(
                "word"
            )
        )
        .where(Brand.name_key.op("%")(word))
        .subquery("brand_words")
    )
    brands = select(brand_words.c.word, func.similarity(brand_words.c.word, word))
    words = union_all(terms, brands).subquery("words")
    row = session.execute(
        select(words.c.word, words.c.score)
        .where(func.length(words.c.word) >= 3)
        .order_by(words.c.score.desc(), words.c.word)
        .limit(1)
    ).first()
    if row is None or row[1] < WORD_SIMILARITY:
        return None
    return str(row[0])


def _suggestions(session: Session, text: str) -> tuple[str, ...]:
    """Names close to the query (makes, models, brands) for "did you mean" on no results."""
    key = name_key(text)
    if len(key) < MIN_BIKE_KEY:
        return ()
    makes = select(Make.name.label("name"), func.similarity(Make.name_key, key).label("score"))
    models = (
        select(
            func.concat(Make.name, " ", BikeModel.name).label("name"),
            func.similarity(BikeModel.name_key, key).label("score"),
        )
        .join(Make, Make.id == BikeModel.make_id)
        .where(BikeModel.name_key.op("%")(key))
    )
    brands = select(Brand.name, func.similarity(Brand.name_key, key)).where(
        Brand.name_key.op("%")(key)
    )
    names = union_all(makes.where(Make.name_key.op("%")(key)), models, brands).subquery("names")
    rows = session.execute(
        select(names.c.name).order_by(names.c.score.desc(), names.c.name).limit(5)
    )
    return tuple(dict.fromkeys(row[0] for row in rows))


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
