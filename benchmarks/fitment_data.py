"""A seeded, realistic, messy fitment CSV for the import benchmark (and big-file tests).

~50k parts from ~300 brands across thousands of models, written the way vendor files
really look: MPNs spelled three ways, brands in shouting case, every year form the importer
accepts, quoted notes with commas, accented makes, CRLF line endings and a sprinkling of
invalid rows (bad years, unknown positions, missing MPNs).
"""

from __future__ import annotations

import random
from pathlib import Path

HEADER = "Part Number,Brand,Title,Category,Make,Model,Years,Position,Qty,Notes"
MAKES = [
    "Honda",
    "Yamaha",
    "Kawasaki",
    "Suzuki",
    "Ducati",
    "BMW",
    "KTM",
    "Triumph",
    "Aprilia",
    "Harley-Davidson",
    "Indian",
    "Moto Guzzi",
    "MV Agusta",
    "Husqvarna",
    "Royal Enfield",
    "Benelli",
    "Zündapp",
    "Gas Gas",
    "Beta",
    "Sherco",
    "CFMoto",
    "Kymco",
    "Piaggio",
    "Vespa",
    "Buell",
    "Bimota",
    "Norton",
    "Ural",
    "Victory",
    "Zero",
    "Energica",
    "Hyosung",
    "SWM",
    "Fantic",
    "Husaberg",
    "Cagiva",
    "Laverda",
    "Bultaco",
    "Montesa",
    "Ossa",
]
CATEGORIES = [
    "Brake Pads",
    "Brake Rotors",
    "Brake Lines",
    "Air Filters",
    "Oil Filters",
    "Spark Plugs",
    "Chains",
    "Front Sprockets",
    "Rear Sprockets",
    "Batteries",
    "Lighting",
    "Levers",
    "Grips",
    "Windscreens",
    "Frame Sliders",
    "Fork Springs",
    "Rear Shocks",
]
SUFFIXES = ["", "R", "RR", "S", "X", " Adventure", " Sport"]
SIZES = [125, 250, 300, 390, 500, 600, 650, 750, 800, 900, 1000, 1200, 1290]
NOUNS = [
    "Pads",
    "Rotor",
    "Line Kit",
    "Air Filter",
    "Oil Filter",
    "Plug",
    "Chain",
    "Sprocket",
    "Battery",
    "Bulb",
    "Lever",
    "Grips",
    "Screen",
    "Sliders",
    "Springs",
    "Shock",
]
POSITIONS = ["", "", "", "", "front", "rear", "Front", "REAR", "F", "rr", "pair", "left", "RH"]
NOTES = [
    "",
    "",
    "",
    "",
    "",
    "",
    "Non-ABS",
    "ABS models only",
    "Requires adapter, sold separately",
    "Fits with OEM caliper",
    "Not for Café Racer trim",
]


def _brand_names(rng: random.Random, count: int) -> list[str]:
    syllables = [
        "Apex",
        "Ridge",
        "Torque",
        "Blue",
        "Nord",
        "Sakura",
        "Iron",
        "Volt",
        "Pine",
        "Red",
        "Gravel",
        "Corsa",
        "Moto",
        "Race",
        "Trail",
        "Storm",
        "Alpine",
        "Desert",
    ]
    kinds = [
        "Moto",
        "Performance",
        "Works",
        "Brakes",
        "Parts",
        "Racing",
        "Supply",
        "Components",
        "Filtration",
        "Engineering",
    ]
    names: set[str] = set()
    while len(names) < count:
        names.add(f"{rng.choice(syllables)}{rng.choice(syllables).lower()} {rng.choice(kinds)}")
    return sorted(names)


def _models(rng: random.Random, per_make: int) -> list[tuple[str, str, int, int]]:
    models = []
    for make in MAKES:
        names: set[str] = set()
        while len(names) < per_make:
            letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTVXZ") for _ in range(rng.randint(1, 3)))
            size = rng.choice(SIZES)
            names.add(f"{letters}{size}{rng.choice(SUFFIXES)}")
        for name in sorted(names):
            first = rng.randint(1995, 2022)
            models.append((make, name, first, min(2026, first + rng.randint(2, 12))))
    return models


def _mpn_variant(rng: random.Random, mpn: str) -> str:
    roll = rng.random()
    if roll < 0.12:
        return mpn.lower()
    if roll < 0.2:
        return mpn.replace("-", " ")
    if roll < 0.26:
        return mpn.replace("-", "")
    return mpn


def _brand_variant(rng: random.Random, brand: str) -> str:
    roll = rng.random()
    if roll < 0.08:
        return brand.upper()
    if roll < 0.12:
        return f"  {brand} "
    if roll < 0.15:
        return brand.replace(" ", "-")
    return brand


def _years(rng: random.Random, first: int, last: int) -> str:  # noqa: PLR0911 - one per form
    start = rng.randint(first, last)
    end = min(last, start + rng.randint(1, 3))
    roll = rng.random()
    if roll < 0.50:
        return str(start)
    if roll < 0.70:
        return f"{start}-{end}"
    if roll < 0.74:
        return f"{start % 100:02d}-{end % 100:02d}"
    if roll < 0.78:
        return f"'{start % 100:02d}-'{end % 100:02d}"
    if roll < 0.82:
        return f"{start} - {end % 100:02d}"
    if roll < 0.87:
        return f"{start}, {end}" if end != start else str(start)
    if roll < 0.89 and last >= 2024:
        return f"{max(start, 2023)}+"
    if roll < 0.90 and last >= 2024:
        return f"{max(start, 2023)}-UP"
    return str(start)


def _quote(value: str) -> str:
    if any(ch in value for ch in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def generate(path: Path, rows: int, *, seed: int = 2026, parts: int = 50_000) -> Path:
    """Write `rows` data rows to `path` (CRLF, UTF-8) and return it."""
    rng = random.Random(seed)
    brands = _brand_names(rng, 300)
    models = _models(rng, per_make=100)
    catalog = []
    for index in range(parts):
        brand = brands[index % len(brands)]
        prefix = "".join(w[0] for w in brand.split()).upper()
        category = rng.choice(CATEGORIES)
        catalog.append(
            (
                f"{prefix}-{index:05d}{rng.choice(['', 'HH', 'X', '-R'])}",
                brand,
                f"{brand} {rng.choice(NOUNS)}",
                category,
            )
        )
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\r\n")
        for line in range(rows):
            mpn, brand, title, category = catalog[rng.randrange(parts)]
            make, model, first, last = models[rng.randrange(len(models))]
            years = _years(rng, first, last)
            position = rng.choice(POSITIONS)
            qty = rng.choice(["", "", "", "1", "2"])
            note = rng.choice(NOTES)
            if line % 500 == 7:  # the messy minority: invalid on purpose
                roll = rng.random()
                if roll < 0.4:
                    years = rng.choice(["1850", "2045", "2019-2012", "soon"])
                elif roll < 0.7:
                    position = "sideways"
                else:
                    mpn = ""
            cells = [
                _mpn_variant(rng, mpn),
                _brand_variant(rng, brand),
                title,
                category,
                make,
                model,
                years,
                position,
                qty,
                note,
            ]
            out.write(",".join(_quote(c) for c in cells) + "\r\n")
    return path
