"""``{% session_card session %}``: a session list's card, rendered once per content.

Every list of sessions (home, upcoming, a tag's and a programme's sessions) shows the same card
for a session to every reader with the same language and time zone; rendering twenty of them
was about half of such a page's CPU. The card is kept here, in each process, under a key made of
everything it shows (``card_key``, kept by ``kshare.core.kept``): a card whose session, hosts,
programme or tags changed gets a new key, so a kept card is never stale and nothing has to be
invalidated. The reader's own parts
(the star) are rendered by the list around it.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from kshare.core.kept import Kept, shown_in
from kshare.sessions.models import Session

register = template.Library()

TEMPLATE = "sessions/_session_card.html"
# Cards kept per process (~1.5 kB each): the next month's sessions in a few languages and zones.
LIMIT = 4096

_cards = Kept("session cards", limit=LIMIT)


def card_key(session: Session) -> tuple[Any, ...]:
    """Everything ``TEMPLATE`` shows of ``session``, and what it is shown in: language, time
    zone and the address prefix of its links. Uses the prefetched hosts and tags when there."""
    return (
        session.pk,
        session.title,
        session.start,
        session.format,
        session.state,
        session.programme.name,
        tuple(link.person.display_name for link in session.host_links.all()),
        tuple((tag.slug, tag.name) for tag in session.tags.all()),
        *shown_in(),
    )


@register.simple_tag
def session_card(session: Session) -> SafeString:
    return _cards.get(
        card_key(session),
        lambda: mark_safe(render_to_string(TEMPLATE, {"session": session})),  # noqa: S308 - a template's output
    )


def cards_forget() -> None:
    """Empties this process's kept cards (tests)."""
    _cards.forget()
