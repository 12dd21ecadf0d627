"""The dashboard's charts: grouped horizontal bars, built on the SVG primitives of kshare.core.svg.

Same rules as the feedback charts: ``role="img"`` with ``<title>`` and a ``<desc>`` stating every
number, no inline styles (classes from kshare.css), and each bar's number and series name printed
beside it, so nothing is told by colour alone. Trend charts reuse ``trend_chart`` directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.translation import gettext as _

from kshare.core.svg import LABEL_WIDTH, PAD
from kshare.core.svg import label_truncate as _truncate
from kshare.core.svg import svg_chart as _svg
from kshare.core.svg import svg_escape as _x
from kshare.core.svg import svg_number as _num

BAR = 12
GAP = 8  # between groups
VALUE_AREA = 170  # the longest bar; its number and series name follow it
CHART_WIDTH = 520  # room for "12 absentees who watched" after the longest bar


def _shown(value: int | Decimal | None) -> str:
    return "—" if value is None else str(value)


def grouped_bar_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | Decimal | None]]],
) -> str:
    """One group of bars per label, one bar per series, all on one scale.

    The description reads "2026-01: Proposed 3, Held 2; 2026-02: …".
    """
    for name, values in series:
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} and labels differ in length")
    largest = max((float(v) for _, values in series for v in values if v is not None), default=0.0)
    body = []
    parts = []
    y = PAD
    for i, label in enumerate(labels):
        parts.append(
            f"{label}: " + ", ".join(f"{name} {_shown(values[i])}" for name, values in series)
        )
        group_top = y
        for j, (name, values) in enumerate(series):
            value = values[i]
            width = 0.0 if value is None or largest <= 0 else float(value) * VALUE_AREA / largest
            # One colour per series (kshare.css), the same in the page's legend.
            body.append(
                f'<rect class="chart-bar chart-series-{j}" x="{LABEL_WIDTH}" y="{y}" '
                f'width="{_num(width)}" height="{BAR}" rx="2"/>'
                f'<text class="chart-value" x="{_num(LABEL_WIDTH + width + 6)}" y="{y + 10}">'
                f"{_x(_shown(value))} {_x(name.lower())}</text>"
            )
            y += BAR + 2
        middle = (group_top + y) / 2 + 4
        body.insert(
            len(body) - len(series),
            f'<text class="chart-label" x="{LABEL_WIDTH - 6}" y="{_num(middle)}" '
            f'text-anchor="end">{_x(_truncate(str(label)))}</text>',
        )
        y += GAP
    desc = ("; ".join(parts) + ".") if parts else _("No data.")
    return _svg(chart_id, title, desc, max(y, PAD * 2 + BAR) + PAD, body, width=CHART_WIDTH)
