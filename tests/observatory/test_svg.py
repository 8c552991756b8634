"""The hand-made SVG charts: bar heights follow the values, suppressed values draw nothing, text is
escaped, and the map draws one path per commune."""

from __future__ import annotations

import re

from app.observatory import svg
from app.observatory.figures import SUPPRESSED


def test_bars_are_proportional_and_suppressed_values_are_not_drawn():
    out = str(svg.bar_chart(["A", "B<script>", "C"], [("n", [10, SUPPRESSED, 25])], title="T & co", uid="t"))
    heights = [
        float(h) for h in re.findall(r'<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)" fill="#1d4f91"', out)
    ]
    heights = heights[1:]  # the first is the legend's swatch
    assert len(heights) == 2 and abs(heights[1] / heights[0] - 2.5) < 0.01
    assert "<script>" not in out and "B&lt;script&gt;" in out and "T &amp; co" in out
    assert 'role="img"' in out and 'aria-labelledby="t-t t-d"' in out
    assert ">25<" in out and ">5<" in out  # gridlines at round values: 0, 5, ..., 25


def test_line_breaks_at_a_suppressed_month_and_the_map_has_a_path_per_commune():
    out = str(svg.line_chart(["01", "02", "03", "04"], [("n", [3, 8, SUPPRESSED, 12])], title="T"))
    assert out.count("<polyline") == 2  # two runs: before and after the hidden month
    outlines = {
        "communes": {"1": {"rings": [0, 0, 10, 0, 10, 10]}, "2": {"rings": [10, 0, 20, 0, 20, 10]}},
        "epci": {},
    }
    outlines["communes"] = {k: {"rings": [v["rings"]]} for k, v in outlines["communes"].items()}
    drawn = str(svg.commune_map(outlines, {"1": 0, "2": 3}, title="M", classes=[(0, "0"), (1, "1+")], highlight={"2"}))
    assert drawn.count("<path") == 2
    assert re.search(r'fill="#fdd49e" stroke="#000"[^>]*data-insee="2"', drawn)
    assert svg.commune_map({"communes": {}, "epci": {}}, {}, title="M") == ""
