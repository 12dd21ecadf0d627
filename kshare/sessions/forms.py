from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils import timezone

from kshare.people.models import Person, Team
from kshare.programmes.models import Programme
from kshare.programmes.selectors import programmes_visible_to
from kshare.sessions.models import (
    ABSTRACT_MAX_LENGTH,
    Format,
    Level,
    Session,
    Visibility,
    format_minutes,
)
from kshare.tags.forms import TagsField
from kshare.tags.models import Tag
from kshare.tags.services import tags_get_or_create

MAX_COHOSTS = 10


class DateTimeLocalInput(forms.DateTimeInput):
    """``<input type=datetime-local>``, shown and read in the reader's timezone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class SessionFieldsMixin(forms.Form):
    """Fields shared by the propose and edit forms, with their cleaning."""

    tags_text = TagsField(
        label="Tags or skills",
        help_text="Comma-separated, e.g. python, recommender systems.",
    )
    cohosts_text = forms.CharField(
        label="Co-hosts",
        required=False,
        max_length=2000,
        help_text="E-mail addresses of colleagues who host with you, comma-separated. Each is "
        "asked by mail and becomes a co-host on accepting.",
    )

    def clean_title(self) -> str:
        # NUL characters are refused by Django's form fields already (PostgreSQL would reject them).
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise ValidationError("Give the session a title.")
        return title

    def clean_cohosts_text(self) -> list[Person]:
        raw = self.cleaned_data["cohosts_text"]
        emails = [e.strip().lower() for e in raw.replace(";", ",").split(",") if e.strip()]
        if len(emails) > MAX_COHOSTS:
            raise ValidationError(f"Add at most {MAX_COHOSTS} co-hosts.")
        people = {p.email: p for p in Person.objects.filter(email__in=emails, is_active=True)}
        unknown = [e for e in emails if e not in people]
        if unknown:
            raise ValidationError(
                "Nobody here has the e-mail address " + ", ".join(unknown[:3]) + "."
            )
        return list(people.values())

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", "The end must be after the start.")
        if data.get("visibility") == Visibility.TEAMS and not data.get("teams"):
            self.add_error("teams", "Choose at least one team, or make the session public.")
        return data

    def tags(self) -> list[Tag]:
        return tags_get_or_create(names=self.cleaned_data["tags_text"])


class SessionProposeForm(SessionFieldsMixin, forms.ModelForm):
    """Under a minute: title, abstract, format, optional date. The rest folds away."""

    start = forms.DateTimeField(
        label="Preferred date and time",
        required=False,
        widget=DateTimeLocalInput(),
        help_text="Optional. Shown in your timezone; the organiser confirms the slot.",
    )

    class Meta:
        model = Session
        fields = [
            "title",
            "abstract",
            "format",
            "start",
            "programme",
            "level",
            "location",
            "call_url",
            "capacity",
            "visibility",
            "teams",
        ]
        widgets = {
            "title": forms.TextInput(attrs={"autofocus": True, "maxlength": 200}),
            "abstract": forms.Textarea(attrs={"rows": 5, "maxlength": ABSTRACT_MAX_LENGTH}),
            "format": forms.RadioSelect,
            "teams": forms.CheckboxSelectMultiple,
        }
        help_texts = {"abstract": "One paragraph is enough. Markdown works."}

    def __init__(self, *args: object, person: Person, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        self.fields["programme"].required = False
        self.fields["programme"].empty_label = "Default programme"
        # Only programmes the person may propose into (the one rule: kshare.visibility.rules).
        self.fields["programme"].queryset = programmes_visible_to(person=person).order_by("name")
        self.fields["teams"].queryset = Team.objects.order_by("name")
        self.fields["teams"].required = False
        self.fields["capacity"].validators = [
            MinValueValidator(1, "Capacity must be at least 1, or empty for no limit.")
        ]
        self.fields["capacity"].widget.attrs["min"] = 1
        self.fields["format"].initial = Format.TALK
        self.fields["level"].initial = Level.ALL
        self.fields["visibility"].initial = Visibility.PUBLIC
        self.fields["format"].choices = [
            (value, f"{label} · {format_minutes(value)} min") for value, label in Format.choices
        ]

    def clean_start(self):
        start = self.cleaned_data.get("start")
        if start and start <= timezone.now():
            raise ValidationError("Choose a date in the future.")
        return start

    def clean(self) -> dict:
        from kshare.sessions.cohosting import cohosts_check
        from kshare.sessions.services import programme_check

        data = super().clean()
        if "programme" not in data:
            return data  # refused already (not one of the choices)
        programme = data["programme"] or self.programme_when_empty()
        if programme is None:
            return data
        try:
            if self.programme_is_new(programme):
                programme_check(programme=programme, by=self.person)
            if data.get("cohosts_text"):
                cohosts_check(programme=programme, people=data["cohosts_text"])
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    self.add_error(field, errors)
            else:
                self.add_error("cohosts_text", exc)
        return data

    def programme_when_empty(self) -> Programme | None:
        """The programme a proposal without one lands in."""
        from kshare.programmes.services import programme_default

        return programme_default()

    def programme_is_new(self, programme: Programme) -> bool:
        return True

    def propose(self, *, by: Person) -> Session:
        """Propose the session this valid form describes (the web page and the API alike)."""
        from kshare.sessions import services

        data = self.cleaned_data
        return services.session_propose(
            by=by,
            title=data["title"],
            abstract=data["abstract"],
            format=data["format"],
            programme=data["programme"],
            start=data["start"],
            level=data["level"],
            tags=self.tags(),
            cohosts=data["cohosts_text"],
            location=data["location"],
            call_url=data["call_url"],
            capacity=data["capacity"],
            visibility=data["visibility"],
            teams=list(data["teams"]),
        )


class SessionEditForm(SessionProposeForm):
    end = forms.DateTimeField(label="Ends", required=False, widget=DateTimeLocalInput())

    class Meta(SessionProposeForm.Meta):
        fields = [*SessionProposeForm.Meta.fields, "end"]

    def __init__(self, *args: object, person: Person, **kwargs: object) -> None:
        super().__init__(*args, person=person, **kwargs)
        self.fields["start"].label = "Starts"
        self.fields["start"].help_text = "In your timezone."
        self.fields["programme"].required = True
        self.fields["programme"].empty_label = None
        if self.instance.pk:
            # The session's own programme stays a choice, whoever edits it.
            self.fields["programme"].queryset = (
                programmes_visible_to(person=person)
                | Programme.objects.filter(pk=self.instance.programme_id)
            ).order_by("name")
            self.initial.setdefault(
                "tags_text", ", ".join(t.name for t in self.instance.tags.all())
            )
            from kshare.sessions.cohosting import cohost_names_pending

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

    def programme_when_empty(self) -> Programme | None:
        return None

    def programme_is_new(self, programme: Programme) -> bool:
        return programme.pk != self.instance.programme_id

    def clean_start(self):
        start = self.cleaned_data.get("start")
        # Past start times are allowed while editing a session that already happened.
        if start and start <= timezone.now() and start != self.instance.start:
            raise ValidationError("Choose a date in the future.")
        return start

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
        label="Starts", widget=DateTimeLocalInput(), help_text="In your timezone."
    )
    end = forms.DateTimeField(
        label="Ends",
        required=False,
        widget=DateTimeLocalInput(),
        help_text="Leave it as it is, or empty, to keep the session's length.",
    )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and start <= timezone.now():
            self.add_error("start", "Choose a start time in the future.")
        if end is not None and end_left_as_shown(self):
            data["end"] = end = None
        if start and end and end <= start:
            self.add_error("end", "The end must be after the start.")
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(label="Reason (shown in the history)", required=False, max_length=500)
