"""Model-year parsing: every spelling vendors use ("2015-18", "'15-'18", "2004-UP", lists) to years.

Two-digit years resolve to the most recent year with those digits that is not after next
year ("27" in 2026 is 2027, "28" is 1928); the end of a range resolves to the first year at
or after its start ("1996-98" is 1996-1998, "98-02" is 1998-2002). Open ranges ("2015+",
"2004-UP") run to the current year. Anything else is an error with a reason, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.models.vehicles import MIN_YEAR

MAX_SPAN = 60  # more model years than this in one cell is a typo, not a fitment
MAX_TEXT = 200

# A year token: 4 digits, or 2 digits with an optional apostrophe ('15, ’15, 15),
# tolerating Excel's "2015.0".
_YEAR = r"(?:'|\u2019|\u2018)?(\d{4}|\d{2})(?:\.0)?"
_DASH = r"\s*(?:-|\u2010|\u2011|\u2012|\u2013|\u2014|\u2212|~|\bto\b|\bthru\b|\bthrough\b)\s*"
_RANGE = re.compile(rf"^{_YEAR}{_DASH}{_YEAR}$", re.IGNORECASE)
_SINGLE = re.compile(rf"^{_YEAR}$")
_OPEN_RANGE = re.compile(
    rf"^{_YEAR}(?:\s*\+|{_DASH}(?:up|present|current|now|newer|later|on|\+)?|\s+(?:up|on|onwards?))$",
    re.IGNORECASE,
)
_AND_UP = re.compile(r"\s*\band\s+(?:up|newer|later)\b", re.IGNORECASE)
_LIST_SPLIT = re.compile(r"\s*(?:,|;|/|&|\band\b)\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class YearsResult:
    """Sorted, distinct years, or an error saying why the text is not a year list."""

    years: tuple[int, ...] = ()
    error: str = ""


def _expand_two_digits(digits: int, this_year: int) -> int:
    """'27' → 2027 in 2026 (next year's models are on sale), '28' → 1928."""
    candidate = (this_year + 1) // 100 * 100 + digits
    return candidate if candidate <= this_year + 1 else candidate - 100


def _resolve_end(token: str, start: int) -> int:
    """The end of a range: four digits as written, two digits as the first match ≥ start."""
    if len(token) == 4:
        return int(token)
    candidate = start // 100 * 100 + int(token)
    return candidate if candidate >= start else candidate + 100


def _resolve_start(token: str, this_year: int) -> int:
    return int(token) if len(token) == 4 else _expand_two_digits(int(token), this_year)


def _check_bounds(first: int, last: int, this_year: int) -> str:
    if first < MIN_YEAR:
        return f"{first} is before {MIN_YEAR}, the first motorcycle"
    if last > this_year + 1:
        return f"{last} is after next year ({this_year + 1})"
    if last < first:
        return f"the range runs backwards ({first} to {last})"
    if last - first + 1 > MAX_SPAN:
        return f"a span of {last - first + 1} model years is too long for one row (max {MAX_SPAN})"
    return ""


def _parse_piece(piece: str, this_year: int, previous: int | None) -> tuple[range, str]:
    """One list element: a single year, a closed range or an open range."""
    if match := _RANGE.match(piece):
        first = _resolve_start(match.group(1), this_year)
        last = _resolve_end(match.group(2), first)
        if len(match.group(2)) == 4 and last < first:
            return range(0), f"the range runs backwards ({first} to {last})"
    elif match := _OPEN_RANGE.match(piece):
        first = _resolve_start(match.group(1), this_year)
        last = max(first, this_year)
    elif match := _SINGLE.match(piece):
        token = match.group(1)
        if len(token) == 2 and previous is not None:
            first = _resolve_end(token, previous)  # "2001/03" → 2001, 2003
        else:
            first = _resolve_start(token, this_year)
        last = first
    else:
        return range(0), f"'{piece}' is not a year, a range (2015-2018) or a list (2015, 2017)"
    problem = _check_bounds(first, last, this_year)
    return (range(0), problem) if problem else (range(first, last + 1), "")


def parse_years(text: str, *, this_year: int) -> YearsResult:
    """Parse one cell of years; see the module docstring for the accepted forms."""
    cleaned = _AND_UP.sub("+", " ".join(text.split()))
    if not cleaned:
        return YearsResult(error="no year given")
    if len(cleaned) > MAX_TEXT:
        return YearsResult(error=f"the year cell is {len(cleaned)} characters long")
    years: set[int] = set()
    previous: int | None = None
    for piece in _LIST_SPLIT.split(cleaned):
        if not piece:
            continue
        span, problem = _parse_piece(piece, this_year, previous)
        if problem:
            return YearsResult(error=problem)
        years.update(span)
        previous = span[-1]
    if not years:
        return YearsResult(error="no year given")
    if max(years) - min(years) + 1 > MAX_SPAN:
        return YearsResult(
            error=f"the years cover {max(years) - min(years) + 1} model years (max {MAX_SPAN})"
        )
    return YearsResult(years=tuple(sorted(years)))


def parse_year_span(first: str, last: str, *, this_year: int) -> YearsResult:
    """Two cells (year_from, year_to). An empty end means a single year; "up"/"+" means open."""
    first, last = first.strip(), last.strip()
    if not first:
        return YearsResult(error="no start year given") if last else YearsResult(error="no year")
    if not last:
        return parse_years(first, this_year=this_year)
    if re.fullmatch(r"(?:\+|up|present|current|now)", last, re.IGNORECASE):
        return parse_years(f"{first}+", this_year=this_year)
    return parse_years(f"{first}-{last}", this_year=this_year)
