"""Mail the people app sends itself, through the outbox (the password reset mail too: see
``forms.PasswordResetForm.send_mail``)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from kshare.outbox.services import mail_queue
from kshare.people.models import AccountInvite


def account_invite_link(*, token: str) -> str:
    return settings.SITE_URL + reverse("signup", args=[token])


def account_invite_send(*, invite: AccountInvite, token: str) -> None:
    """Queue the sign-up link mail in the outbox, which sends it and retries it until it is out."""
    context = {
        "invite": invite,
        "link": account_invite_link(token=token),
        "site_name": settings.KSHARE_ORGANISATION_NAME,
        "days": settings.KSHARE_ACCOUNT_INVITE_DAYS,
    }
    subject = "".join(render_to_string("people/email/invite_subject.txt", context).splitlines())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("people/email/invite_body.txt", context),
        to=[invite.email],
    )
    message.attach_alternative(
        render_to_string("people/email/invite_body.html", context), "text/html"
    )
    mail_queue(message, kind="account_invite")
