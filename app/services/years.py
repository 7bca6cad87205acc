"""Model-year lists for people: [2013, 2014, ..., 2018, 2020] becomes "2013-2018, 2020"."""

from __future__ import annotations

from collections.abc import Iterable

EN_DASH = "\u2013"
RUN_SEPARATOR = ", "


def year_runs(years: Iterable[int]) -> list[tuple[int, int]]:
    """Maximal runs of consecutive years, oldest first; duplicates and order do not matter."""
    runs: list[tuple[int, int]] = []
    for year in sorted(set(years)):
        if runs and year == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], year)
        else:
            runs.append((year, year))
    return runs


def compress_years(years: Iterable[int]) -> str:
    """Each run of two or more years becomes a range joined by an en dash ("2013-2018, 2020").

    A gap stays a gap: a part that fits 2013-2018 and 2020 must not claim 2019.
    """
    return RUN_SEPARATOR.join(
        str(first) if first == last else f"{first}{EN_DASH}{last}"
        for first, last in year_runs(years)
    )
