"""Cells a spreadsheet would run, and how every kshare CSV export must write them."""

PAYLOADS = [
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
# What the CSV holds for each payload (read back with csv.reader): an apostrophe in front.
EXPECTED = ["'" + payload for payload in PAYLOADS]
