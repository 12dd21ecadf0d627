"""Mail the people app sends itself, through the outbox: sign-up links and password resets."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from kshare.core.language import keeps_language, speak_to
from kshare.outbox.services import mail_queue, one_line
from kshare.people.models import AccountInvite, Person


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
    subject = one_line(render_to_string("people/email/invite_subject.txt", context))
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("people/email/invite_body.txt", context),
        to=[invite.email],
    )
    message.attach_alternative(
        render_to_string("people/email/invite_body.html", context), "text/html"
    )
    mail_queue(message, kind="account_invite")


@keeps_language
def password_reset_send(*, email: str) -> int:
    """Queue a password-reset link to every active account using ``email``; returns how many.

    Runs in a task (``tasks.password_reset_mail_task``), not in the request: the request does
    the same work for an address with an account and one without, so its timing tells nothing.
    People without a usable password (imported, never signed in) get the link too: it is how
    they choose their first password.
    """
    people = Person.objects.filter(email__iexact=email.strip(), is_active=True)
    sent = 0
    for person in people:
        speak_to(person)
        context = {
            "email": person.email,
            "user": person,
            "uid": urlsafe_base64_encode(force_bytes(person.pk)),
            "token": default_token_generator.make_token(person),
            "site_url": settings.SITE_URL,
            "site_name": settings.KSHARE_ORGANISATION_NAME,
        }
        subject = one_line(render_to_string("people/email/password_reset_subject.txt", context))
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("people/email/password_reset_body.txt", context),
            to=[person.email],
        )
        message.attach_alternative(
            render_to_string("people/email/password_reset_body.html", context), "text/html"
        )
        mail_queue(message, kind="password_reset")
        sent += 1
    return sent
