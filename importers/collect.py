"""The catalog a file names: makes, models, brands, parts and vehicles, each given a `ref`.

Shared by the fitment sheet, the eBay layout and the vehicle list. Every cell is normalized
once per distinct raw value: a row whose cells were all seen before takes the fast path
(dictionary lookups only); anything new or wrong takes the slow path, which normalizes,
registers and explains. Rows then carry small integer refs that the service resolves to
database ids with set-based SQL.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from app.services.imports.staging import Entities, Row
from importers import fields
from importers.fields import FieldError
from importers.years import parse_year_span, parse_years

NOTE_CACHE_LIMIT = 50_000  # notes can be unique per row: cache the common ones only
_MISSING = object()


class Claim(NamedTuple):
    """One fitment row's cells, as strings, whatever layout they came from."""

    brand: str
    mpn: str
    title: str
    category: str
    make: str
    model: str
    years: str
    year_to: str | None  # None: `years` is a whole cell; str: `years` is year_from
    variant: str
    market: str
    position: str
    qty: str
    note: str


class Collector:
    """Registries keyed by normalized keys, caches keyed by raw cell values."""

    def __init__(self, *, this_year: int, labels: dict[str, str]) -> None:
        self.this_year = this_year
        self.labels = labels  # field → the header the person mapped (for messages)
        self.makes: dict[str, Row] = {}
        self.models: dict[tuple[int, str], Row] = {}
        self.brands: dict[str, Row] = {}
        self.parts: dict[tuple[int, str], Row] = {}
        self.vehicles: dict[tuple[int, int, str, str], int] = {}
        self.vehicle_rows: list[Row] = []
        self.used_parts: set[int] = set()
        self.used_vehicles: set[int] = set()
        # raw value → normalized value, successes only (errors are rare: recomputed).
        self.brand_ok: dict[str, int] = {}
        self.part_ok: dict[tuple[int, str], int] = {}
        self.make_ok: dict[str, int] = {}
        self.model_ok: dict[tuple[int, str], int] = {}
        self.years_ok: dict[tuple[str, str | None], tuple[int, ...]] = {}
        self.variant_ok: dict[str, str] = {"": ""}
        self.market_ok: dict[str, str] = {"": ""}
        self.position_ok: dict[str, str] = {"": ""}
        self.qty_ok: dict[str, int | None] = {"": None}
        self.note_ok: dict[str, str] = {"": ""}
        # The fast path's wider keys: raw (make, model) → model ref, and raw (position, qty,
        # note) → their normalized values (filled by rows that went through the slow path).
        self.model_raw: dict[tuple[str, str], int] = {}
        self.tail_ok: dict[tuple[str, str, str], tuple[Any, Any, str]] = {}

    # ---------------------------------------------------------------- entities

    def _register(self, kind: str, registry: dict, extra: tuple, raw: str, line_no: int) -> int:
        display, key, slug = fields.entity_name(raw, kind)
        registry_key = (*extra, key) if extra else key
        row = registry.get(registry_key)
        if row is None:
            row = (len(registry) + 1, *extra, key, display, slug, line_no)
            registry[registry_key] = row
        return int(row[0])

    def brand_ref(self, raw: str, line_no: int) -> int:
        ref = self.brand_ok.get(raw)
        if ref is None:
            ref = self.brand_ok[raw] = self._register("brand", self.brands, (), raw, line_no)
        return ref

    def make_ref(self, raw: str, line_no: int) -> int:
        ref = self.make_ok.get(raw)
        if ref is None:
            ref = self.make_ok[raw] = self._register("make", self.makes, (), raw, line_no)
        return ref

    def model_ref(self, make_ref: int, raw: str, line_no: int) -> int:
        ref = self.model_ok.get((make_ref, raw))
        if ref is None:
            ref = self._register("model", self.models, (make_ref,), raw, line_no)
            self.model_ok[(make_ref, raw)] = ref
        return ref

    def part_ref(
        self, brand_ref: int, raw_mpn: str, title: str, category: str, line_no: int
    ) -> tuple[int, str]:
        """(ref, warning). The first row naming a part supplies its title and category."""
        ref = self.part_ok.get((brand_ref, raw_mpn))
        if ref is not None:
            return ref, ""
        mpn, key = fields.part_number(raw_mpn)
        warning = ""
        row = self.parts.get((brand_ref, key))
        if row is None:
            clean_title, warning = fields.clipped(title, fields.TITLE_LIMIT, "title")
            row = (len(self.parts) + 1, brand_ref, key, mpn, clean_title, fields.text(category))
            row = (*row, line_no)
            self.parts[(brand_ref, key)] = row
        self.part_ok[(brand_ref, raw_mpn)] = int(row[0])
        return int(row[0]), warning

    def years(self, raw: str, year_to: str | None) -> tuple[int, ...]:
        years = self.years_ok.get((raw, year_to))
        if years is None:
            start = fields.unguard(raw)
            result = (
                parse_years(start, this_year=self.this_year)
                if year_to is None
                else parse_year_span(start, year_to, this_year=self.this_year)
            )
            if result.error:
                raise FieldError(result.error)
            years = self.years_ok[(raw, year_to)] = result.years
        return years

    def small(self, cache: dict, normalize: object, raw: str) -> object:
        hit = cache.get(raw, _MISSING)
        if hit is _MISSING:
            hit = normalize(raw)  # type: ignore[operator]
            cache[raw] = hit
        return hit

    def vehicle_refs(
        self, model_ref: int, years: tuple[int, ...], variant: str, market: str, line_no: int
    ) -> list[int]:
        vehicles = self.vehicles
        refs = []
        for year in years:
            key = (model_ref, year, variant, market)
            ref = vehicles.get(key)
            if ref is None:
                ref = vehicles[key] = len(vehicles) + 1
                self.vehicle_rows.append((ref, model_ref, year, variant, market, line_no))
            refs.append(ref)
        return refs

    def entities(self, *, only_used: bool = True) -> Entities:
        """The registries; by default only what valid rows use (an invalid row creates nothing)."""
        if not only_used:
            return Entities(
                makes=list(self.makes.values()),
                models=list(self.models.values()),
                brands=list(self.brands.values()),
                parts=list(self.parts.values()),
                vehicles=self.vehicle_rows,
            )
        vehicles = [row for row in self.vehicle_rows if row[0] in self.used_vehicles]
        model_refs = {row[1] for row in vehicles}
        models = [row for row in self.models.values() if row[0] in model_refs]
        make_refs = {row[1] for row in models}
        parts = [row for row in self.parts.values() if row[0] in self.used_parts]
        brand_refs = {row[1] for row in parts}
        return Entities(
            makes=[row for row in self.makes.values() if row[0] in make_refs],
            models=models,
            brands=[row for row in self.brands.values() if row[0] in brand_refs],
            parts=parts,
            vehicles=vehicles,
        )

    # ---------------------------------------------------------------- rows

    def _problem(
        self, line_no: int, raw: str, name: str, value: str, reason: str, *, severity: str = "error"
    ) -> Row:
        column = self.labels.get(name, name)
        return (line_no, raw, None, None, None, None, None, column, value[:500], reason, severity)

    def _attempt(
        self, problems: list[Row], at: tuple[int, str], name: str, value: str, compute: Any
    ) -> Any:
        """compute(), or None with the reason recorded against the row's `name` cell.

        `at` is (line number, raw text) of the row.
        """
        try:
            return compute()
        except FieldError as exc:
            problems.append(self._problem(at[0], at[1], name, value, str(exc)))
            return None

    def fitment(self, line_no: int, raw: str, claim: tuple[Any, ...]) -> list[Row]:
        """The staging rows for one fitment row (`claim`: its cells in Claim's order): a data
        row (+ warnings), or its problems.

        The fast path: every cell was seen before — or all but the part number, the common
        new cell, normalized here — so the row is a handful of dictionary lookups (no Claim
        is even built). Anything else new or wrong goes through `_fitment_slow`, which
        normalizes, registers and explains.
        """
        brand, mpn, title, category, make, model, years, year_to, variant, market = claim[:10]
        brand_ref = self.brand_ok.get(brand)
        model_ref = self.model_raw.get((make, model))
        year_list = self.years_ok.get((years, year_to))
        variant_ok = self.variant_ok.get(variant)
        market_ok = self.market_ok.get(market)
        tail = self.tail_ok.get(claim[10:])
        if (
            brand_ref is None
            or model_ref is None
            or year_list is None
            or variant_ok is None
            or market_ok is None
            or tail is None
        ):
            return self._fitment_slow(line_no, raw, Claim._make(claim))
        vehicles = self.vehicles
        refs = []
        for year in year_list:
            ref = vehicles.get((model_ref, year, variant_ok, market_ok))
            if ref is None:
                return self._fitment_slow(line_no, raw, Claim._make(claim))
            refs.append(ref)
        out: list[Row] = []
        part_ref = self.part_ok.get((brand_ref, mpn))
        if part_ref is None:  # last: nothing is registered unless the row is valid
            try:
                part_ref, warning = self.part_ref(brand_ref, mpn, title, category, line_no)
            except FieldError:
                return self._fitment_slow(line_no, raw, Claim._make(claim))
            if warning:
                out.append(self._warning((line_no, raw), "title", title, warning))
        self.used_parts.add(part_ref)
        self.used_vehicles.update(refs)
        position_ok, qty_ok, note_ok = tail
        out.append(
            (line_no, raw, part_ref, refs, position_ok, qty_ok, note_ok, None, None, None, None)
        )
        return out

    def _fitment_slow(self, line_no: int, raw: str, claim: Claim) -> list[Row]:
        """Normalize what the caches do not know yet, registering entities and problems."""
        problems: list[Row] = []
        out: list[Row] = []
        attempt, at = self._attempt, (line_no, raw)
        part_ref = None
        brand_ref = self.brand_ok.get(claim.brand)
        if brand_ref is None:
            compute_brand = lambda: self.brand_ref(claim.brand, line_no)  # noqa: E731
            brand_ref = attempt(problems, at, "brand", claim.brand, compute_brand)
        if brand_ref is not None:
            part_ref = self.part_ok.get((brand_ref, claim.mpn))
            if part_ref is None:
                found = attempt(
                    problems,
                    at,
                    "mpn",
                    claim.mpn,
                    lambda: self.part_ref(
                        brand_ref, claim.mpn, claim.title, claim.category, line_no
                    ),
                )
                if found is not None:
                    part_ref, warning = found
                    if warning:
                        out.append(self._warning(at, "title", claim.title, warning))
        vehicle = self._vehicle(line_no, raw, claim, problems)
        position = self.position_ok.get(claim.position)
        if position is None:
            position = attempt(
                problems,
                at,
                "position",
                claim.position,
                lambda: self.small(self.position_ok, fields.position, claim.position),
            )
        qty = self.qty_ok.get(claim.qty, _MISSING)
        if qty is _MISSING:
            qty = attempt(
                problems,
                at,
                "qty",
                claim.qty,
                lambda: self.small(self.qty_ok, fields.quantity, claim.qty),
            )
        note = self.note_ok.get(claim.note)
        if note is None:
            note, warning = fields.clipped(claim.note, fields.NOTE_LIMIT, "note")
            if warning:
                out.append(self._warning(at, "note", claim.note, warning))
            elif len(self.note_ok) < NOTE_CACHE_LIMIT:
                self.note_ok[claim.note] = note
        if problems or part_ref is None or vehicle is None:
            return problems
        if claim.note in self.note_ok and len(self.tail_ok) < NOTE_CACHE_LIMIT:
            self.tail_ok[(claim.position, claim.qty, claim.note)] = (position, qty, note)
        self.used_parts.add(part_ref)
        self.used_vehicles.update(vehicle)
        out.append((line_no, raw, part_ref, vehicle, position, qty, note, None, None, None, None))
        return out

    def _warning(self, at: tuple[int, str], name: str, value: str, reason: str) -> Row:
        return self._problem(at[0], at[1], name, value, reason, severity="warning")

    def _vehicle(
        self, line_no: int, raw: str, claim: Claim, problems: list[Row]
    ) -> list[int] | None:
        """The vehicle refs of a row (make, model, years, variant, market), or None."""
        attempt, at = self._attempt, (line_no, raw)
        model_ref = None
        make_ref = self.make_ok.get(claim.make)
        if make_ref is None:
            compute_make = lambda: self.make_ref(claim.make, line_no)  # noqa: E731
            make_ref = attempt(problems, at, "make", claim.make, compute_make)
        if make_ref is not None:
            model_ref = self.model_ok.get((make_ref, claim.model))
            if model_ref is None:
                model_ref = attempt(
                    problems,
                    at,
                    "model",
                    claim.model,
                    lambda: self.model_ref(make_ref, claim.model, line_no),
                )
            if model_ref is not None:
                self.model_raw[(claim.make, claim.model)] = model_ref
        years = self.years_ok.get((claim.years, claim.year_to))
        if years is None:
            if claim.year_to is None:
                name, shown = "years", claim.years
            else:
                name, shown = "year_from", f"{claim.years} / {claim.year_to}"
            years = attempt(
                problems, at, name, shown, lambda: self.years(claim.years, claim.year_to)
            )
        variant = self.variant_ok.get(claim.variant)
        if variant is None:
            variant = attempt(
                problems,
                at,
                "variant",
                claim.variant,
                lambda: self.small(self.variant_ok, fields.variant, claim.variant),
            )
        market = self.market_ok.get(claim.market)
        if market is None:
            market = attempt(
                problems,
                at,
                "market",
                claim.market,
                lambda: self.small(self.market_ok, fields.market, claim.market),
            )
        if problems or model_ref is None or years is None or variant is None or market is None:
            return None
        return self.vehicle_refs(model_ref, years, variant, market, line_no)

    def vehicle(self, line_no: int, raw: str, claim: Claim) -> list[Row]:
        """The staging rows for one vehicle-list row."""
        problems: list[Row] = []
        refs = self._vehicle(line_no, raw, claim, problems)
        if problems or refs is None:
            return problems
        self.used_vehicles.update(refs)
        return [(line_no, raw, None, refs, "", None, "", None, None, None, None)]
