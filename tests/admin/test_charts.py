"""Server-rendered SVG charts: names are escaped, bars scale to the slowest phase."""

from __future__ import annotations

import re

from admin.charts import phase_chart


def test_phase_bars_scale_to_the_slowest_phase_and_name_their_share() -> None:
    svg = str(phase_chart("Where the time went", [("parse", 6.0), ("write", 3.0), ("idle", 0)]))
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([0-9.]+)"', svg)]
    assert widths[0] == 2 * widths[1] and widths[2] == 1.0  # a zero phase is a sliver
    assert "parse: 6.0 s (67% of 9.0 s)" in svg and ">3.0 s<" in svg


def test_hostile_phase_names_are_text_not_markup() -> None:
    svg = str(phase_chart("<b>title</b>", [('<script>alert("x")</script>', 1.0)]))
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg


def test_no_phases_says_so() -> None:
    assert "Not measured" in str(phase_chart("Where the time went", []))
