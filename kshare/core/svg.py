"""SVG chart primitives shared by the feedback and dashboard charts: plain Python, no Django.

A chart is ``<svg role="img" aria-labelledby="<id>-t <id>-d">`` with a ``<title>`` and a
``<desc>`` that states every number (``svg_chart``), so a screen reader gets the whole chart as
text; no ``style=`` attributes (the CSP forbids inline styles), colours from kshare.css classes
with ``currentColor`` as the fallback. The charts themselves stay with their apps
(``feedback/charts.py``: distribution, comparison, trend; ``dashboard/charts.py``: grouped bars).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from html import escape

WIDTH = 400
LABEL_WIDTH = 110  # left column for bar labels
PAD = 4
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def svg_escape(text: object) -> str:
    """XML-escaped text (attributes too); control characters, invalid in XML, are dropped."""
    return escape(_CONTROL.sub("", str(text)), quote=True)


def svg_number(value: float | Decimal) -> str:
    """A coordinate with at most two decimals and no trailing zeros: 120, 80.5, 33.33."""
    text = f"{Decimal(str(value)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def label_truncate(label: str, limit: int = 16) -> str:
    """``label`` cut to ``limit`` characters, the last one an ellipsis when cut."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def svg_chart(
    chart_id: str, title: str, desc: str, height: int, body: list[str], width: int = WIDTH
) -> str:
    """The ``<svg>`` element around ``body``, with its accessible title and description."""
    cid = svg_escape(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{cid}-t {cid}-d" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-size="12" fill="currentColor">'
        f'<title id="{cid}-t">{svg_escape(title)}</title>'
        f'<desc id="{cid}-d">{svg_escape(desc)}</desc>' + "".join(body) + "</svg>"
    )
