"""``{% catchup_state session as catchup %}``: the session page's "Mark as watched" box."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Exists, OuterRef

from kshare.library.models import CatchUpSignal, Material
from kshare.sessions.models import Attendance, Session, SessionHost, State

register = template.Library()


def catchup_state(person: Any, session: Session) -> dict[str, bool]:
    """Whether the box shows (a held session with material that ``person`` neither attended
    nor hosted) and which signals they gave it; one query."""
    if not getattr(person, "is_authenticated", False) or session.state != State.HELD:
        return {"show": False, "watched": False, "not_interested": False}
    mine = {"session": OuterRef("pk"), "person": person}
    signals = CatchUpSignal.objects.filter(**mine)
    row = (
        Session.objects.filter(pk=session.pk)
        .values(
            material=Exists(Material.objects.filter(session=OuterRef("pk"))),
            attended=Exists(Attendance.objects.filter(**mine)),
            hosted=Exists(SessionHost.objects.filter(**mine)),
            watched=Exists(signals.filter(kind=CatchUpSignal.Kind.WATCHED)),
            not_interested=Exists(signals.filter(kind=CatchUpSignal.Kind.NOT_INTERESTED)),
        )
        .first()
    )
    if row is None:
        return {"show": False, "watched": False, "not_interested": False}
    return {
        "show": bool(row["material"] and not row["attended"] and not row["hosted"]),
        "watched": bool(row["watched"]),
        "not_interested": bool(row["not_interested"]),
    }


@register.simple_tag(takes_context=True, name="catchup_state")
def catchup_state_tag(context: template.Context, session: Session) -> dict[str, bool]:
    request = context.get("request")
    return catchup_state(getattr(request, "user", None), session)
