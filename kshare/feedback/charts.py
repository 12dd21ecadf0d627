"""Server-side SVG charts for feedback results: plain Python in, an SVG string out (Django only
for the translation of the words in titles and descriptions).

Every chart is ``<svg role="img" aria-labelledby="<id>-t <id>-d">`` with a ``<title>`` and a
``<desc>`` that states every number, so a screen reader gets the whole chart as text. No
``style=`` attributes (the CSP forbids inline styles): colours come from CSS classes in
kshare.css, with ``currentColor`` presentation attributes as the fallback, so light and dark
mode both work; every bar and point has its number printed beside it (nothing by colour alone).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# The shared primitives (escaping, numbers, the accessible <svg> element) live in core.
from kshare.core.svg import LABEL_WIDTH as LABEL_WIDTH
from kshare.core.svg import PAD as PAD
from kshare.core.svg import WIDTH as WIDTH
from kshare.core.svg import label_truncate as _truncate
from kshare.core.svg import svg_chart as _svg
from kshare.core.svg import svg_escape as _x
from kshare.core.svg import svg_number as _num

COMPARISON_LABEL_WIDTH = 150  # "Programme average" fits
COMPARISON_BAR_AREA = 200  # label + bar + value stay inside WIDTH
BAR_AREA = 240  # the longest bar
ROW = 24
BAR_HEIGHT = 16


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _from_total(total: int, unit: str) -> str:
    if unit == "response":
        text = ngettext("from %(count)s response", "from %(count)s responses", total)
    elif unit == "answer":
        text = ngettext("from %(count)s answer", "from %(count)s answers", total)
    else:
        return f"from {_plural(total, unit)}"
    return text % {"count": total}


def _none_of(unit: str) -> str:
    if unit == "response":
        return _("No responses.")
    if unit == "answer":
        return _("No answers.")
    return f"No {unit}s."


def bar_width(count: int, largest: int, area: int = BAR_AREA) -> float:
    """Width of a bar: proportional to the largest count, which fills ``area``."""
    return 0.0 if largest <= 0 else count * area / largest


def distribution_chart(
    *, chart_id: str, title: str, labels: Sequence[str], counts: Sequence[int], unit: str
) -> str:
    """Horizontal bars, one per label, with the count printed after each bar.

    The description reads "5 stars 12, 4 stars 7, … (19 responses)" — ``unit`` names what
    the total counts ("response", "answer"), pluralised.
    """
    if len(labels) != len(counts):
        raise ValueError("labels and counts differ in length")
    total = sum(counts)
    largest = max(counts, default=0)
    desc = ", ".join(f"{label} {count}" for label, count in zip(labels, counts, strict=True))
    desc = f"{desc} ({_from_total(total, unit)})" if desc else _none_of(unit)
    body = []
    for i, (label, count) in enumerate(zip(labels, counts, strict=True)):
        y = PAD + i * ROW
        width = bar_width(count, largest)
        body.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 6}" y="{y + 12}" '
            f'text-anchor="end">{_x(_truncate(str(label)))}</text>'
            f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y}" width="{_num(width)}" '
            f'height="{BAR_HEIGHT}" rx="2"/>'
            f'<text class="chart-value" x="{_num(LABEL_WIDTH + width + 6)}" y="{y + 12}">'
            f"{count}</text>"
        )
    height = PAD * 2 + max(len(labels), 1) * ROW
    return _svg(chart_id, title, desc, height, body)


def comparison_chart(
    *,
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, Decimal | None]],
    scale_max: int = 5,
) -> str:
    """Bars on a fixed 0..``scale_max`` scale to compare means, e.g. session vs programme.

    A missing value (no responses) draws no bar and reads "no responses".
    """
    left, area = COMPARISON_LABEL_WIDTH, COMPARISON_BAR_AREA
    parts = []
    body = []
    for i, (label, value) in enumerate(items):
        y = PAD + i * ROW
        shown = _("no responses") if value is None else f"{value:.2f}"
        parts.append(
            f"{label} {shown}"
            if value is None
            else _("%(label)s %(value)s out of %(max)s")
            % {"label": label, "value": shown, "max": scale_max}
        )
        width = 0.0 if value is None else float(value) * area / scale_max
        body.append(
            f'<text class="chart-label" x="{left - 6}" y="{y + 12}" '
            f'text-anchor="end">{_x(_truncate(label, 22))}</text>'
            f'<rect class="chart-track" x="{left}" y="{y}" width="{area}" '
            f'height="{BAR_HEIGHT}" rx="2" fill="none" stroke="currentColor"/>'
            f'<rect class="chart-bar{" chart-bar-alt" if i else ""}" x="{left}" '
            f'y="{y}" width="{_num(width)}" height="{BAR_HEIGHT}" rx="2"/>'
            f'<text class="chart-value" x="{left + area + 6}" y="{y + 12}">'
            f"{_x(shown)}</text>"
        )
    desc = "; ".join(parts) + "." if parts else _("Nothing to compare.")
    return _svg(chart_id, title, desc, PAD * 2 + max(len(items), 1) * ROW, body)


TREND_HEIGHT = 200
TREND_MAX_WIDTH = 900
TREND_STEP = 64  # horizontal room per session
TREND_MAX_LABELS = 12
TREND_TOP = 16
TREND_BOTTOM = 40  # room for the x labels
TREND_LEFT = 44  # room for the y labels and half of the first date
TREND_RIGHT = 36  # half of the last date label


def trend_y(value: float | Decimal, low: int = 1, high: int = 5) -> float:
    """Vertical position of a value on the trend chart (``high`` at the top)."""
    plot = TREND_HEIGHT - TREND_TOP - TREND_BOTTOM
    return TREND_TOP + (high - float(value)) * plot / (high - low)


def trend_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[Decimal | None],
    low: int = 1,
    high: int = 5,
) -> str:
    """Points joined by lines, one per label (a session); ``None`` leaves a gap in the line.

    The value is printed above each point; the description lists "label value" for every one.
    """
    if len(labels) != len(values):
        raise ValueError("labels and values differ in length")
    n = len(labels)
    # Wider for many sessions (up to 900 units); the page scales it down on a phone.
    width = min(TREND_MAX_WIDTH, max(WIDTH, TREND_LEFT + TREND_RIGHT + TREND_STEP * n))
    span = width - TREND_LEFT - TREND_RIGHT
    label_every = max(1, math.ceil(n / TREND_MAX_LABELS))
    xs = [TREND_LEFT + (span / 2 if n == 1 else i * span / (n - 1)) for i in range(n)]
    body = []
    for level in range(low, high + 1):
        y_level = trend_y(level, low, high)
        y = _num(y_level)
        body.append(
            f'<line class="chart-grid" x1="{TREND_LEFT}" y1="{y}" x2="{width - TREND_RIGHT}" '
            f'y2="{y}" stroke="currentColor" stroke-opacity="0.2"/>'
            f'<text class="chart-label" x="{TREND_LEFT - 8}" y="{_num(y_level + 4)}" '
            f'text-anchor="end">{level}</text>'
        )
    segment: list[str] = []
    segments = []
    for x, value in zip(xs, values, strict=True):
        if value is None:
            if len(segment) > 1:
                segments.append(segment)
            segment = []
        else:
            segment.append(f"{_num(x)},{_num(trend_y(value, low, high))}")
    if len(segment) > 1:
        segments.append(segment)
    body += [
        f'<polyline class="chart-line" points="{" ".join(s)}" fill="none" '
        f'stroke="currentColor" stroke-width="2"/>'
        for s in segments
    ]
    base = TREND_HEIGHT - TREND_BOTTOM
    for i, (x, label, value) in enumerate(zip(xs, labels, values, strict=True)):
        if value is not None:
            y = trend_y(value, low, high)
            body.append(
                f'<circle class="chart-point" cx="{_num(x)}" cy="{_num(y)}" r="4"/>'
                f'<text class="chart-value" x="{_num(x)}" y="{_num(y - 8)}" '
                f'text-anchor="middle">{value:.1f}</text>'
            )
        # Alternate label rows, and thin them out, so neighbours do not overlap; the
        # description still names every session.
        if i % label_every == 0 or i == n - 1:
            row = (i // label_every) % 2
            body.append(
                f'<text class="chart-label" x="{_num(x)}" y="{base + 16 + row * 14}" '
                f'text-anchor="middle">{_x(_truncate(str(label), 14))}</text>'
            )
    parts = [
        f"{label} {_('no responses') if value is None else f'{value:.2f}'}"
        for label, value in zip(labels, values, strict=True)
    ]
    desc = (
        _("On a scale of %(low)s to %(high)s: %(values)s.")
        % {"low": low, "high": high, "values": ", ".join(parts)}
        if parts
        else _("No sessions.")
    )
    return _svg(chart_id, title, desc, TREND_HEIGHT, body, width=width)
