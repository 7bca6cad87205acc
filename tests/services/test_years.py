"""compress_years: readable model-year ranges that never invent a year."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from app.services.years import EN_DASH, compress_years, year_runs


def parse_years(text: str) -> list[int]:
    """The inverse of compress_years, written independently of it."""
    years: list[int] = []
    for chunk in filter(None, text.split(", ")):
        first, _, last = chunk.partition(EN_DASH)
        years.extend(range(int(first), int(last or first) + 1))
    return years


def test_compresses_runs_and_keeps_gaps() -> None:
    assert compress_years([2013, 2014, 2015, 2016, 2017, 2018, 2020]) == "2013\u20132018, 2020"


def test_order_and_duplicates_do_not_matter() -> None:
    assert compress_years([2020, 2014, 2013, 2014, 2020]) == "2013\u20132014, 2020"


def test_single_years_and_empty() -> None:
    assert compress_years([1999]) == "1999"
    assert compress_years([1999, 2001, 2003]) == "1999, 2001, 2003"
    assert compress_years([]) == ""


def test_accepts_any_iterable() -> None:
    assert compress_years(y for y in range(2001, 2004)) == "2001\u20132003"
    assert year_runs({2001, 2002, 2005}) == [(2001, 2002), (2005, 2005)]


years_lists = st.lists(st.integers(min_value=1885, max_value=2100), max_size=60)


@given(years_lists)
def test_round_trip_gives_the_sorted_unique_years(years: list[int]) -> None:
    assert parse_years(compress_years(years)) == sorted(set(years))


@given(years_lists)
def test_runs_are_maximal_and_ordered(years: list[int]) -> None:
    runs = year_runs(years)
    for (_, last), (next_first, _) in pairwise(runs):
        assert next_first > last + 1  # a gap of at least one missing year between runs
    assert all(first <= last for first, last in runs)
