"""The mails of drafts proposed on someone's behalf (``kshare.sessions.drafts`` has the rules).

Apart from the answer (``drafts.draft_answer``) because proposing one (``session_propose``) asks
the host too: both the session services and the drafts use these, and neither imports the other
back.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext

from kshare.core.language import keeps_language, speak_to
from kshare.outbox.services import mail_queue, one_line
from kshare.people.models import Person
from kshare.sessions.models import Session

REQUEST = "draft_host_request"
ACCEPTED = "draft_host_accepted"
DECLINED = "draft_host_declined"


def draft_answer_link(session: Session) -> str:
    return settings.SITE_URL + reverse("sessions:hosting", args=[session.pk])


def draft_mail_send(
    *, kind: str, to: Person, subject: str, session: Session, **extra: object
) -> None:
    """Queue one draft mail (``kind``: its template pair under ``sessions/email/``) to ``to``."""
    context = {
        "person": to,
        "session": session,
        "programme": session.programme,
        "session_link": settings.SITE_URL + session.get_absolute_url(),
        "answer_link": draft_answer_link(session),
        "site_name": settings.KSHARE_ORGANISATION_NAME,
        **extra,
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"sessions/email/{kind}.txt", context),
        to=[to.email],
    )
    message.attach_alternative(
        render_to_string(f"sessions/email/{kind}.html", context), "text/html"
    )
    mail_queue(message, kind=kind)


@keeps_language
def draft_host_ask(*, session: Session, host: Person, proposed_by: Person) -> None:
    """Mail ``host`` that ``proposed_by`` proposed ``session`` for them to host; call inside the
    transaction that created the draft."""
    if not host.is_active:
        return
    speak_to(host)
    draft_mail_send(
        kind=REQUEST,
        to=host,
        subject=gettext("%(name)s proposes that you host “%(title)s”")
        % {"name": one_line(proposed_by.display_name), "title": one_line(session.title)},
        session=session,
        proposed_by=proposed_by,
    )
