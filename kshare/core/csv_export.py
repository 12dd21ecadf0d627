"""The one CSV writer behind every export: RFC 4180, and no cell a spreadsheet would run.

A CSV file from kshare is opened in Excel, LibreOffice or Google Sheets by an organiser, and it
carries text other people typed (names, team names, feedback answers). A cell that starts with
``=``, ``+``, ``-`` or ``@`` is read as a formula there (``=cmd|' /C calc'!A0`` starts a program
in old Excel via DDE, ``=HYPERLINK(…)`` sends data away); a leading tab or carriage return is
skipped by some of them before they look (OWASP's "CSV injection" list). Such a cell is written
with an apostrophe in front — the spreadsheet's own marker for "this is text" — so it shows as
typed and runs nothing. The full-width variants (U+FF1D, U+FF0B, U+FF0D, U+FF20) are treated
the same, since some spreadsheets normalise them.

A value that is a plain number (an ``int``/``float``/``Decimal``, or text such as ``-3`` or
``4.50``) is written unchanged: a number runs nothing, and a negative number must stay a number.

Every export goes through ``csv_writer`` (a test fails when a module calls ``csv.writer``
itself), like ``defusedcsv`` does, but also covering tab and carriage return and keeping numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")  # noqa: RUF001
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
BOM = "\ufeff"


class _Writable(Protocol):
    def write(self, s: str, /) -> Any: ...


def cell_neutralise(value: object) -> str | int | float | Decimal:
    """The value as the writer stores it: formulas prefixed with ``'``, numbers untouched."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal)):
        return value
    text = str(value)
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeCsvWriter:
    """``csv.writer`` with every cell passed through ``cell_neutralise``; CRLF line ends."""

    def __init__(self, out: _Writable) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([cell_neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: _Writable, *, bom: bool = False) -> SafeCsvWriter:
    """The writer for an export into ``out`` (a file, ``StringIO`` or an ``HttpResponse``).

    ``bom`` first writes a UTF-8 byte-order mark, which Excel needs to read UTF-8 correctly.
    """
    if bom:
        out.write(BOM)
    return SafeCsvWriter(out)
