"""Charts drawn on the server as SVG from a `Table`: no JavaScript and no
CDN, light enough for slow connections, and every mark carries its number
(a tooltip through <title>), with the table itself one click away."""

import math
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .tables import Table, display

# Okabe–Ito: told apart by people with colour-blindness, and in print.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
WIDTH = 760
LEFT, RIGHT, BOTTOM = 64, 16, 30
PLOT_HEIGHT = 240
BAR_LABEL_WIDTH = 190
BAR_ROW = 20


@dataclass
class Mark:
    x: float
    y: float
    width: float = 0
    height: float = 0
    colour: str = ""
    title: str = ""


@dataclass
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass
class Line:
    points: str
    colour: str


@dataclass
class Svg:
    width: int
    height: int
    title: str
    rects: list[Mark] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    dots: list[Mark] = field(default_factory=list)
    grid: list[Mark] = field(default_factory=list)  # x, y = start; width, height = end
    labels: list[Text] = field(default_factory=list)
    legend: list[Mark] = field(default_factory=list)


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round steps (1, 2, 2.5 or 5 × 10ⁿ) from 0 past `top`."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(int(math.ceil(top / step - 1e-9)) + 1)]


def build(table: Table) -> Svg | None:
    spec = table.chart
    if spec is None or not table.rows:
        return None
    kind = table.columns[spec.series[0]].kind
    categories = [display(row[spec.category], table.columns[spec.category].kind) for row in table.rows]
    series = [(str(table.columns[i].label), [row[i] for row in table.rows]) for i in spec.series]
    if not any(value for _label, values in series for value in values):
        return _nothing_to_draw(table.title)
    if spec.kind == "bars":
        return _bars(table.title, categories, series, kind, spec)
    return _columns_or_lines(table.title, categories, series, kind, spec)


def _nothing_to_draw(title) -> Svg:
    """All values zero (or not known): said in words, not an empty axis from 0 to 1."""
    svg = Svg(width=WIDTH, height=48, title=title)
    svg.labels.append(Text(x=WIDTH / 2, y=28, text=_("Nothing to draw: every value is 0.")))
    return svg


def _legend(svg: Svg, series) -> int:
    """Colour keys above the plot, wrapped; returns the height they take."""
    x, y = LEFT, 8
    for i, (label, _values) in enumerate(series):
        width = 28 + 6 * len(label)
        if x > LEFT and x + width > svg.width - RIGHT:
            x, y = LEFT, y + 18
        svg.legend.append(Mark(x=x, y=y, width=12, height=12, colour=PALETTE[i % len(PALETTE)], title=label))
        x += width
    return y + 12


def _top(series, stacked: bool) -> float:
    if stacked:
        return max((sum(vs[i] or 0 for _label, vs in series) for i in range(len(series[0][1]))), default=0)
    return max((v or 0 for _label, vs in series for v in vs), default=0)


def _columns_or_lines(title, categories, series, kind, spec) -> Svg:
    """Vertical bars (grouped or stacked) or lines over categories such as months."""
    svg = Svg(width=WIDTH, height=0, title=title)
    top = _legend(svg, series) + 16
    plot_w, plot_h = WIDTH - LEFT - RIGHT, PLOT_HEIGHT
    svg.height = top + plot_h + BOTTOM
    ticks = nice_ticks(_top(series, spec.stacked))
    scale = plot_h / ticks[-1]
    for tick in ticks:
        y = top + plot_h - tick * scale
        svg.grid.append(Mark(x=LEFT, y=y, width=LEFT + plot_w, height=y))
        svg.labels.append(Text(x=LEFT - 6, y=y + 4, text=display(tick, kind), anchor="end"))
    slot = plot_w / len(categories)
    every = max(1, math.ceil(len(categories) / 12))  # no more than 12 labels under the axis
    for i, category in enumerate(categories):
        if i % every == 0:
            svg.labels.append(Text(x=LEFT + slot * (i + 0.5), y=top + plot_h + 16, text=category))
    if spec.kind == "lines":
        for s, (label, vs) in enumerate(series):
            colour = PALETTE[s % len(PALETTE)]
            segment = []
            for i, value in enumerate([*vs, None]):
                if value is None:  # a gap: months not (yet) known
                    if len(segment) > 1:
                        svg.lines.append(Line(points=" ".join(segment), colour=colour))
                    segment = []
                    continue
                x, y = LEFT + slot * (i + 0.5), top + plot_h - value * scale
                segment.append(f"{x:.1f},{y:.1f}")
                svg.dots.append(Mark(x=x, y=y, colour=colour,
                                     title=f"{label} · {categories[i]}: {display(value, kind)}"))
        return svg
    group = slot * 0.8
    width = group if spec.stacked else group / len(series)
    for i in range(len(categories)):
        base = top + plot_h
        for s, (label, vs) in enumerate(series):
            value = vs[i] or 0
            h = value * scale
            x = LEFT + slot * i + slot * 0.1 + (0 if spec.stacked else s * width)
            y = base - h
            svg.rects.append(Mark(x=x, y=y, width=max(width - 1, 1), height=h, colour=PALETTE[s % len(PALETTE)],
                                  title=f"{label} · {categories[i]}: {display(value, kind)}"))
            if spec.stacked:
                base = y
    return svg


def _bars(title, categories, series, kind, spec) -> Svg:
    """Horizontal bars, one row per category (communes, collectors…), the
    number written after each bar."""
    per_row = 1 if (spec.stacked or spec.overlay) else len(series)
    row_h = max(BAR_ROW, 9 * per_row + 8)
    bar_h = (row_h - 6) / per_row
    svg = Svg(width=WIDTH, height=0, title=title)
    top = _legend(svg, series) + 12
    bottom = top + row_h * len(categories)
    svg.height = bottom + 24
    left, plot_w = BAR_LABEL_WIDTH, WIDTH - BAR_LABEL_WIDTH - RIGHT - 80  # room for the number after the bar
    ticks = nice_ticks(_top(series, spec.stacked), 4)
    scale = plot_w / ticks[-1]
    for tick in ticks:
        x = left + tick * scale
        svg.grid.append(Mark(x=x, y=top, width=x, height=bottom))
        svg.labels.append(Text(x=x, y=bottom + 16, text=display(tick, kind)))
    for i, category in enumerate(categories):
        y0 = top + row_h * i + 3
        name = category if len(category) <= 30 else category[:29] + "…"
        svg.labels.append(Text(x=left - 6, y=y0 + (row_h - 6) / 2 + 4, text=name, anchor="end"))
        order = list(enumerate(series))
        if spec.overlay:
            order.reverse()  # the widest (cumulative) first, the narrower ones over it
        x = end = left
        for s, (label, vs) in order:
            value = vs[i] or 0
            w = value * scale
            y = y0 + (s * bar_h if per_row > 1 else 0)
            start = x if spec.stacked else left
            svg.rects.append(Mark(x=start, y=y, width=w, height=max(bar_h - 1, 1), colour=PALETTE[s % len(PALETTE)],
                                  title=f"{category} · {label}: {display(value, kind)}"))
            if spec.stacked:
                x += w
            elif per_row > 1:  # grouped: each bar its number
                svg.labels.append(Text(x=start + w + 4, y=y + bar_h - 2, text=display(value, kind), anchor="start"))
            end = max(end, start + w)
        if per_row == 1:
            shown = sum(vs[i] or 0 for _l, vs in series) if spec.stacked else max(vs[i] or 0 for _l, vs in series)
            svg.labels.append(Text(x=end + 4, y=y0 + (row_h - 6) / 2 + 4, text=display(shown, kind), anchor="start"))
    return svg
