"""The library's parts of other apps' pages (kshare/core/pages.py)."""

from __future__ import annotations

from kshare.core.pages import part_register
from kshare.library.views import materials_context


def register() -> None:
    # The session page: "Mark as watched" for someone who missed it (its own template tag reads
    # the state), and the materials after the agenda.
    part_register(
        region="session.aside",
        name="library.catchup",
        template="library/_catchup_session.html",
    )
    part_register(
        region="session.materials",
        name="library.materials",
        template="library/_session_materials.html",
        context=materials_context,
    )
