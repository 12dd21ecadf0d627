"""The SVG charts: exact text alternatives, exact geometry, escaping, no inline styles."""

from __future__ import annotations

import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from kshare.feedback import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 — our own output


def test_distribution_chart_states_every_number_in_its_title_and_description() -> None:
    svg = charts.distribution_chart(
        chart_id="overall",
        title="Overall rating",
        labels=["5 stars", "4 stars", "3 stars", "2 stars", "1 star"],
        counts=[12, 7, 0, 1, 0],
        unit="response",
    )
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "overall-t overall-d"
    assert root.find(f"{SVG}title").text == "Overall rating"
    assert root.find(f"{SVG}title").get("id") == "overall-t"
    assert root.find(f"{SVG}desc").get("id") == "overall-d"
    assert root.find(f"{SVG}desc").text == (
        "5 stars 12, 4 stars 7, 3 stars 0, 2 stars 1, 1 star 0 (from 20 responses)"
    )


def test_distribution_chart_bar_widths_are_proportional_to_the_largest_count() -> None:
    svg = charts.distribution_chart(
        chart_id="c", title="T", labels=["a", "b", "c", "d"], counts=[3, 1, 0, 2], unit="answer"
    )
    widths = [r.get("width") for r in _parse(svg).iter(f"{SVG}rect")]
    # 240 for the largest; 1/3 of 240 = 80; 2/3 of 240 = 160.
    assert widths == ["240", "80", "0", "160"]
    values = [t.text for t in _parse(svg).iter(f"{SVG}text") if t.get("class") == "chart-value"]
    assert values == ["3", "1", "0", "2"]


def test_distribution_chart_rounds_widths_to_two_decimals() -> None:
    svg = charts.distribution_chart(
        chart_id="c", title="T", labels=["a", "b"], counts=[3, 2], unit="answer"
    )
    assert [r.get("width") for r in _parse(svg).iter(f"{SVG}rect")] == ["240", "160"]
    svg = charts.distribution_chart(
        chart_id="c", title="T", labels=["a", "b"], counts=[7, 1], unit="answer"
    )
    assert [r.get("width") for r in _parse(svg).iter(f"{SVG}rect")] == ["240", "34.29"]


def test_one_response_is_singular_and_no_counts_draw_empty_bars() -> None:
    one = charts.distribution_chart(
        chart_id="c", title="T", labels=["5 stars", "4 stars"], counts=[1, 0], unit="response"
    )
    assert _parse(one).find(f"{SVG}desc").text == "5 stars 1, 4 stars 0 (from 1 response)"
    none = charts.distribution_chart(
        chart_id="c", title="T", labels=["Yes", "No"], counts=[0, 0], unit="answer"
    )
    assert [r.get("width") for r in _parse(none).iter(f"{SVG}rect")] == ["0", "0"]


def test_labels_titles_and_ids_are_escaped() -> None:
    svg = charts.distribution_chart(
        chart_id='x"y',
        title="<script>alert(1)</script> & co",
        labels=['"quoted" <b>', "Tom & Jerry's\x00"],
        counts=[1, 2],
        unit="answer",
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in svg
    root = _parse(svg)  # well-formed XML despite the input
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label"]
    assert labels == ['"quoted" <b>', "Tom & Jerry's"]
    assert root.get("aria-labelledby") == 'x"y-t x"y-d'


def test_charts_have_no_inline_style_and_use_current_colour() -> None:
    svgs = [
        charts.distribution_chart(chart_id="a", title="T", labels=["a"], counts=[1], unit="x"),
        charts.comparison_chart(
            chart_id="b", title="T", items=[("This session", Decimal("4.6")), ("All", None)]
        ),
        charts.trend_chart(chart_id="c", title="T", labels=["a"], values=[Decimal(4)]),
    ]
    for svg in svgs:
        assert "style=" not in svg
        assert _parse(svg).get("fill") == "currentColor"
        assert re.search(r"#[0-9a-fA-F]{3,6}\b", svg) is None  # no fixed colours


def test_comparison_chart_scales_to_five_and_says_no_responses() -> None:
    svg = charts.comparison_chart(
        chart_id="cmp",
        title="This session compared with the programme average",
        items=[("This session", Decimal("4.60")), ("Programme average", None)],
    )
    root = _parse(svg)
    assert root.find(f"{SVG}desc").text == (
        "This session 4.60 out of 5; Programme average no responses."
    )
    bars = [r.get("width") for r in root.iter(f"{SVG}rect") if "chart-bar" in r.get("class")]
    assert bars == ["184", "0"]  # 4.6 / 5 * 200


def test_trend_chart_breaks_the_line_at_gaps_and_describes_every_session() -> None:
    svg = charts.trend_chart(
        chart_id="trend",
        title="Overall rating per session",
        labels=["2026-01-08", "2026-01-22", "2026-02-05", "2026-02-19", "2026-03-05"],
        values=[Decimal("4.5"), Decimal("5"), None, Decimal("3"), Decimal("1")],
    )
    root = _parse(svg)
    assert root.find(f"{SVG}desc").text == (
        "On a scale of 1 to 5: 2026-01-08 4.50, 2026-01-22 5.00, 2026-02-05 no responses, "
        "2026-02-19 3.00, 2026-03-05 1.00."
    )
    # x: 30 + i * 350 / 4; y: 16 + (5 - v) * 144 / 4
    lines = [p.get("points") for p in root.iter(f"{SVG}polyline")]
    assert lines == ["44,34 124,16", "284,88 364,160"]
    assert len(list(root.iter(f"{SVG}circle"))) == 4


def test_trend_chart_with_one_session_puts_the_point_in_the_middle() -> None:
    root = _parse(charts.trend_chart(chart_id="t", title="T", labels=["a"], values=[Decimal(5)]))
    circle = next(root.iter(f"{SVG}circle"))
    assert (circle.get("cx"), circle.get("cy")) == ("204", "16")
    assert list(root.iter(f"{SVG}polyline")) == []


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError):
        charts.distribution_chart(chart_id="c", title="T", labels=["a"], counts=[], unit="x")
    with pytest.raises(ValueError):
        charts.trend_chart(chart_id="c", title="T", labels=[], values=[Decimal(1)])


def test_trend_chart_widens_and_thins_its_labels_for_many_sessions() -> None:
    labels = [f"S{i}" for i in range(30)]
    svg = charts.trend_chart(
        chart_id="many", title="Many", labels=labels, values=[Decimal("4")] * 30
    )
    root = _parse(svg)
    assert root.get("width") == "900"
    shown = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.startswith("S")]
    assert shown == ["S0", "S3", "S6", "S9", "S12", "S15", "S18", "S21", "S24", "S27", "S29"]
    assert root.find(f"{SVG}desc").text.count("4.00") == 30
