from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from kshare.core.bodylimit import request_body_max
from kshare.people import selectors, services, throttle
from kshare.people.forms import (
    IMPORT_MAX_BYTES,
    InviteForm,
    LoginForm,
    PasswordResetForm,
    PeopleImportForm,
    ProfileForm,
    SignupForm,
)
from kshare.people.models import Team
from kshare.people.parsing import timezone_is_known
from kshare.people.services import InviteUnusable, PeopleImportError, email_normalise
from kshare.people.sso import password_sign_in_refusal
from kshare.people.tasks import password_reset_mail_task

logger = logging.getLogger(__name__)

PAGE_SIZE = 24
IMPORT_ERRORS_SHOWN = 500

INVITE_PROBLEMS = {
    "unknown": (
        404,
        _("This sign-up link does not work"),
        _(
            "The link is incomplete or was replaced by a newer invitation. Ask the person who "
            "invited you to send a new one."
        ),
    ),
    "used": (
        410,
        _("This sign-up link was already used"),
        _("Your account exists: sign in, or use “Forgot your password?” if you need a new one."),
    ),
    "expired": (
        410,
        _("This sign-up link has expired"),
        _(
            "Invitations are valid for a limited time. Ask the person who invited you to send a "
            "new one."
        ),
    ),
    "account_exists": (
        410,
        _("You already have an account"),
        _("An account with this e-mail address exists: sign in, or use “Forgot your password?”."),
    ),
}


def person_list(request: HttpRequest) -> HttpResponse:
    # NUL never matches anything and PostgreSQL refuses it in a query: drop it.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    teams = list(Team.objects.all())
    team = next((t for t in teams if t.slug == request.GET.get("team")), None)
    people = selectors.people_directory(query=query, team=team)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "people/list.html",
        {
            "page_obj": page,
            "people": page.object_list,
            "query": query,
            "teams": teams,
            "team": team,
            "nav": "people",
        },
    )


def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.person_profile(pk=pk)
    if person is None:
        return render(
            request,
            "web/error.html",
            {
                "status": 404,
                "title": gettext("Not found"),
                "text": gettext("There is no such person here."),
            },
            status=404,
        )
    # The sessions hosted and attended and the ideas are parts the sessions and ideas apps
    # register for the profile's region (people/parts.py, kshare/core/pages.py).
    return render(
        request,
        "people/detail.html",
        {"person": person, "is_me": person.pk == request.user.pk, "nav": "people"},
    )


def profile_edit(request: HttpRequest) -> HttpResponse:
    person = request.user
    form = ProfileForm.for_person(person, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.profile_update(
            person=person,
            display_name=data["display_name"],
            team=data["team"],
            timezone=data["timezone"],
            language=data["language"],
            office_country=data["office_country"],
            office_subdivision=data["office_subdivision"],
            bio=data["bio"],
            interests=data["interests_text"],
        )
        services.skills_set(person=person, skills=data["skills_text"])
        messages.success(request, gettext("Your profile is saved."))
        return redirect("people:profile", person.pk)
    return render(request, "people/edit.html", {"form": form, "nav": "people"})


def invite(request: HttpRequest) -> HttpResponse:
    if not request.user.is_organiser:
        raise PermissionDenied(gettext("Only organisers and admins can invite people."))
    form = InviteForm(request.POST or None, by=request.user)
    if request.method == "POST" and form.is_valid():
        sent = []
        for email in form.cleaned_data["emails"]:
            try:
                services.account_invite_create(
                    by=request.user,
                    email=email,
                    team=form.cleaned_data["team"],
                    role=form.cleaned_data["role"],
                )
            except ValidationError as exc:  # e.g. the account was created meanwhile
                form.add_error("emails", exc)
            else:
                sent.append(email)
        if sent:
            if len(sent) <= 5:
                text = ngettext(
                    "Invitation sent to %(who)s.", "Invitations sent to %(who)s.", len(sent)
                ) % {"who": ", ".join(sent)}
            else:
                text = ngettext(
                    "Invitation sent to %(count)s person.",
                    "Invitations sent to %(count)s people.",
                    len(sent),
                ) % {"count": len(sent)}
            messages.success(request, text)
        if form.is_valid():
            return redirect("people:invite")
    return render(
        request,
        "people/invite.html",
        {"form": form, "invite_days": settings.KSHARE_ACCOUNT_INVITE_DAYS, "nav": "people"},
    )


def _invite_problem(request: HttpRequest, reason: str) -> HttpResponse:
    status, title, text = INVITE_PROBLEMS[reason]
    return render(
        request, "people/signup_problem.html", {"title": title, "text": text}, status=status
    )


@login_not_required
@never_cache
@sensitive_post_parameters("password1", "password2")
def signup(request: HttpRequest, token: str) -> HttpResponse:
    invite = selectors.account_invite_for_token(token=token)
    try:
        services.account_invite_check(invite)
    except InviteUnusable as exc:
        return _invite_problem(request, exc.reason)
    assert invite is not None
    refusal = password_sign_in_refusal(email=invite.email)
    if refusal is not None:
        # No password to set: SSO is required, or the address may not sign in here at all.
        # The first sign-in through the provider takes the invitation (team, role).
        config = settings.KSHARE_OIDC
        domain_ok = services.email_domain_allowed(
            email=invite.email, domains=settings.KSHARE_SIGNIN_DOMAINS
        )
        return render(
            request,
            "people/signup_sso.html",
            {
                "invite": invite,
                "refusal": refusal,
                "sso_name": config["name"] if config and domain_ok else "",
            },
            status=403 if request.method == "POST" else 200,
        )
    inviter_tz = invite.invited_by.timezone if invite.invited_by else "UTC"
    form = SignupForm(
        request.POST or None,
        email=invite.email,
        initial={
            "display_name": invite.display_name,
            "timezone": inviter_tz if timezone_is_known(inviter_tz) else "UTC",
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            person = services.account_invite_accept(
                token=token,
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["password1"],
                timezone=form.cleaned_data["timezone"],
            )
        except InviteUnusable as exc:  # accepted in another tab a moment ago
            return _invite_problem(request, exc.reason)
        login(request, person, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            gettext("Welcome, %(name)s! Tell colleagues your skills.")
            % {"name": person.display_name},
        )
        return redirect("people:edit_profile")
    return render(request, "people/signup.html", {"form": form, "invite": invite})


# Files up to the limit, and a little larger ones to say so in the form.
@request_body_max(lambda: 2 * IMPORT_MAX_BYTES)
def people_import(request: HttpRequest) -> HttpResponse:
    if not request.user.is_admin:
        raise PermissionDenied(gettext("Only admins can import people."))
    form = PeopleImportForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form, "nav": "people"}
    if request.method == "POST" and form.is_valid():
        try:
            report = services.people_import_csv(file=form.cleaned_data["file"])
        except PeopleImportError as exc:
            context.update(
                summary=exc.summary,
                errors=exc.errors[:IMPORT_ERRORS_SHOWN],
                errors_hidden=max(0, len(exc.errors) - IMPORT_ERRORS_SHOWN),
            )
            return render(request, "people/import.html", context)
        teams = ngettext("%(count)s new team", "%(count)s new teams", report.teams_created) % {
            "count": report.teams_created
        }
        imported = ngettext(
            "Imported %(count)s person (%(teams)s).",
            "Imported %(count)s people (%(teams)s).",
            report.people,
        ) % {"count": report.people, "teams": teams}
        then = gettext(
            "They can set a password with “Forgot your password?”, or you can invite them."
        )
        messages.success(request, f"{imported} {then}")
        return redirect("people:import")
    return render(request, "people/import.html", context)


def _locked(response: HttpResponse, lockout: throttle.Lockout) -> HttpResponse:
    response.status_code = 429
    response["Retry-After"] = str(lockout.retry_after)
    return response


class LoginView(auth_views.LoginView):
    """Django's sign-in under the limits of ``people/throttle.py`` (``LoginForm``): a locked
    account or client address gets the form again with the reason and the wait, as a 429."""

    template_name = "people/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):  # type: ignore[no-untyped-def]
        context = super().get_context_data(**kwargs)
        config = settings.KSHARE_OIDC
        context["sso_name"] = config["name"] if config else ""
        context["sso_required"] = settings.KSHARE_SSO_REQUIRED
        return context

    def form_invalid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_invalid(form)
        return _locked(response, form.lockout) if form.lockout else response


class PasswordResetView(auth_views.PasswordResetView):
    """ "Forgot your password?": the same answer, after the same work, for every address.

    The request is counted (``throttle.RESET_LIMITS``: per address and per client address,
    whether or not an account uses it) and a task is queued that looks the address up and mails
    the link; so the page, and the time it takes, are the same for an address with an account
    and one without. Over a limit the form says so and how long to wait (429).
    """

    form_class = PasswordResetForm
    template_name = "people/password_reset_form.html"

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = email_normalise(form.cleaned_data["email"])
        keys = throttle.throttle_keys(account=email, request=self.request)
        _, lockout = throttle.throttle_allow(limits=throttle.RESET_LIMITS, keys=keys)
        if lockout is not None:
            form.add_error(None, lockout.message)
            return _locked(self.form_invalid(form), lockout)
        password_reset_mail_task.enqueue(email)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password through the mailed link also ends a sign-in lock-out."""

    template_name = "people/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        throttle.throttle_clear(action=throttle.Action.SIGN_IN, account=form.user.email)
        return response
