from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kshare.core.inputs import InputError, form_add_input_error, form_failed
from kshare.core.widgets import DateTimeLocalInput
from kshare.people.models import Person, Team
from kshare.sessions.cohosting import cohost_names_pending
from kshare.sessions.inputs import (
    MAX_TAGS,
    SESSION_EDIT_FIELDS,
    SESSION_FIELDS,
    SessionInput,
    cohosts_too_many,
    schedule_input_check,
    session_input_check,
    session_programme_choices,
    session_propose_input,
)
from kshare.sessions.models import (
    ABSTRACT_MAX_LENGTH,
    Format,
    Level,
    Session,
    Visibility,
    format_minutes,
)
from kshare.tags.forms import TagsField

# The typed input's field names -> the forms' (text fields parsed into the input's lists).
RENAME = {"tags": "tags_text", "cohosts": "cohosts_text"}


class SessionFieldsMixin(forms.Form):
    """Fields shared by the propose and edit forms: text parsed into a ``SessionInput``, whose
    rules (``kshare.sessions.inputs``) the forms show next to their fields."""

    tags_text = TagsField(
        label=_("Tags or skills"),
        max_tags=MAX_TAGS,
        help_text=_("Comma-separated, e.g. python, recommender systems."),
    )
    cohosts_text = forms.CharField(
        label=_("Co-hosts"),
        required=False,
        max_length=2000,
        help_text=_(
            "E-mail addresses of colleagues who host with you, comma-separated. Each is "
            "asked by mail and becomes a co-host on accepting."
        ),
    )

    def clean_cohosts_text(self) -> list[Person]:
        raw = self.cleaned_data["cohosts_text"]
        emails = [e.strip().lower() for e in raw.replace(";", ",").split(",") if e.strip()]
        if too_many := cohosts_too_many(len(emails)):
            raise ValidationError(too_many)
        people = {p.email: p for p in Person.objects.filter(email__in=emails, is_active=True)}
        unknown = [e for e in emails if e not in people]
        if unknown:
            raise ValidationError(
                gettext("Nobody here has the e-mail address %(emails)s.")
                % {"emails": ", ".join(unknown[:3])}
            )
        return list(people.values())


class SessionProposeForm(SessionFieldsMixin, forms.ModelForm):
    """Under a minute: title, abstract, format, optional date. The rest folds away."""

    start = forms.DateTimeField(
        label=_("Preferred date and time"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("Optional. Shown in your timezone; the organiser confirms the slot."),
    )

    class Meta:
        model = Session
        fields = list(SESSION_FIELDS)
        widgets = {
            "title": forms.TextInput(attrs={"autofocus": True, "maxlength": 200}),
            "abstract": forms.Textarea(attrs={"rows": 5, "maxlength": ABSTRACT_MAX_LENGTH}),
            "format": forms.RadioSelect,
            "teams": forms.CheckboxSelectMultiple,
        }
        help_texts = {"abstract": _("One paragraph is enough. Markdown works.")}
        labels = {
            "title": _("Title"),
            "abstract": _("Abstract"),
            "format": _("Format"),
            "programme": _("Programme"),
            "level": _("Level"),
            "location": _("Location"),
            "capacity": _("Capacity"),
            "visibility": _("Visibility"),
            "teams": _("Teams"),
        }

    def __init__(self, *args: object, person: Person, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        self.input: SessionInput | None = None
        self.fields["programme"].required = False
        self.fields["programme"].empty_label = gettext("Default programme")
        # Only programmes the person may propose into (the one rule: kshare.visibility.rules).
        self.fields["programme"].queryset = session_programme_choices(person=person)
        self.fields["teams"].queryset = Team.objects.order_by("name")
        self.fields["teams"].required = False
        # At least 1: the rule (and its message) is the input's, not the integer field's 0.
        self.fields["capacity"].validators = []
        self.fields["capacity"].widget.attrs["min"] = 1
        self.fields["format"].initial = Format.TALK
        self.fields["level"].initial = Level.ALL
        self.fields["visibility"].initial = Visibility.PUBLIC
        self.fields["format"].choices = [
            (
                value,
                gettext("%(format)s · %(minutes)s min")
                % {"format": label, "minutes": format_minutes(value)},
            )
            for value, label in Format.choices
        ]

    def edited(self) -> Session | None:
        """The session being edited; None for a proposal."""
        return None

    def clean(self) -> dict:
        data = super().clean()
        form_names = {name: RENAME.get(name, name) for name in [*self.Meta.fields, *RENAME]}
        values = {
            name: data[form_name] for name, form_name in form_names.items() if form_name in data
        }
        values["teams"] = list(values.get("teams", []))
        try:
            self.input = session_input_check(
                SessionInput(**values),
                by=self.person,
                session=self.edited(),
                skip=form_failed(self, RENAME),
            )
        except InputError as exc:
            form_add_input_error(self, exc, RENAME)
        else:
            data["title"] = self.input.title
        return data

    def propose(self, *, by: Person) -> Session:
        """Propose the session this valid form describes."""
        assert self.input is not None
        return session_propose_input(by=by, data=self.input)


class SessionEditForm(SessionProposeForm):
    end = forms.DateTimeField(label=_("Ends"), required=False, widget=DateTimeLocalInput())

    class Meta(SessionProposeForm.Meta):
        fields = list(SESSION_EDIT_FIELDS)

    def __init__(self, *args: object, person: Person, **kwargs: object) -> None:
        super().__init__(*args, person=person, **kwargs)
        self.fields["start"].label = gettext("Starts")
        self.fields["start"].help_text = gettext("In your timezone.")
        self.fields["programme"].required = True
        self.fields["programme"].empty_label = None
        if self.instance.pk:
            # The session's own programme stays a choice, whoever edits it.
            self.fields["programme"].queryset = session_programme_choices(
                person=person, session=self.instance
            )
            self.initial.setdefault(
                "tags_text", ", ".join(t.name for t in self.instance.tags.all())
            )
            # Co-hosts and those asked who have not answered: saving keeps both.
            cohosts = [
                link.person for link in self.instance.host_links.all() if link.role == "cohost"
            ]
            self.initial.setdefault(
                "cohosts_text",
                ", ".join(
                    p.email for p in [*cohosts, *cohost_names_pending(session=self.instance)]
                ),
            )

    def edited(self) -> Session | None:
        return self.instance

    def clean_end(self):
        end = self.cleaned_data.get("end")
        start, length = self.cleaned_data.get("start"), self.instance.duration
        if start and length and start != self.instance.start and end_left_as_shown(self):
            # Only the start moved: the session moves and keeps its length (the old end is no
            # fixed point — keeping it turned a 45-minute talk moved back into a 15-day one).
            return start + length
        return end


def end_left_as_shown(form: forms.BaseForm) -> bool:
    """Whether the submitted ``end`` is the one the form showed (the input shows minutes)."""
    shown = form.get_initial_for_field(form.fields["end"], "end")
    end = form.cleaned_data.get("end")
    if shown is None or end is None:
        return shown is None and end is None
    return end == shown.replace(second=0, microsecond=0)


class ScheduleForm(forms.Form):
    """A time for the session. An end left as shown moves with the start (the session keeps its
    length): ``cleaned_data["end"]`` is then None, which the service reads that way."""

    start = forms.DateTimeField(
        label=_("Starts"), widget=DateTimeLocalInput(), help_text=_("In your timezone.")
    )
    end = forms.DateTimeField(
        label=_("Ends"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("Leave it as it is, or empty, to keep the session's length."),
    )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if end is not None and end_left_as_shown(self):
            data["end"] = end = None
        try:
            schedule_input_check(start=start, end=end)
        except InputError as exc:
            form_add_input_error(self, exc)
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (shown in the history)"), required=False, max_length=500
    )
