"""The programme page's regions that higher apps fill (kshare/core/pages.py), in page order.

The page shows the programme's cadence (the next slots and, for organisers, what could fill
the open ones: reminders/parts.py) and its sessions (sessions/parts.py); programmes sits below
both and imports neither. Each part's context function takes ``(request, programme, *,
can_edit)``, ``can_edit`` being whether the reader may edit the programme.
"""

from __future__ import annotations

from kshare.core.pages import region_declare

REGIONS: dict[str, tuple[str, ...]] = {
    # after the organisers and calendar links
    "programme.cadence": ("scheduling.cadence",),
    # the end of the page
    "programme.sessions": ("sessions.programme",),
}


def declare() -> None:
    for name, order in REGIONS.items():
        region_declare(name, order=order)
