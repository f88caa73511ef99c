"""A bar chart drawn on the server as SVG: no script, no inline style (the CSP holds).

`bar_chart(chart)` works out every shape's position; the template only writes them out.
Bars are grouped by series, or stacked; each bar links to the queue and carries a <title>
(its label, series and value), and the SVG's title and description name the table beside
it, which has every figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext

from reports import formats
from reports.results import DURATION, PERCENT, SCORE, Chart

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 84
MAX_LABELS = 16  # more bars than this: only every n-th is labelled
LABEL_CHARACTERS = 18  # a longer label is cut (the bar's title and the table have it whole)


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    link: str
    title: str


@dataclass
class Tick:
    y: float
    label: str


@dataclass
class Label:
    x: float
    text: str


def _nice_step(top: float, steps: int = 4) -> float:
    raw = top / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _duration_unit(top: float) -> tuple[float, str]:
    if top <= 2 * 3600:
        return 60, gettext("min")
    if top <= 3 * 86400:
        return 3600, gettext("h")
    return 86400, gettext("d")


def _axis(kind: str, top: float) -> tuple[float, list[tuple[float, str]]]:
    """The axis' maximum and its ticks (value, label)."""
    if kind == PERCENT:
        return 100, [(v, f"{v} %") for v in (0, 25, 50, 75, 100)]
    if kind == SCORE:
        return 5, [(v, str(v)) for v in range(6)]
    if kind == DURATION:
        unit, name = _duration_unit(top or 3600)
        step = _nice_step((top or unit) / unit) * unit
        ticks = [step * n for n in range(math.ceil((top or unit) / step) + 1)]
        return ticks[-1] or unit, [(v, f"{v / unit:g} {name}") for v in ticks]
    step = _nice_step(max(top, 4))
    ticks = [step * n for n in range(math.ceil(max(top, 1) / step) + 1)]
    return ticks[-1] or 1, [(v, f"{v:,.0f}") for v in ticks]


def _cut(text: str) -> str:
    return text if len(text) <= LABEL_CHARACTERS else text[: LABEL_CHARACTERS - 1] + "…"


def bar_chart(chart: Chart) -> dict:
    count = len(chart.labels)
    series = chart.series
    values = [list(s.values) for s in series]
    if chart.stacked:
        tops = [sum(v[i] or 0 for v in values) for i in range(count)]
    else:
        tops = [v or 0 for column in values for v in column]
    top, ticks = _axis(chart.kind, max(tops, default=0))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        return TOP + plot_height * (1 - min(value, top) / top)

    slot = plot_width / max(count, 1)
    gap = slot * 0.2
    per_bar = (slot - gap) / (1 if chart.stacked else max(len(series), 1))
    bars: list[Bar] = []
    for index in range(count):
        left = LEFT + slot * index + gap / 2
        base = 0.0
        for number, (one, column) in enumerate(zip(series, values, strict=True)):
            raw = column[index]
            if raw is None or raw == 0:
                continue
            shown = formats.value(raw, chart.kind)
            title = f"{chart.labels[index]} · {one.label}: {shown}"
            if chart.stacked:
                y = y_of(base + raw)
                height = y_of(base) - y
                base += raw
                x = left
            else:
                y = y_of(raw)
                height = TOP + plot_height - y
                x = left + per_bar * number
            bars.append(
                Bar(
                    round(x, 1),
                    round(y, 1),
                    round(max(per_bar - 1, 1), 1),
                    round(max(height, 1), 1),
                    number,
                    chart.links[index] if index < len(chart.links) else "",
                    title,
                )
            )
    every = max(1, math.ceil(count / MAX_LABELS))
    labels = [
        Label(round(LEFT + slot * (i + 0.5), 1), _cut(str(text)))
        for i, text in enumerate(chart.labels)
        if i % every == 0
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": TOP + plot_height,
        "label_y": TOP + plot_height + 12,
        "bars": bars,
        "ticks": [Tick(round(y_of(v), 1), label) for v, label in ticks],
        "labels": labels,
        "legend": [(number, s.label) for number, s in enumerate(series)],
        "empty": not bars,
    }
