"""Every resource's router, registered on the one API.

Each module ``kshare/api/routers/<resource>.py`` exports ``router = Router(tags=[...])``;
add it to ``ROUTERS`` as (url prefix, dotted module). A module that does not exist yet is skipped,
so helpers can land routers independently.
"""

from __future__ import annotations

import importlib

from ninja import NinjaAPI

ROUTERS: list[tuple[str, str]] = [
    ("/me", "kshare.api.routers.me"),
    ("/sessions", "kshare.api.routers.sessions"),
    ("/sessions", "kshare.api.routers.rsvp"),
    ("/sessions", "kshare.api.routers.attendance"),
    ("/cohosting", "kshare.api.routers.cohosting"),
    ("/programmes", "kshare.api.routers.programmes"),
    ("/people", "kshare.api.routers.people"),
    # api-more
    ("/feedback", "kshare.api.routers.feedback"),
    ("/materials", "kshare.api.routers.materials"),
    ("/ideas", "kshare.api.routers.ideas"),
    ("/topics", "kshare.api.routers.topics"),
    ("/search", "kshare.api.routers.search"),
    ("/recommendations", "kshare.api.routers.recommendations"),
    ("/dashboard", "kshare.api.routers.dashboard"),
    ("/webhooks", "kshare.api.routers.webhooks"),
]


def register(api: NinjaAPI) -> None:
    for prefix, module_name in ROUTERS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        api.add_router(prefix, module.router)
