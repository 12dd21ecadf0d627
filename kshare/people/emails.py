"""Mail the people app sends itself (the password reset mail is Django's, with our templates)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from kshare.people.models import AccountInvite


def account_invite_link(*, token: str) -> str:
    return settings.SITE_URL + reverse("signup", args=[token])


def account_invite_send(*, invite: AccountInvite, token: str) -> None:
    """Mail the sign-up link; errors propagate so that the caller can undo the invitation."""
    context = {
        "invite": invite,
        "link": account_invite_link(token=token),
        "site_name": settings.KSHARE_ORGANISATION_NAME,
        "days": settings.KSHARE_ACCOUNT_INVITE_DAYS,
    }
    subject = "".join(render_to_string("people/email/invite_subject.txt", context).splitlines())
    body = render_to_string("people/email/invite_body.txt", context)
    EmailMessage(subject=subject, body=body, to=[invite.email]).send()
