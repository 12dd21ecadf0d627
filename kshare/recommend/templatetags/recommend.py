"""The recommender's blocks on other apps' pages, each a one-line include for those pages.

``{% recommended_sessions %}`` (home), ``{% recordings_you_may_like %}`` (catch-up),
``{% suggested_invitees session %}`` (invite dialog), ``{% who_could_host topic %}`` (topic
request page), ``{% who_could_host_idea idea %}`` (idea page). Each reads the recommend
selectors: a fixed number of queries, no training.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from kshare.recommend import selectors
from kshare.recommend.models import Recommendation

register = template.Library()


def _viewer(context: template.Context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.inclusion_tag("recommend/_recommended.html", takes_context=True)
def recommended_sessions(context: template.Context, limit: int = selectors.FEED_SIZE) -> dict:
    person = _viewer(context)
    items = (
        selectors.recommended_for(person=person, kind=Recommendation.Kind.SESSION, limit=limit)
        if person is not None
        else []
    )
    return {
        "items": items,
        "heading": _("Recommended for you"),
        "block_id": "recommended-sessions",
        "empty_text": _("Add skills and interests to your profile and kshare suggests sessions."),
        "anchor": "",
    }


@register.inclusion_tag("recommend/_recommended.html", takes_context=True)
def recordings_you_may_like(context: template.Context, limit: int = selectors.FEED_SIZE) -> dict:
    person = _viewer(context)
    items = (
        selectors.recommended_for(person=person, kind=Recommendation.Kind.RECORDING, limit=limit)
        if person is not None
        else []
    )
    return {
        "items": items,
        "heading": _("Recordings you may like"),
        "block_id": "recommended-recordings",
        "empty_text": "",
        "anchor": "#materials",
    }


@register.inclusion_tag("recommend/_suggested_invitees.html")
def suggested_invitees(session, limit: int = selectors.INVITEES) -> dict:
    return {"session": session, "invitees": selectors.invitees_for(session=session, limit=limit)}


@register.inclusion_tag("recommend/_who_could_host.html", takes_context=True)
def who_could_host(context: template.Context, topic, limit: int = selectors.HOSTS) -> dict:
    person = _viewer(context)
    hosts = (
        selectors.hosts_for_topic(viewer=person, topic=topic, limit=limit)
        if person is not None
        else []
    )
    return {"topic": topic, "hosts": hosts}


@register.inclusion_tag("recommend/_who_could_host.html", takes_context=True)
def who_could_host_idea(context: template.Context, idea, limit: int = selectors.HOSTS) -> dict:
    person = _viewer(context)
    hosts = (
        selectors.hosts_for_idea(viewer=person, idea=idea, limit=limit)
        if person is not None
        else []
    )
    return {"hosts": hosts}
