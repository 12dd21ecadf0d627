"""``{% page_region "<region>" obj key=value … %}``: the parts other apps registered for a region
of this page (kshare/core/pages.py), rendered in the page's declared order."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.context import Context
from django.utils.safestring import SafeString

from kshare.core.pages import region_parts

register = template.Library()


@register.simple_tag(takes_context=True)
def page_region(context: Context, region: str, obj: Any, **keywords: Any) -> SafeString:
    request = context.get("request")
    engine = context.template.engine  # type: ignore[union-attr]  # set while a template renders
    html = []
    for part in region_parts(region):
        values = part.context(request, obj, **keywords) if part.context is not None else {}
        if values is None:  # the part has nothing to show to this reader
            continue
        # Like {% include %}: the page's context plus the part's own, popped again afterwards,
        # so one part's names never leak into the next.
        with context.push(values):
            html.append(engine.get_template(part.template).render(context))
    return SafeString("".join(html))
