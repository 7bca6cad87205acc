"""Duplicate detection for makes, models, brands and parts: blocking on normalized keys,
fingerprints and n-gram (deletion) neighbourhoods so it never compares all pairs, a careful
verdict per pair with its reason, and "not the same" judgements that are never re-proposed.

Rules worth knowing: model codes must match exactly (`FLHT` ≠ `FLHTC`, `ZX-10R` ≠ `ZX-10RR`,
`CBR600RR` ≠ `CBR1000RR`); only real words may differ by a typo (`Sportster` ≈ `Sporster`);
a part is a duplicate only within one brand (or brands whose names normalize alike) —
two brands sharing an MPN are different parts.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.models import BikeModel, Brand, DuplicateCandidate, Make, NotSameJudgement, Part
from app.services import audit
from app.services.names import fold, mpn_key, name_key

ENTITIES = ("make", "model", "brand", "part")
# CLI spelling (`--entity parts`) → entity.
PLURALS = {"makes": "make", "models": "model", "brands": "brand", "parts": "part"}

# Words that do not tell two makers apart ("Harley Davidson Motor Co" is Harley-Davidson).
COMPANY_WORDS = frozenset(
    [
        "motor",
        "motors",
        "motorcycle",
        "motorcycles",
        "moto",
        "company",
        "co",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "gmbh",
        "ag",
        "sa",
        "spa",
        "srl",
        "bv",
        "nv",
        "mfg",
        "manufacturing",
        "industries",
        "group",
        "usa",
        "the",
        "and",
        "of",
    ]
)
# Brands often carry their product line in the name ("EBC" / "EBC Brakes").
BRAND_WORDS = COMPANY_WORDS | frozenset(
    [
        "brakes",
        "brake",
        "parts",
        "racing",
        "performance",
        "products",
        "accessories",
        "filters",
        "filter",
        "lighting",
        "exhaust",
        "suspension",
        "powersports",
    ]
)
# Variant words belong on the vehicle (variant column), not in a model's name.
VARIANT_WORDS = frozenset({"abs", "se", "special", "edition", "le", "limited", "cbs", "tcs", "dct"})
NOISE = {"make": COMPANY_WORDS, "brand": BRAND_WORDS, "model": frozenset()}
VOWELS = frozenset("aeiouy")
MAX_BLOCK = 200  # a larger block is noise (a common word), not a duplicate cluster

_TOKENS = re.compile(r"[a-z]+|[0-9]+")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


@dataclass(frozen=True, slots=True)
class Match:
    """Why two records look like one: a score in 0..1 and the reason in words."""

    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A proposed pair, smaller id first."""

    entity: str
    left_id: int
    right_id: int
    score: float
    reason: str
    left_label: str = ""
    right_label: str = ""
    is_new: bool = False

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for `flask dedup scan --json`."""
        return {
            "entity": self.entity,
            "left_id": self.left_id,
            "right_id": self.right_id,
            "left": self.left_label,
            "right": self.right_label,
            "score": self.score,
            "reason": self.reason,
            "new": self.is_new,
        }


@dataclass
class ScanResult:
    """One entity's scan: what was proposed and what it cost."""

    entity: str
    records: int = 0
    compared: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    new: int = 0
    removed: int = 0
    suppressed: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary with every candidate."""
        return {
            "entity": self.entity,
            "records": self.records,
            "pairs_compared": self.compared,
            "new": self.new,
            "removed": self.removed,
            "suppressed_not_same": self.suppressed,
            "seconds": round(self.seconds, 3),
            "candidates": [c.as_dict() for c in self.candidates],
        }


# --- the verdict on one pair of names -------------------------------------------------------


def tokens(value: str) -> list[str]:
    """Folded words and numbers, split at letter/digit boundaries ("ZX-10R" → zx 10 r)."""
    return _TOKENS.findall(fold(value))


def _is_word(token: str) -> bool:
    """A real word (may carry a typo) rather than a code (must match exactly): FLHTC, GSXR."""
    return len(token) >= 4 and token.isalpha() and any(ch in VOWELS for ch in token)


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's similarity of two keys (shared / all padded trigrams)."""

    def grams(value: str) -> set[str]:
        padded = f"  {value} "
        return {padded[i : i + 3] for i in range(len(padded) - 2)}

    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga | gb) if ga or gb else 0.0


def compare_names(a: str, b: str, entity: str) -> Match | None:  # noqa: PLR0911 - one rule each
    """Are two make/model/brand names one thing? None when they are (or may be) different.

    "CBR 600 RR" ≈ "CBR600RR" (same key), "ZX-10R Ninja" ≈ "Ninja ZX-10R" (same words),
    "Harley Davidson Motor Co" ≈ "Harley-Davidson" (company words), "Ninja ZX-10R ABS" ≈
    "Ninja ZX-10R" (variant word), "Sporster" ≈ "Sportster" (a typo in a word); but
    "FLHT" ≠ "FLHTC" and "CBR600RR" ≠ "CBR1000RR" (codes and numbers must match).
    """
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return None
    if ka == kb:
        return Match(0.99, "same normalized key")
    noise = NOISE.get(entity, frozenset())
    ta, tb = tokens(a), tokens(b)
    ca, cb = [t for t in ta if t not in noise], [t for t in tb if t not in noise]
    if not ca or not cb:
        return None
    if sorted(ca) == sorted(cb):
        if sorted(ta) == sorted(tb):
            return Match(0.95, "same words in another order (fingerprint)")
        extra = sorted((set(ta) ^ set(tb)) & noise)
        return Match(0.9, f"same name apart from {' '.join(repr(w) for w in extra)}")
    if entity == "model":
        va, vb = set(ca) - VARIANT_WORDS, set(cb) - VARIANT_WORDS
        if va and va == vb and sorted(set(ca)) != sorted(set(cb)):
            extra = sorted(set(ca) ^ set(cb))
            return Match(0.8, f"same model apart from variant {' '.join(extra).upper()}")
    return _typo_match(ka, kb, ca, cb)


def _typo_match(ka: str, kb: str, ca: list[str], cb: list[str]) -> Match | None:
    """One real word spelled differently, everything else (codes, numbers) identical."""
    if len(ca) != len(cb):
        return None
    only_a = sorted(set(ca) - set(cb))
    only_b = sorted(set(cb) - set(ca))
    if len(only_a) != 1 or len(only_b) != 1:
        return None
    wa, wb = only_a[0], only_b[0]
    if not (_is_word(wa) and _is_word(wb)):
        return None
    if wa.startswith(wb) or wb.startswith(wa) or wa.endswith(wb) or wb.endswith(wa):
        return None  # an extension ("Sport" / "Sports") names another thing more often than not
    from rapidfuzz.distance import OSA  # loaded on the first scan, not by every web worker

    allowed = 2 if min(len(wa), len(wb)) >= 8 else 1
    if OSA.distance(wa, wb) > allowed:
        return None
    similarity = trigram_similarity(ka, kb)
    return Match(
        round(0.6 + 0.3 * similarity, 3),
        f"spelling variant '{wa}' ~ '{wb}' (trigram similarity {similarity:.2f})",
    )


def _deletions(word: str, depth: int) -> set[str]:
    """The word and its variants with up to `depth` letters deleted (SymSpell blocking)."""
    found, frontier = {word}, {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _block_keys(name: str, entity: str) -> set[str]:
    """Every block a name falls into; two names are compared only when they share one."""
    key = name_key(name)
    noise = NOISE.get(entity, frozenset())
    core = [t for t in tokens(name) if t not in noise]
    keys = {f"k:{key}"}
    if core:
        keys.add("f:" + " ".join(sorted(core)))
        plain = sorted(set(core) - VARIANT_WORDS)
        if plain:
            keys.add("v:" + " ".join(plain))
        for i, word in enumerate(core):
            if not _is_word(word):
                continue
            rest = " ".join(sorted(core[:i] + core[i + 1 :]))
            for variant in _deletions(word, 2 if len(word) >= 8 else 1):
                keys.add(f"t:{rest}~{variant}")
    return keys


def _pairs_in_blocks(blocks: dict[tuple[object, str], list[int]]) -> Iterator[tuple[int, int]]:
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        for a, b in itertools.combinations(sorted(set(members)), 2):
            if (a, b) not in seen:
                seen.add((a, b))
                yield a, b


# --- scanning ---------------------------------------------------------------------------------


def _name_records(session: Session, entity: str) -> list[tuple[int, object, str, str]]:
    """(id, scope, name, label) per record; models are only compared within their make."""
    if entity == "make":
        return [(i, None, n, n) for i, n in session.execute(select(Make.id, Make.name))]
    if entity == "brand":
        return [(i, None, n, n) for i, n in session.execute(select(Brand.id, Brand.name))]
    rows = session.execute(
        select(BikeModel.id, BikeModel.make_id, BikeModel.name, Make.name).join(
            Make, Make.id == BikeModel.make_id
        )
    )
    return [(i, make_id, n, f"{make} {n}") for i, make_id, n, make in rows]


def _scan_names(session: Session, entity: str, result: ScanResult) -> dict[tuple[int, int], Match]:
    records = _name_records(session, entity)
    result.records = len(records)
    by_id = {rec[0]: rec for rec in records}
    blocks: dict[tuple[object, str], list[int]] = defaultdict(list)
    for ident, scope, name, _ in records:
        for key in _block_keys(name, entity):
            blocks[(scope, key)].append(ident)
    found: dict[tuple[int, int], Match] = {}
    for a, b in _pairs_in_blocks(blocks):
        result.compared += 1
        match = compare_names(by_id[a][2], by_id[b][2], entity)
        if match is not None:
            found[(a, b)] = match
    return found


def _brand_classes(session: Session) -> dict[int, str]:
    """Brand id → class key: brands whose names normalize alike ("EBC" / "E.B.C. Brakes")."""
    classes: dict[int, str] = {}
    for ident, name in session.execute(select(Brand.id, Brand.name)):
        core = [t for t in tokens(name) if t not in BRAND_WORDS] or tokens(name)
        classes[ident] = "".join(core) or name_key(name)
    return classes


def _scan_parts(session: Session, result: ScanResult) -> dict[tuple[int, int], Match]:
    """Parts: same brand (class) and same MPN apart from punctuation, or the same GTIN."""
    classes = _brand_classes(session)
    brand_names = dict(session.execute(select(Brand.id, Brand.name)).all())
    by_mpn: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_gtin: dict[str, list[int]] = defaultdict(list)
    info: dict[int, tuple[int, str]] = {}
    rows = session.execute(select(Part.id, Part.brand_id, Part.mpn, Part.gtin))
    for ident, brand_id, mpn, gtin in rows:
        key = mpn_key(mpn)
        info[ident] = (brand_id, key)
        fingerprint = _NOT_ALNUM.sub("", key) or key
        by_mpn[(classes.get(brand_id, str(brand_id)), fingerprint)].append(ident)
        if gtin:
            by_gtin[gtin].append(ident)
    result.records = len(info)
    found: dict[tuple[int, int], Match] = {}
    for a, b in _pairs_in_blocks({("m", f"{k}"): v for k, v in by_mpn.items()}):
        result.compared += 1
        (brand_a, key_a), (brand_b, key_b) = info[a], info[b]
        if brand_a == brand_b:
            found[(a, b)] = (
                Match(0.98, "same brand, same MPN key")
                if key_a == key_b
                else Match(0.95, "same brand, same MPN apart from punctuation")
            )
        else:
            found[(a, b)] = Match(
                0.85,
                f"same MPN; brands '{brand_names.get(brand_a)}' and "
                f"'{brand_names.get(brand_b)}' normalize alike",
            )
    for a, b in _pairs_in_blocks({("g", k): v for k, v in by_gtin.items()}):
        result.compared += 1
        found.setdefault((a, b), Match(0.97, "same GTIN (trade item number)"))
    return found


def labels(session: Session, entity: str, ids: Iterable[int]) -> dict[int, str]:
    """Readable names for records of an entity ("Honda CBR600RR", "EBC FA-390HH")."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    if entity == "make":
        query = select(Make.id, Make.name).where(Make.id.in_(wanted))
        return dict(session.execute(query).all())
    if entity == "brand":
        query = select(Brand.id, Brand.name).where(Brand.id.in_(wanted))
        return dict(session.execute(query).all())
    if entity == "model":
        rows = session.execute(
            select(BikeModel.id, Make.name, BikeModel.name)
            .join(Make, Make.id == BikeModel.make_id)
            .where(BikeModel.id.in_(wanted))
        )
        return {i: f"{make} {name}" for i, make, name in rows}
    rows = session.execute(
        select(Part.id, Brand.name, Part.mpn)
        .join(Brand, Brand.id == Part.brand_id)
        .where(Part.id.in_(wanted))
    )
    return {i: f"{brand} {mpn}" for i, brand, mpn in rows}


def not_same_pairs(session: Session, entity: str) -> set[tuple[int, int]]:
    """Every pair a curator judged different: never proposed again."""
    return set(
        session.execute(
            select(NotSameJudgement.left_id, NotSameJudgement.right_id).where(
                NotSameJudgement.entity == entity
            )
        )
    )


def scan(session: Session, entity: str) -> ScanResult:
    """Propose candidate pairs for one entity and store them (flushes, never commits).

    New pairs are added as open candidates, open ones get their score and reason refreshed,
    open ones this scan no longer finds are removed, and pairs judged "not the same" (or
    already dismissed or merged) are left alone.
    """
    entity = PLURALS.get(entity, entity)
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}; choose one of {', '.join(PLURALS)}")
    started = time.perf_counter()
    result = ScanResult(entity)
    found = (
        _scan_parts(session, result) if entity == "part" else _scan_names(session, entity, result)
    )
    judged = not_same_pairs(session, entity)
    result.suppressed = len(found.keys() & judged)
    proposals = {pair: m for pair, m in found.items() if pair not in judged}
    _store(session, entity, proposals, result)
    result.seconds = time.perf_counter() - started
    return result


def _store(
    session: Session, entity: str, proposals: dict[tuple[int, int], Match], result: ScanResult
) -> None:
    existing = {
        (left, right): (ident, status)
        for ident, left, right, status in session.execute(
            select(
                DuplicateCandidate.id,
                DuplicateCandidate.left_id,
                DuplicateCandidate.right_id,
                DuplicateCandidate.status,
            ).where(DuplicateCandidate.entity == entity)
        )
    }
    fresh = [pair for pair in proposals if pair not in existing]
    if fresh:
        session.execute(
            insert(DuplicateCandidate)
            .values(
                [
                    {
                        "entity": entity,
                        "left_id": a,
                        "right_id": b,
                        "score": proposals[(a, b)].score,
                        "reason": proposals[(a, b)].reason[:200],
                    }
                    for a, b in fresh
                ]
            )
            .on_conflict_do_nothing()
        )
    for pair, match in proposals.items():
        if pair in existing and existing[pair][1] == "open":
            session.execute(
                update(DuplicateCandidate)
                .where(DuplicateCandidate.id == existing[pair][0])
                .values(score=match.score, reason=match.reason[:200])
            )
    stale = [
        ident
        for pair, (ident, status) in existing.items()
        if status == "open" and pair not in proposals
    ]
    if stale:
        session.execute(delete(DuplicateCandidate).where(DuplicateCandidate.id.in_(stale)))
    session.flush()
    result.new = len(fresh)
    result.removed = len(stale)
    open_pairs = [pair for pair in proposals if pair not in existing or existing[pair][1] == "open"]
    names = labels(session, entity, {i for pair in open_pairs for i in pair})
    fresh_set = set(fresh)
    result.candidates = sorted(
        (
            Candidate(
                entity,
                a,
                b,
                proposals[(a, b)].score,
                proposals[(a, b)].reason,
                names.get(a, f"#{a}"),
                names.get(b, f"#{b}"),
                (a, b) in fresh_set,
            )
            for a, b in open_pairs
        ),
        key=lambda c: (-c.score, c.left_id, c.right_id),
    )


def scan_all(session: Session, entities: Iterable[str] = ENTITIES) -> list[ScanResult]:
    """Scan several entities (makes first: a merged make changes its models' scope)."""
    return [scan(session, entity) for entity in entities]


# --- curator decisions ------------------------------------------------------------------------


def judge_not_same(
    session: Session,
    entity: str,
    a_id: int,
    b_id: int,
    *,
    actor_id: int | None,
    note: str = "",
) -> NotSameJudgement:
    """Record "these two are different"; idempotent, audited on both records."""
    left, right = sorted((a_id, b_id))
    if left == right:
        raise ValueError("a record cannot be judged different from itself")
    row = session.scalar(
        select(NotSameJudgement).where(
            tuple_(NotSameJudgement.entity, NotSameJudgement.left_id, NotSameJudgement.right_id)
            == tuple_(entity, left, right)
        )
    )
    if row is None:
        row = NotSameJudgement(
            entity=entity, left_id=left, right_id=right, note=note[:500], judged_by_id=actor_id
        )
        session.add(row)
        session.flush()
    for ident, other in ((left, right), (right, left)):
        audit.record(
            session,
            actor_id=actor_id,
            action="not_same",
            entity=entity,
            entity_id=ident,
            after={"not_same_as": other, "judgement_id": row.id},
            note=note,
        )
    return row


def dismiss(
    session: Session,
    candidate_id: int,
    *,
    actor_id: int | None,
    note: str = "",
    now: dt.datetime | None = None,
) -> DuplicateCandidate:
    """A curator says the pair is not a duplicate: close it and never propose it again."""
    candidate = session.get(DuplicateCandidate, candidate_id, with_for_update=True)
    if candidate is None:
        raise ValueError(f"duplicate candidate #{candidate_id} does not exist")
    if candidate.status != "open":
        raise ValueError(f"this pair was already {candidate.status}")
    judge_not_same(
        session,
        candidate.entity,
        candidate.left_id,
        candidate.right_id,
        actor_id=actor_id,
        note=note,
    )
    candidate.status = "dismissed"
    candidate.resolved_by_id = actor_id
    candidate.resolved_at = now or dt.datetime.now(dt.UTC)
    session.flush()
    return candidate
