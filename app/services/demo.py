"""The demo catalog: real make/model names (vPIC subset) plus seeded, generated parts data.

What is real and what is generated is documented in data/reference/ATTRIBUTION.md.
Everything is deterministic: the same seed gives the same catalog, so pages and tests can
rely on it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.models import (
    BikeModel,
    Brand,
    Category,
    Fitment,
    FitmentEvidence,
    ImportBatch,
    Make,
    MakeAlias,
    NotSameJudgement,
    Offer,
    Part,
    Retailer,
    Vehicle,
)
from app.services.names import clean_display, mpn_key, name_key, slugify

REFERENCE_CSV = Path(__file__).resolve().parents[2] / "data" / "reference" / "vpic_demo_models.csv"
YEAR_FLOOR, YEAR_CEILING = 2010, 2025
SEED = 2026

# vPIC spelling → the name riders use (vPIC's spelling becomes an alias).
MAKE_DISPLAY = {
    "APRILIA": "Aprilia",
    "Indian Motorcycle": "Indian",
    "MV Agusta Motor": "MV Agusta",
}

CATEGORIES = {
    "Brakes": ["Brake Pads", "Brake Rotors", "Brake Lines"],
    "Engine": ["Air Filters", "Oil Filters", "Spark Plugs"],
    "Drive": ["Chains", "Front Sprockets", "Rear Sprockets"],
    "Electrical": ["Batteries", "Lighting"],
    "Controls": ["Levers", "Grips"],
    "Body": ["Windscreens", "Frame Sliders"],
    "Suspension": ["Fork Springs", "Rear Shocks"],
}
# Positions that make sense per leaf category.
POSITIONS = {
    "Brake Pads": ["front", "rear"],
    "Brake Rotors": ["front", "rear"],
    "Brake Lines": ["front", "rear"],
    "Fork Springs": ["pair"],
    "Levers": ["left", "right", "set"],
    "Frame Sliders": ["pair"],
}

BRANDS = [
    "Apex Moto",
    "Ridgeline Performance",
    "Torque Works",
    "Blue Ridge Brakes",
    "Nordlicht Parts",
    "Sakura Racing",
    "Ironhorse Supply",
    "Voltline",
    "Piston & Pine",
    "Redline Filtration",
    "Gravel King",
    "Corsa Components",
]
NOUNS = {
    "Brake Pads": "Sintered Brake Pads",
    "Brake Rotors": "Wave Brake Rotor",
    "Brake Lines": "Stainless Brake Line Kit",
    "Air Filters": "High-Flow Air Filter",
    "Oil Filters": "Oil Filter",
    "Spark Plugs": "Iridium Spark Plug",
    "Chains": "X-Ring Chain 525",
    "Front Sprockets": "Steel Front Sprocket",
    "Rear Sprockets": "Aluminium Rear Sprocket",
    "Batteries": "Lithium Battery",
    "Lighting": "LED Headlight Bulb",
    "Levers": "Adjustable Lever",
    "Grips": "Touring Grips",
    "Windscreens": "Sport Windscreen",
    "Frame Sliders": "Frame Sliders",
    "Fork Springs": "Progressive Fork Springs",
    "Rear Shocks": "Adjustable Rear Shock",
}
RETAILERS = [
    ("RevZilla", "https://www.revzilla.com", ["www.revzilla.com", "revzilla.com"]),
    (
        "Rocky Mountain ATV/MC",
        "https://www.rockymountainatvmc.com",
        ["www.rockymountainatvmc.com", "rockymountainatvmc.com"],
    ),
]
STATUS_WEIGHTS = [("verified", 60), ("unverified", 25), ("needs_review", 10), ("rejected", 5)]


@dataclass(frozen=True)
class DemoSummary:
    """What load_demo created, for the log line."""

    makes: int
    models: int
    vehicles: int
    parts: int
    fitments: int
    offers: int

    def __str__(self) -> str:
        return (
            f"{self.makes} makes, {self.models} models, {self.vehicles} vehicles, "
            f"{self.parts} parts, {self.fitments} fitments, {self.offers} offers"
        )


def catalog_is_empty(session: Session) -> bool:
    """True when there are no makes yet: the signal for loading the demo on first run."""
    return session.scalar(select(Make.id).limit(1)) is None


def load_demo(
    session: Session,
    *,
    reference_csv: Path = REFERENCE_CSV,
    parts_count: int = 400,
    now: dt.datetime | None = None,
) -> DemoSummary:
    """Load the demo catalog into an empty database (flushes; the caller commits)."""
    if not catalog_is_empty(session):
        raise ValueError("the catalog is not empty; the demo loads only into an empty database")
    rng = random.Random(SEED)  # noqa: S311 - seeded demo data, not security
    now = now or dt.datetime.now(dt.UTC)
    vehicles_by_model = _load_vehicles(session, reference_csv)
    leaves = _load_categories(session)
    brands = _load_brands(session)
    parts = _load_parts(session, rng, brands, leaves, parts_count)
    fitment_count = _load_fitments(session, rng, parts, vehicles_by_model, now)
    offer_count = _load_offers(session, rng, parts, now)
    return DemoSummary(
        makes=session.scalar(select(func.count()).select_from(Make)) or 0,
        models=len(vehicles_by_model),
        vehicles=sum(len(v) for v in vehicles_by_model.values()),
        parts=len(parts),
        fitments=fitment_count,
        offers=offer_count,
    )


def _load_vehicles(session: Session, reference_csv: Path) -> dict[int, list[tuple[int, int]]]:
    """Makes, models and one vehicle per (model, year) clipped to the demo's year window."""
    makes: dict[str, Make] = {}
    models: dict[tuple[int, str], BikeModel] = {}
    spans: dict[int, set[int]] = {}
    with reference_csv.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            start = int(row["year_from"])
            end = int(row["year_to"]) if row["year_to"] else YEAR_CEILING
            years = range(max(start, YEAR_FLOOR), min(end, YEAR_CEILING) + 1)
            if not years:
                continue
            vpic_name = clean_display(row["make"])
            display = MAKE_DISPLAY.get(vpic_name, vpic_name)
            make = makes.get(display)
            if make is None:
                make = Make(name=display, slug=slugify(display), name_key=name_key(display))
                session.add(make)
                session.flush()
                makes[display] = make
                if vpic_name != display:
                    session.add(
                        MakeAlias(
                            make_id=make.id,
                            alias=vpic_name,
                            alias_key=name_key(vpic_name),
                            source="reference",
                        )
                    )
            model_name = clean_display(row["model"])
            key = (make.id, name_key(model_name))
            model = models.get(key)
            if model is None:
                model = BikeModel(
                    make_id=make.id, name=model_name, slug=slugify(model_name), name_key=key[1]
                )
                models[key] = model
                session.add(model)
            spans.setdefault(id(model), set()).update(years)
    session.flush()
    _record_harley_judgement(session, makes)
    rows = [
        {"model_id": model.id, "year": year}
        for model in models.values()
        for year in sorted(spans[id(model)])
    ]
    result = session.execute(
        insert(Vehicle).returning(Vehicle.id, Vehicle.model_id, Vehicle.year), rows
    )
    by_model: dict[int, list[tuple[int, int]]] = {}
    for vehicle_id, model_id, year in result:
        by_model.setdefault(model_id, []).append((vehicle_id, year))
    for vehicles in by_model.values():
        vehicles.sort(key=lambda pair: pair[1])
    return by_model


def _record_harley_judgement(session: Session, makes: dict[str, Make]) -> None:
    """vPIC's make "Harley" (Lil Smokey Motorcycles) is not Harley-Davidson: say so once."""
    harley, hd = makes.get("Harley"), makes.get("Harley-Davidson")
    if harley and hd:
        left, right = sorted((harley.id, hd.id))
        session.add(
            NotSameJudgement(
                entity="make",
                left_id=left,
                right_id=right,
                note="vPIC 'Harley' is Lil Smokey Motorcycles",
            )
        )


def _load_categories(session: Session) -> list[Category]:
    leaves: list[Category] = []
    for position, (parent_name, children) in enumerate(CATEGORIES.items()):
        parent = Category(name=parent_name, slug=slugify(parent_name), position=position)
        session.add(parent)
        for child_position, child in enumerate(children):
            leaf = Category(name=child, slug=slugify(child), parent=parent, position=child_position)
            session.add(leaf)
            leaves.append(leaf)
    session.flush()
    return leaves


def _load_brands(session: Session) -> list[Brand]:
    brands = [Brand(name=name, slug=slugify(name), name_key=name_key(name)) for name in BRANDS]
    session.add_all(brands)
    session.flush()
    return brands


def _load_parts(
    session: Session, rng: random.Random, brands: list[Brand], leaves: list[Category], count: int
) -> list[Part]:
    parts: list[Part] = []
    seen: set[tuple[int, str]] = set()
    while len(parts) < count:
        brand = rng.choice(brands)
        leaf = rng.choice(leaves)
        prefix = "".join(word[0] for word in brand.name.split() if word[0].isalpha()).upper()
        mpn = f"{prefix}-{rng.randint(1000, 9999)}{rng.choice(['', 'HH', 'X', '-R', '.2'])}"
        key = mpn_key(mpn)
        if (brand.id, key) in seen:
            continue
        seen.add((brand.id, key))
        parts.append(
            Part(
                brand_id=brand.id,
                mpn=mpn,
                mpn_key=key,
                title=f"{brand.name} {NOUNS[leaf.name]}",
                category_id=leaf.id,
                description=f"Demo part generated for the {leaf.path} category.",
            )
        )
    session.add_all(parts)
    session.flush()
    return parts


def _load_fitments(
    session: Session,
    rng: random.Random,
    parts: list[Part],
    vehicles_by_model: dict[int, list[tuple[int, int]]],
    now: dt.datetime,
) -> int:
    """Fitments in every status, each with import evidence and, when decided, a curator check."""
    sha = hashlib.sha256(f"demo-{SEED}".encode()).hexdigest()
    batch = ImportBatch(
        source="Demo generator",
        format="demo",
        filename="demo-fitments.csv",
        sha256=sha,
        status="committed",
        committed_at=now,
    )
    session.add(batch)
    session.flush()
    # Concentrate on long-running model lines so the demo's popular bikes have many parts.
    model_ids = sorted(vehicles_by_model, key=lambda m: (-len(vehicles_by_model[m]), m))[:150]
    categories = {c.id: c for c in session.scalars(select(Category))}
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    fitment_rows: list[dict[str, object]] = []
    evidence_text: list[tuple[str, str, int]] = []
    line = 1
    for part in parts:
        leaf = categories[part.category_id] if part.category_id else None
        positions = POSITIONS.get(leaf.name if leaf else "", [""])
        for model_id in rng.sample(model_ids, k=rng.randint(2, 6)):
            vehicles = vehicles_by_model[model_id]
            start = rng.randrange(len(vehicles))
            span = vehicles[start : start + rng.randint(1, 6)]
            status = rng.choices(statuses, weights=weights)[0]
            position = rng.choice(positions)
            for vehicle_id, year in span:
                line += 1
                fitment_rows.append(
                    {
                        "part_id": part.id,
                        "vehicle_id": vehicle_id,
                        "position": position,
                        "qty": 2 if position == "pair" else 1,
                        "status": status,
                        "verified_at": now if status == "verified" else None,
                        "note": "Non-ABS models only" if rng.random() < 0.05 else "",
                    }
                )
                evidence_text.append((f"{part.mpn},{model_id},{year},{position}", status, line))
    ids = session.execute(insert(Fitment).returning(Fitment.id), fitment_rows).scalars().all()
    evidence_rows: list[dict[str, object]] = []
    for fitment_id, (raw, status, line_no) in zip(ids, evidence_text, strict=True):
        evidence_rows.append(
            {
                "fitment_id": fitment_id,
                "kind": "import",
                "supports": True,
                "import_batch_id": batch.id,
                "line_no": line_no,
                "raw_text": raw,
            }
        )
        if status in {"verified", "rejected"}:
            evidence_rows.append(
                {
                    "fitment_id": fitment_id,
                    "kind": "curator",
                    "supports": status == "verified",
                    "note": "Checked against the manufacturer's fitment chart (demo)"
                    if status == "verified"
                    else "Wrong caliper for this year (demo)",
                }
            )
    session.execute(insert(FitmentEvidence), evidence_rows)
    batch.counts = {"new": len(ids), "updated": 0, "unchanged": 0, "invalid": 0}
    session.flush()
    return len(ids)


def _load_offers(session: Session, rng: random.Random, parts: list[Part], now: dt.datetime) -> int:
    retailers = [
        Retailer(name=name, slug=slugify(name), homepage=home, allowed_hosts=hosts)
        for name, home, hosts in RETAILERS
    ]
    session.add_all(retailers)
    session.flush()
    rows: list[dict[str, object]] = []
    for part in parts:
        for retailer in retailers:
            if rng.random() < 0.35:
                continue
            price = Decimal(rng.randint(900, 45000)) / 100
            age = dt.timedelta(hours=rng.choice([1, 3, 8, 20, 30, 80]))
            rows.append(
                {
                    "part_id": part.id,
                    "retailer_id": retailer.id,
                    "sku": f"{retailer.slug[:3].upper()}-{part.mpn_key}",
                    "url": f"{retailer.homepage}/search?query={part.mpn_key}",
                    "price": price,
                    "currency": "USD",
                    "in_stock": rng.random() > 0.2,
                    "fetched_at": now - age,
                }
            )
    session.execute(insert(Offer), rows)
    session.flush()
    return len(rows)
