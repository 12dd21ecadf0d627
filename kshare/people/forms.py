from __future__ import annotations

import io
import re

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kshare.core.language import language_choices
from kshare.outbox.categories import CATEGORIES
from kshare.people import throttle
from kshare.people.models import Person, Role, Team
from kshare.people.offices import country_choices, office_region_error
from kshare.people.parsing import SkillsError, skills_format, skills_parse, timezone_names
from kshare.people.services import email_normalise
from kshare.people.sso import password_sign_in_refusal
from kshare.tags.services import TagError, tag_names_parse

INVITE_MAX_ADDRESSES = 200
IMPORT_MAX_BYTES = 5 * 1024 * 1024


def _timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in timezone_names()]


class TimezoneField(forms.ChoiceField):
    default_error_messages = {
        "invalid_choice": _(
            "Unknown timezone “%(value)s”. Choose one from the list, such as Europe/Berlin."
        )
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Timezone"))
        kwargs.setdefault("help_text", _("Times are shown to you in this timezone."))
        super().__init__(choices=_timezone_choices, **kwargs)


class ThrottledLoginMixin:
    """Sign-in limits (``people/throttle.py``) around ``AuthenticationForm.clean``.

    Used by the sign-in page and the admin's login. A locked-out attempt is refused before the
    password is checked (``lockout`` tells the view to answer 429); otherwise the attempt is
    recorded first, then forgotten when the password was right, which also clears the account.
    """

    lockout: throttle.Lockout | None = None

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return super().clean()
        refusal = password_sign_in_refusal(email=username)
        if refusal is not None:
            raise ValidationError(refusal, code="password_off")
        keys = throttle.throttle_keys(account=username, request=self.request)
        ids, self.lockout = throttle.throttle_allow(limits=throttle.SIGN_IN_LIMITS, keys=keys)
        if self.lockout is not None:
            raise ValidationError(self.lockout.message, code="locked")
        cleaned = super().clean()  # a wrong password raises: it counts
        throttle.throttle_forget(ids=ids)
        throttle.throttle_clear(action=throttle.Action.SIGN_IN, account=username)
        return cleaned


class LoginForm(ThrottledLoginMixin, auth_forms.AuthenticationForm):
    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _(
            "That e-mail address and password do not match an account. "
            "Passwords are case-sensitive; e-mail addresses are not."
        ),
    }


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin site's login, under the same limits as the sign-in page."""


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Only the address field: the view counts the request and a task sends the mail."""


class InviteForm(forms.Form):
    emails = forms.CharField(
        label=_("E-mail addresses"),
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off"}),
        help_text=_("One per line (commas work too). Each person gets their own sign-up link."),
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False, label=_("Team"), empty_label=_("No team")
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, *args, by: Person, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not by.is_admin:
            self.fields["role"].choices = [(Role.MEMBER.value, Role.MEMBER.label)]
            self.fields["role"].help_text = gettext("Only admins can invite organisers and admins.")

    def clean_emails(self) -> list[str]:
        addresses = [
            email_normalise(a) for a in re.split(r"[\s,;]+", self.cleaned_data["emails"]) if a
        ]
        addresses = list(dict.fromkeys(addresses))
        if not addresses:
            raise ValidationError(gettext("Enter at least one e-mail address."))
        if len(addresses) > INVITE_MAX_ADDRESSES:
            raise ValidationError(
                gettext(
                    "Invite at most %(max)s people at once (you entered %(count)s); "
                    "for more, ask an admin to import a CSV file."
                )
                % {"max": INVITE_MAX_ADDRESSES, "count": len(addresses)}
            )
        errors = []
        for address in addresses:
            try:
                if len(address) > 254:
                    raise ValidationError("too long")
                validate_email(address)
            except ValidationError:
                errors.append(
                    ValidationError(
                        gettext("“%(address)s” is not a valid e-mail address.")
                        % {"address": address[:80]}
                    )
                )
        existing = Person.objects.filter(email__in=addresses).values_list("email", flat=True)
        errors += [
            ValidationError(gettext("%(email)s already has an account.") % {"email": email})
            for email in sorted(existing)
        ]
        if errors:
            raise ValidationError(errors)
        return addresses


class SignupForm(forms.Form):
    display_name = forms.CharField(
        label=_("Your name"), max_length=120, help_text=_("As colleagues know you.")
    )
    timezone = TimezoneField()
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        self.fields["password1"].help_text = gettext(
            "At least 8 characters, not only digits, not a common password."
        )

    def clean(self) -> dict:
        data = super().clean()
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2:
            if password1 != password2:
                self.add_error("password2", gettext("The two passwords differ."))
            else:
                user = Person(email=self.email, display_name=data.get("display_name", ""))
                try:
                    validate_password(password1, user=user)
                except ValidationError as exc:
                    self.add_error("password1", exc)
        return data


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=120)
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False, label=_("Team"), empty_label=_("No team")
    )
    timezone = TimezoneField()
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=lambda: language_choices(blank=gettext("The browser's language")),
        help_text=_("Pages and the mail kshare sends you are written in this language."),
    )
    office_country = forms.ChoiceField(
        label=_("Office country"),
        required=False,
        choices=lambda: [
            ("", gettext("Not set (only the company's closure days)")),
            *country_choices(),
        ],
        help_text=_("No session time is proposed on its public holidays for you."),
    )
    office_subdivision = forms.CharField(
        label=_("Office region"),
        required=False,
        max_length=10,
        help_text=_("Optional: a state or region with its own holidays, e.g. BY (Bavaria)."),
    )
    bio = forms.CharField(
        label=_("Bio"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    interests_text = forms.CharField(
        label=_("Interests"),
        required=False,
        max_length=2000,
        help_text=_("Topics you would like to learn about, separated by commas: ml, data, sql"),
    )
    skills_text = forms.CharField(
        label=_("Skills"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "One per line as “name: level”, level 1 basic, 2 working, 3 expert — e.g. “python: 3”."
        ),
    )

    @classmethod
    def for_person(cls, person: Person, data=None) -> ProfileForm:
        initial = {
            "display_name": person.display_name,
            "team": person.team_id,
            "timezone": person.timezone,
            "language": person.language,
            "office_country": person.office_country,
            "office_subdivision": person.office_subdivision,
            "bio": person.bio,
            "interests_text": ", ".join(tag.name for tag in person.interests.all()),
            "skills_text": skills_format(
                [(s.tag.name, s.level) for s in person.skills.select_related("tag")]
            ),
        }
        return cls(data=data, initial=initial)

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise ValidationError(gettext("Enter a display name."))
        return name

    def clean_office_subdivision(self) -> str:
        subdivision = self.cleaned_data["office_subdivision"].strip().upper()
        error = office_region_error(self.cleaned_data.get("office_country", ""), subdivision)
        if error:
            raise ValidationError(error)
        return subdivision

    def clean_interests_text(self) -> list[str]:
        try:
            return tag_names_parse(self.cleaned_data["interests_text"])
        except TagError as exc:
            raise ValidationError(str(exc)) from exc

    def clean_skills_text(self) -> list[tuple[str, int]]:
        try:
            return skills_parse(self.cleaned_data["skills_text"])
        except SkillsError as exc:
            message = str(exc)
            raise ValidationError(message[:1].upper() + message[1:]) from exc


class PeopleImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 CSV with a header row: email, display_name, and optionally team, "
            "timezone, role, skills, interests. At most 5 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> io.StringIO:
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(
                gettext(
                    "The file is %(size)s; the limit is 5 MB. Split it, or "
                    "run “kshare import-people FILE.csv” on the server, which has no limit."
                )
                % {"size": filesizeformat(upload.size)}
            )
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise ValidationError(
                gettext("Choose a .csv file (save the spreadsheet as “CSV UTF-8”).")
            )
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                gettext(
                    "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8” "
                    "and upload it again."
                )
            ) from exc
        return io.StringIO(text, newline="")


class AccountDeleteForm(forms.Form):
    """Deleting your own account: your password, and the word DELETE typed out.

    A wrong password counts as a failed sign-in of the account (``throttle.SIGN_IN_LIMITS``), so
    a stolen session cannot guess the password here either.
    """

    CONFIRM_WORD = "DELETE"

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.CharField(
        # Translators: DELETE is the word to type; it stays in English capitals.
        label=_("Type DELETE to confirm"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, person: Person, *args, **kwargs) -> None:
        self.person = person
        self.request = kwargs.pop("request", None)
        super().__init__(*args, **kwargs)

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip()
        if value != self.CONFIRM_WORD:
            raise ValidationError(
                # Translators: DELETE is the word to type; it stays in English capitals.
                gettext("Type DELETE in capitals to confirm."),
                code="confirm",
            )
        return value

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        keys = throttle.throttle_keys(account=self.person.email, request=self.request)
        ids, lockout = throttle.throttle_allow(limits=throttle.SIGN_IN_LIMITS, keys=keys)
        if lockout is not None:
            raise ValidationError(lockout.message, code="locked")
        if not self.person.check_password(password):
            raise ValidationError(gettext("That is not your password."), code="password")
        throttle.throttle_forget(ids=ids)
        return password


class NotificationSettingsForm(forms.Form):
    """Which categories of notification mail the person gets (``kshare/outbox/categories.py``)."""

    on = forms.MultipleChoiceField(
        label=_("Mail you get"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(key, category.label) for key, category in CATEGORIES.items()],
        error_messages={"invalid_choice": _("Unknown kind of mail “%(value)s”.")},
    )
