"""The one CSV writer: formulas neutralised, numbers kept, and no export around it."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from kshare.core.csv_export import cell_neutralise, csv_writer
from kshare.core.tests.csv_payloads import EXPECTED, PAYLOADS


@pytest.mark.parametrize(("payload", "expected"), list(zip(PAYLOADS, EXPECTED, strict=True)))
def test_formula_cells_get_an_apostrophe(payload, expected):
    assert cell_neutralise(payload) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("＝1+1", "'＝1+1"),  # noqa: RUF001 (the full-width equals sign is the point)
        ("\n=1+1", "'\n=1+1"),
        ("-3", "-3"),
        ("+4.50", "+4.50"),
        ("-1e3", "-1e3"),
        ("-", "'-"),
        ("- bullet", "'- bullet"),
        ("a=1", "a=1"),
        (" =1", " =1"),
        ("", ""),
        (None, ""),
        (True, "yes"),
        (-7, -7),
        (-2.5, -2.5),
        (Decimal("-1.25"), Decimal("-1.25")),
    ],
)
def test_other_cells(value, expected):
    assert cell_neutralise(value) == expected


def test_writer_is_rfc_4180_with_an_optional_bom():
    out = io.StringIO()
    writer = csv_writer(out, bom=True)
    writer.writerow(["name", "note"])
    writer.writerows([["=1+1", 'two\nlines, "quoted"'], [-3, None]])
    text = out.getvalue()
    assert text == ('\ufeffname,note\r\n\'=1+1,"two\nlines, ""quoted"""\r\n-3,\r\n')
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))) == [
        ["name", "note"],
        ["'=1+1", 'two\nlines, "quoted"'],
        ["-3", ""],
    ]


def test_every_export_uses_the_one_writer():
    """No module but ``core/csv_export.py`` builds a ``csv.writer`` of its own."""
    root = Path(__file__).resolve().parents[2]
    own = re.compile(r"\bcsv\.(writer|DictWriter)\(")
    offenders = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.py"))
        if "tests" not in path.parts
        and path.name != "csv_export.py"
        and own.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
