"""Bar charts as plain geometry, drawn by an SVG template (templates/impact/chart.svg.html):
no JavaScript, no front-end build, and a table beside each chart says the same in words."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

WIDTH = 640
HEIGHT = 260
LEFT = 56  # room for the scale's labels
BOTTOM = 28  # room for the months
TOP = 12
COLOURS = ("#0b6e4f", "#8a5a00", "#1a4fd6")  # each at least 3:1 against white


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    value: float


@dataclass(frozen=True, slots=True)
class Group:
    month: date
    label_x: float
    bars: list[Bar]
    withheld: bool


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    value: float


@dataclass(frozen=True, slots=True)
class Chart:
    slug: str
    series: list[tuple[str, str]]  # (name, colour)
    groups: list[Group]
    ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: int = HEIGHT - BOTTOM


def _nice_top(value: float) -> float:
    """A round top of the scale at or above `value`: 1, 2, 5 times a power of ten."""
    if value <= 0:
        return 1
    step = 1.0
    while step * 10 <= value:
        step *= 10
    while step > value * 10:
        step /= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def bar_chart(
    *,
    slug: str,
    months: Sequence[date],
    series: Sequence[tuple[str, Sequence[float | None]]],
    top: float | None = None,
) -> Chart:
    """Grouped bars, one group per month and one bar per series; a month whose values are
    withheld (None) draws no bar."""
    values = [v for _, column in series for v in column if v is not None]
    scale_top = top if top is not None else _nice_top(max(values, default=0))
    baseline = HEIGHT - BOTTOM
    plot = baseline - TOP
    slot = (WIDTH - LEFT) / max(len(months), 1)
    bar_width = slot * 0.8 / max(len(series), 1)
    groups = []
    for i, month in enumerate(months):
        bars = []
        x0 = LEFT + i * slot + slot * 0.1
        withheld = False
        for j, (_, column) in enumerate(series):
            value = column[i]
            if value is None:
                withheld = True
                continue
            height = plot * min(value, scale_top) / scale_top
            bars.append(
                Bar(
                    x=round(x0 + j * bar_width, 1),
                    y=round(baseline - height, 1),
                    width=round(bar_width - 1, 1),
                    height=round(height, 1),
                    colour=COLOURS[j % len(COLOURS)],
                    value=value,
                )
            )
        groups.append(Group(month, round(LEFT + (i + 0.5) * slot, 1), bars, withheld))
    ticks = [Tick(round(baseline - plot * k / 4, 1), scale_top * k / 4) for k in range(5)]
    return Chart(
        slug=slug,
        series=[(name, COLOURS[j % len(COLOURS)]) for j, (name, _) in enumerate(series)],
        groups=groups,
        ticks=ticks,
    )
