"""Pages composed from several apps: named page regions filled with parts that other apps register.

A page that shows other apps' parts (the session page shows check-in, materials, questions,
ideas, …) must not import those apps' views: they sit above it. Instead the page's owner
*declares* a region and the order of the parts it lays out in it, and each app *registers*
its part for that region in its ``AppConfig.ready``: a template (a file, or a Django template
partial ``"app/_file.html#name"``) and a context function. The page template renders the region
with ``{% page_region "<region>" obj key=value … %}`` (``{% load page_parts %}``), which for
each registered part, in the declared order, calls ``context(request, obj, **keywords)`` and
renders the part's template with the page's context plus what the function returned. A
function that returns ``None`` says the part has nothing to show to this reader: the part
renders nothing. A part without a context function just renders its template.

The declared order names parts as strings, so the page knows where a part goes but imports
nothing from the app that provides it; a declared part whose app is not installed is skipped.
Declarations and registrations may happen in any order (app ``ready`` order does not matter);
both are checked when a region is rendered: an undeclared region, or a part registered for a
region that does not name it, raises ``PageRegionError`` with the names that would be valid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

PartContext = Callable[..., dict[str, Any] | None]


class PageRegionError(LookupError):
    """A region nobody declared, or a part the region's declared order does not name."""


@dataclass(frozen=True)
class Part:
    name: str
    template: str
    context: PartContext | None = None


_regions: dict[str, tuple[str, ...]] = {}
_parts: dict[str, dict[str, Part]] = {}


def region_declare(name: str, *, order: Sequence[str]) -> None:
    """Declare the page region ``name`` and the order its parts are laid out in (the page
    owner's call). Declaring it again replaces the order."""
    if len(set(order)) != len(order):
        raise PageRegionError(f"Page region {name!r} names a part twice: {list(order)}.")
    _regions[name] = tuple(order)


def part_register(
    *, region: str, name: str, template: str, context: PartContext | None = None
) -> None:
    """Register the part ``name`` for ``region``: ``template`` rendered with the page's context
    plus ``context(request, obj, **keywords)`` (``None`` from it: the part is not shown).
    Registering the same name again replaces it (``ready`` may run more than once in tests)."""
    _parts.setdefault(region, {})[name] = Part(name=name, template=template, context=context)


def region_parts(region: str) -> list[Part]:
    """The parts registered for ``region``, in the order its page declared."""
    order = _regions.get(region)
    if order is None:
        known = ", ".join(sorted(_regions)) or "none"
        raise PageRegionError(f"No page region {region!r} is declared (declared: {known}).")
    registered = _parts.get(region, {})
    stray = sorted(set(registered) - set(order))
    if stray:
        raise PageRegionError(
            f"Part(s) {', '.join(stray)} registered for page region {region!r}, whose declared "
            f"order names only: {', '.join(order) or 'nothing'}."
        )
    return [registered[name] for name in order if name in registered]


def regions_declared() -> dict[str, tuple[str, ...]]:
    """Every declared region and its order (for docs and tests)."""
    return dict(_regions)


def part_unregister(*, region: str, name: str) -> None:
    """Remove a part (tests that register throw-away parts clean up with it)."""
    _parts.get(region, {}).pop(name, None)


def region_forget(name: str) -> None:
    """Remove a declared region and its parts (tests clean up with it)."""
    _regions.pop(name, None)
    _parts.pop(name, None)
