"""Charts and the map as server-side SVG, hand-made: no JavaScript, no library, no request to another
origin. Each chart is an `<svg role="img">` with a title and a description; the page puts its data
as a table next to it (and a CSV download), which is what screen readers and the report read.

Values that were suppressed (app.observatory.figures.SUPPRESSED) or missing are drawn as nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from app.observatory.figures import SUPPRESSED

PALETTE = ("#1d4f91", "#d1495b", "#2a9d8f", "#e9a03b", "#6d597a", "#4d908e")
WIDTH = 640
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _num(value) -> float | None:
    if value is None or value is SUPPRESSED:
        return None
    return float(value)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def _scale(values: list[float]) -> tuple[float, int]:
    """(top of the axis, number of gridline steps): round steps (1, 2, 2.5, 5 × 10^k), at most 5 of them."""
    top = max(values, default=0)
    if top <= 0:
        return 1.0, 1
    step = _nice_max(top / 5)
    steps = max(1, math.ceil(top / step - 1e-9))
    return step * steps, steps


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f") if value == int(value) else f"{value:.1f}".replace(".", ",")


def _open(title: str, desc: str, height: int, uid: str) -> list[str]:
    return [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
            f'aria-labelledby="{uid}-t {uid}-d" class="chart" {FONT}>'
        ),
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
    ]


def _legend(names: Sequence[str], y: int) -> list[str]:
    out, x = [], 10
    for i, name in enumerate(names):
        out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>')
        out.append(f'<text x="{x + 16}" y="{y}">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return out


def _frame(
    title: str,
    desc: str,
    uid: str,
    height: int,
    names: Sequence[str],
    *,
    top: int,
    plot_h: int,
    left: int,
    right: int,
    values: list[float],
) -> tuple[list[str], float]:
    """The chart's opening, legend and horizontal grid with its value labels; returns the parts and the scale's max."""
    vmax, steps = _scale(values)
    out = _open(title, desc, height, uid)
    out += _legend(names, 16)
    for k in range(steps + 1):
        y = top + plot_h - plot_h * k / steps
        out.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{_fmt(vmax * k / steps)}</text>')
    return out, vmax


def bar_chart(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence]], *, title: str, desc: str = "", uid: str = "c"
) -> Markup:
    """Grouped vertical bars: one group per label, one bar per series."""
    height, top, bottom, left = 380, 30, 150, 50
    plot_w, plot_h = WIDTH - left - 10, height - top - bottom
    values = [v for _n, vs in series for v in map(_num, vs) if v is not None]
    names = [n for n, _v in series]
    out, vmax = _frame(
        title, desc, uid, height, names, top=top, plot_h=plot_h, left=left, right=WIDTH - 10, values=values
    )
    n = max(len(labels), 1)
    group_w = plot_w / n
    bar_w = max(1.0, group_w * 0.8 / max(len(series), 1))
    for i, label in enumerate(labels):
        gx = left + i * group_w + group_w * 0.1
        for j, (_name, vs) in enumerate(series):
            v = _num(vs[i]) if i < len(vs) else None
            if v is None:
                continue
            h = plot_h * v / vmax
            out.append(
                f'<rect x="{gx + j * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[j % len(PALETTE)]}"/>'
            )
        cx = left + (i + 0.5) * group_w
        label = str(label)
        text = escape(label if len(label) <= 22 else label[:21] + "…")
        y = top + plot_h + 12
        out.append(f'<text x="{cx:.1f}" y="{y}" text-anchor="end" transform="rotate(-60 {cx:.1f} {y})">{text}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def line_chart(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence]], *, title: str, desc: str = "", uid: str = "c"
) -> Markup:
    """A time series: one line per series over the labels (months)."""
    height, top, bottom, left = 260, 30, 40, 50
    plot_w, plot_h = WIDTH - left - 20, height - top - bottom
    values = [v for _n, vs in series for v in map(_num, vs) if v is not None]
    names = [n for n, _v in series]
    out, vmax = _frame(
        title, desc, uid, height, names, top=top, plot_h=plot_h, left=left, right=WIDTH - 20, values=values
    )
    n = len(labels)
    step = plot_w / max(n - 1, 1)
    every = max(1, math.ceil(n / 12))
    for i, label in enumerate(labels):
        if i % every == 0:
            out.append(
                f'<text x="{left + i * step:.1f}" y="{height - 16}" text-anchor="middle">{escape(str(label))}</text>'
            )
    for j, (_name, vs) in enumerate(series):
        color = PALETTE[j % len(PALETTE)]
        points, run = [], []
        for i, v in enumerate(vs):
            v = _num(v)
            if v is None:  # a gap: end the current line
                if run:
                    points.append(run)
                run = []
                continue
            run.append(f"{left + i * step:.1f},{top + plot_h - plot_h * v / vmax:.1f}")
        if run:
            points.append(run)
        for run in points:
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(run)}"/>')
            for p in run:
                x, y = p.split(",")
                out.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{color}"/>')
    out.append("</svg>")
    return Markup("".join(out))


# ---------------------------------------------------------------- map

MAP_COLORS = ("#f7f7f7", "#fdd49e", "#fc8d59", "#d7301f", "#7f0000")


def commune_map(
    outlines: dict,
    values: dict[str, float],
    *,
    title: str,
    desc: str = "",
    uid: str = "map",
    classes: Sequence[tuple[float, str]] = (),
    highlight: set[str] | None = None,
    colors: Sequence[str] = MAP_COLORS,
) -> Markup:
    """The Région Sud's communes (data/sud-outlines.json.gz) filled by value class.

    `classes`: (lower bound, legend label) in increasing order, one colour each (MAP_COLORS);
    communes without a value are left light grey. Coordinates stay in the file's grid units
    (relative moves keep the SVG small); longitudes are scaled by cos(44°) so shapes are not stretched."""
    communes = outlines["communes"]
    xs = [r[i] for c in communes.values() for r in c["rings"] for i in range(0, len(r), 2)]
    ys = [r[i] for c in communes.values() for r in c["rings"] for i in range(1, len(r), 2)]
    if not xs:
        return Markup("")
    kx = math.cos(math.radians(44))
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    w, h = (x1 - x0) * kx, (y1 - y0)
    legend_h = 24 * len(classes) + 10
    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w + 4:.0f} {h + 4 + legend_h:.0f}" width="100%" '
            f'role="img" aria-labelledby="{uid}-t {uid}-d" class="chart map" font-family="system-ui, sans-serif" font-size="10">'
        ),
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>',
        f'<g transform="translate({2 - x0 * kx:.2f},{2 + y1}) scale({kx:.4f},-1)" stroke="#888" stroke-width="0.35">',
    ]

    def fill(value: float | None) -> str:
        if value is None:
            return "#e8e8e8"
        color = colors[0]
        for k, (bound, _label) in enumerate(classes):
            if value >= bound:
                color = colors[min(k, len(colors) - 1)]
        return color

    for insee, entry in communes.items():
        d = []
        for ring in entry["rings"]:
            px, py = ring[0], ring[1]
            moves = [f"M{px} {py}l"]
            for i in range(2, len(ring), 2):
                moves.append(f"{ring[i] - px} {ring[i + 1] - py}")
                px, py = ring[i], ring[i + 1]
            d.append(" ".join(moves) + "z")
        stroke = ' stroke="#000" stroke-width="1.2"' if highlight and insee in highlight else ""
        out.append(f'<path d="{"".join(d)}" fill="{fill(values.get(insee))}"{stroke} data-insee="{insee}"/>')
    out.append("</g>")
    y = h + 20
    for k, (_bound, label) in enumerate(classes):
        out.append(
            f'<rect x="6" y="{y + 24 * k - 12:.0f}" width="16" height="16" fill="{colors[min(k, len(colors) - 1)]}" stroke="#888"/>'
        )
        out.append(f'<text x="28" y="{y + 24 * k:.0f}" font-size="14">{escape(label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
