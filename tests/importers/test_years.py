"""Year cells: every form vendors write, two-digit resolution, bounds, and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services.years import compress_years
from importers.years import MAX_SPAN, parse_year_span, parse_years

THIS_YEAR = 2026


def years(text: str) -> list[int]:
    result = parse_years(text, this_year=THIS_YEAR)
    assert not result.error, result.error
    return list(result.years)


def error(text: str) -> str:
    result = parse_years(text, this_year=THIS_YEAR)
    assert result.years == ()
    return result.error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015", [2015]),
        ("2015-2018", [2015, 2016, 2017, 2018]),
        ("2015 - 18", [2015, 2016, 2017, 2018]),
        ("'15-'18", [2015, 2016, 2017, 2018]),
        ("\u201915-\u201918", [2015, 2016, 2017, 2018]),
        ("15-18", [2015, 2016, 2017, 2018]),
        ("1996-98", [1996, 1997, 1998]),
        ("98-02", [1998, 1999, 2000, 2001, 2002]),
        ("2015 to 2018", [2015, 2016, 2017, 2018]),
        ("2015\u20132017", [2015, 2016, 2017]),
        ("2001, 2003, 2005", [2001, 2003, 2005]),
        ("2001; 2003", [2001, 2003]),
        ("2015/16", [2015, 2016]),
        ("2013\u20132018, 2020", [2013, 2014, 2015, 2016, 2017, 2018, 2020]),
        ("2020, 2015-2016", [2015, 2016, 2020]),
        ("2015, 2015", [2015]),
        ("2015.0", [2015]),
        ("  2015  ", [2015]),
    ],
)
def test_closed_forms(text: str, expected: list[int]) -> None:
    assert years(text) == expected


@pytest.mark.parametrize(
    "text",
    ["2023+", "2023 +", "2023-UP", "2023-up", "2023 - Up", "2023-present", "2023 and up", "2023-"],
)
def test_open_ranges_run_to_this_year(text: str) -> None:
    assert years(text) == [2023, 2024, 2025, 2026]


def test_two_digit_years_resolve_to_the_latest_plausible_century() -> None:
    assert years("27") == [2027]  # next year's models are on sale
    assert years("28") == [1928]
    assert years("'99") == [1999]
    assert years("05") == [2005]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1850", "before 1885"),
        ("2028", "after next year (2027)"),
        ("2018-2015", "runs backwards"),
        ("soon", "is not a year"),
        ("20155", "is not a year"),
        ("", "no year given"),
        ("1950-2026", "too long"),
        ("2015, abc", "'abc' is not a year"),
    ],
)
def test_bad_years_say_why(text: str, reason: str) -> None:
    assert reason in error(text)


def test_year_from_and_to_columns() -> None:
    assert parse_year_span("2015", "2017", this_year=THIS_YEAR).years == (2015, 2016, 2017)
    assert parse_year_span("2015", "", this_year=THIS_YEAR).years == (2015,)
    assert parse_year_span("2025", "up", this_year=THIS_YEAR).years == (2025, 2026)
    assert parse_year_span("", "2017", this_year=THIS_YEAR).error == "no start year given"


@given(st.integers(1885, THIS_YEAR + 1))
def test_any_valid_year_parses_to_itself(year: int) -> None:
    assert years(str(year)) == [year]


@given(st.integers(1885, THIS_YEAR + 1), st.integers(0, MAX_SPAN - 1))
def test_four_digit_ranges_expand_without_gaps(first: int, length: int) -> None:
    last = min(first + length, THIS_YEAR + 1)
    assert years(f"{first}-{last}") == list(range(first, last + 1))


@given(st.integers(2000, THIS_YEAR), st.integers(0, 20))
def test_two_digit_ranges_mean_the_same_as_four_digit_ones(first: int, length: int) -> None:
    last = min(first + length, THIS_YEAR)
    short = f"'{first % 100:02d}-'{last % 100:02d}"
    assert years(short) == years(f"{first}-{last}")


@given(st.sets(st.integers(1990, THIS_YEAR), min_size=1, max_size=15))
def test_compressed_year_lists_round_trip(chosen: set[int]) -> None:
    # What the export writes ("2013–2018, 2020") parses back to exactly the same years.
    assert years(compress_years(chosen)) == sorted(chosen)


@given(st.text(max_size=40))
def test_never_raises_and_results_are_sorted_in_bounds(text: str) -> None:
    result = parse_years(text, this_year=THIS_YEAR)
    assert bool(result.error) != bool(result.years)
    assert list(result.years) == sorted(set(result.years))
    assert all(1885 <= y <= THIS_YEAR + 1 for y in result.years)
