"""The people app's page regions that higher apps fill (kshare/core/pages.py), in page order.

A person's profile shows their sessions and ideas, which belong to apps above people: those apps
register their sections for the region below (sessions/parts.py, ideas/parts.py); people imports
neither. Each part's context function takes ``(request, person)``.
"""

from __future__ import annotations

from kshare.core.pages import region_declare

REGIONS: dict[str, tuple[str, ...]] = {
    # the profile, after skills and interests
    "person.profile": ("sessions.hosted", "sessions.attended", "ideas.profile"),
}


def declare() -> None:
    for name, order in REGIONS.items():
        region_declare(name, order=order)
