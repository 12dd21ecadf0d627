from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

ABSTRACT_MAX_LENGTH = 20_000


class Format(models.TextChoices):
    LIGHTNING = "lightning", _("Lightning talk")
    TALK = "talk", _("Talk")
    WORKSHOP = "workshop", _("Workshop")
    DISCUSSION = "discussion", _("Discussion")


# A format named inside a sentence ("You are invited to …, a talk in …"): lower case in English
# and French, a capitalised noun in German.
FORMAT_NOUNS = {
    Format.LIGHTNING: pgettext_lazy("format in a sentence", "lightning talk"),
    Format.TALK: pgettext_lazy("format in a sentence", "talk"),
    Format.WORKSHOP: pgettext_lazy("format in a sentence", "workshop"),
    Format.DISCUSSION: pgettext_lazy("format in a sentence", "discussion"),
}

# The titles are stored in English (they are the agenda's data) and shown translated while they
# are the default ones (``AgendaItem.title_shown``).
# Minutes: every format reserves time for discussion — it is where ideas come from.
DEFAULT_AGENDAS: dict[str, list[tuple[str, int, bool]]] = {
    Format.LIGHTNING: [
        (gettext_noop("Talk"), 10, False),
        (gettext_noop("Questions and discussion"), 5, True),
    ],
    Format.TALK: [(gettext_noop("Talk"), 30, False), (gettext_noop("Discussion"), 15, True)],
    Format.WORKSHOP: [
        (gettext_noop("Introduction"), 15, False),
        (gettext_noop("Hands-on exercises"), 55, False),
        (gettext_noop("Discussion and next steps"), 20, True),
    ],
    Format.DISCUSSION: [
        (gettext_noop("Framing the question"), 10, False),
        (gettext_noop("Open discussion"), 50, True),
    ],
}


DEFAULT_AGENDA_TITLES = {title for items in DEFAULT_AGENDAS.values() for title, _m, _d in items}

# History notes the code writes (stored in English, shown translated: ``SessionChange.note_shown``).
NOTE_ACCEPTED_TO_HOST = gettext_noop("accepted to host it")
NOTE_DECLINED_TO_HOST = gettext_noop("declined to host it")
TRANSLATED_NOTES = {NOTE_ACCEPTED_TO_HOST, NOTE_DECLINED_TO_HOST}


def format_minutes(format: str) -> int:
    return sum(minutes for _, minutes, _ in DEFAULT_AGENDAS[format])


# The longest a session of each format may run (minutes): room for a long discussion, never a
# typo's fifteen days. A session also starts and ends on the same day (``session_length_check``).
FORMAT_MAX_MINUTES: dict[str, int] = {
    Format.LIGHTNING: 30,
    Format.TALK: 120,
    Format.WORKSHOP: 8 * 60,
    Format.DISCUSSION: 180,
}


class Level(models.TextChoices):
    ALL = "all", _("Everyone")
    BEGINNER = "beginner", _("Beginner")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone in the company")
    TEAMS = "teams", _("Selected teams")
    INVITE_ONLY = "invite_only", _("Invited people only")


class State(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class Session(models.Model):
    """One talk, workshop, lightning talk or discussion. Times are stored in UTC."""

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="sessions"
    )
    title = models.CharField(max_length=200)
    abstract = models.TextField(
        blank=True, max_length=ABSTRACT_MAX_LENGTH, help_text=_("Markdown.")
    )
    format = models.CharField(max_length=20, choices=Format.choices, default=Format.TALK)
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.ALL)
    tags = models.ManyToManyField("tags.Tag", blank=True, related_name="sessions")
    hosts = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="SessionHost", related_name="hosted_sessions"
    )
    start = models.DateTimeField(null=True, blank=True, db_index=True)
    end = models.DateTimeField(null=True, blank=True)
    location = models.CharField(max_length=200, blank=True)
    # The join link of an online session (kshare/sessions/inputs.py requires https). Readers
    # who may see the session reach it through /sessions/<id>/join/, which checks them in.
    call_url = models.URLField(
        _("join link (video call)"),
        max_length=500,
        blank=True,
        help_text=_(
            "An https:// link to the call: Zoom, Teams, Meet, Jitsi… People who join "
            "from kshare are checked in as online attendees."
        ),
    )
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    visibility = models.CharField(
        max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    teams = models.ManyToManyField("people.Team", blank=True, related_name="sessions")
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.PROPOSED, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # iCalendar SEQUENCE: incremented on every reschedule and on cancellation, so calendar clients
    # replace the event they already have (its UID is stable).
    sequence = models.PositiveIntegerField(default=0)
    # A draft proposed on the host's behalf (from the prospective-host pipeline): who proposed it.
    # Until the host accepts (``host_accepted_at``) it waits for their answer; declining
    # withdraws it (kshare/sessions/host_mail.py).
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    host_accepted_at = models.DateTimeField(null=True, blank=True)
    # The hosts' summary after the session is owed from the moment it is marked held; cleared
    # in the transaction that queues it (kshare/feedback/summary.py), so it goes out once.
    host_summary_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["state", "start"], name="session_state_start"),
            models.Index(
                fields=["host_summary_due_at"],
                name="session_host_summary_due",
                condition=models.Q(host_summary_due_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True)
                | models.Q(start__isnull=True)
                | models.Q(end__gt=models.F("start")),
                name="session_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__isnull=True) | models.Q(capacity__gte=1),
                name="session_capacity_positive",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["scheduled", "held"])
                | models.Q(start__isnull=False),
                name="session_scheduled_has_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("sessions:detail", args=[self.pk])

    @property
    def format_noun(self) -> str:
        """The format as a noun inside a sentence (``FORMAT_NOUNS``), in the active language."""
        if self.format in Format.values:
            return str(FORMAT_NOUNS[Format(self.format)])
        return self.get_format_display().lower()

    @property
    def duration(self) -> timedelta | None:
        if self.start and self.end:
            return self.end - self.start
        return None

    @property
    def is_upcoming(self) -> bool:
        return self.state == State.SCHEDULED and self.end is not None and self.end > timezone.now()

    @property
    def awaits_host(self) -> bool:
        """A draft proposed on someone's behalf that they have not accepted yet."""
        return (
            self.proposed_by_id is not None
            and self.host_accepted_at is None
            and self.state == State.PROPOSED
        )


class SessionHost(models.Model):
    class Role(models.TextChoices):
        HOST = "host", _("Host")
        COHOST = "cohost", _("Co-host")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="host_links")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="host_links"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.HOST)
    # The host's own calendar mail (confirmation, new time, cancellation), owed like an
    # invitee's (``Invitation.mail_due_at``): marked in the transaction that schedules,
    # reschedules or cancels, cleared in the one that queues it (kshare/sessions/host_mail.py).
    mail_due_at = models.DateTimeField(null=True, blank=True)
    # The session's SEQUENCE in the last calendar mail queued to this host; empty = none yet.
    mailed_sequence = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-role", "id"]  # "host" sorts after "cohost": descending puts the host first
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="host_session_person_unique")
        ]
        indexes = [
            models.Index(
                fields=["mail_due_at"],
                name="host_mail_due",
                condition=models.Q(mail_due_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()}) — {self.session}"


class CohostInvitation(models.Model):
    """Someone named as co-host. They become one (a ``SessionHost``) only when they accept; until
    then they are no host and the session's visibility does not change for them."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="cohost_invitations"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cohost_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person"], name="cohost_invitation_session_person_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} as co-host of {self.session} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("sessions:cohosting", args=[self.pk])


class AgendaItem(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    minutes = models.PositiveSmallIntegerField()
    is_discussion = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "position"], name="agenda_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.minutes} min)"

    @property
    def title_shown(self) -> str:
        """The title in the active language when it is a default agenda's (stored in English)."""
        return gettext(self.title) if self.title in DEFAULT_AGENDA_TITLES else self.title


class SessionChange(models.Model):
    """History: every state change and reschedule, with who did it (postponed = rescheduled)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Proposed")
        EDITED = "edited", _("Edited")
        SCHEDULED = "scheduled", _("Scheduled")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        HELD = "held", _("Marked as held")
        CANCELLED = "cancelled", _("Cancelled")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    from_state = models.CharField(max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=State.choices, blank=True)
    old_start = models.DateTimeField(null=True, blank=True)
    new_start = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.session}"

    @property
    def note_shown(self) -> str:
        """The note in the active language when the code wrote it (``TRANSLATED_NOTES``)."""
        return gettext(self.note) if self.note in TRANSLATED_NOTES else self.note


class Invitation(models.Model):
    """Who was asked to a session and what they answered (RSVP)."""

    class Response(models.TextChoices):
        PENDING = "pending", _("No answer yet")
        YES = "yes", _("Going")
        MAYBE = "maybe", _("Maybe")
        NO = "no", _("Not going")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    response = models.CharField(max_length=10, choices=Response.choices, default=Response.PENDING)
    responded_at = models.DateTimeField(null=True, blank=True)
    # Said yes to a full session: waiting for a seat, first come first served. A "yes" holds a seat
    # only while this is empty.
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    # When the invitation e-mail (with its iCalendar REQUEST) went out; empty = not mailed yet.
    mailed_at = models.DateTimeField(null=True, blank=True)
    # The mails this invitee is owed, written in the transaction that decided them and cleared
    # in the one that queues the mail (kshare/sessions/invitation_mail.py), so a worker killed
    # mid-batch loses nothing: the sweep finds what is still owed.
    # Owed the session's current state in their calendar: the invitation, a new time, a cancel.
    mail_due_at = models.DateTimeField(null=True, blank=True)
    # Owed "a seat opened up" (promoted from the waitlist).
    promoted_mail_due_at = models.DateTimeField(null=True, blank=True)
    # The session's SEQUENCE in the last calendar mail queued to them.
    mailed_sequence = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person"], name="invitation_session_person_unique"
            )
        ]
        indexes = [
            models.Index(fields=["person", "response"], name="invitation_person_response"),
            # The sweep reads only the few rows that owe a mail.
            models.Index(
                fields=["mail_due_at"],
                name="invitation_mail_due",
                condition=models.Q(mail_due_at__isnull=False),
            ),
            models.Index(
                fields=["promoted_mail_due_at"],
                name="invitation_promoted_mail_due",
                condition=models.Q(promoted_mail_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.session}"


class Attendance(models.Model):
    """Someone came to a session (check-in or the host's list)."""

    class Method(models.TextChoices):
        HOST_LIST = "host_list", _("Host's list")
        CHECK_IN = "check_in", _("Check-in")
        REMOTE = "remote", _("Online (I'm here)")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendances"
    )
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.HOST_LIST)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person"], name="attendance_session_person_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} attended {self.session}"


class AttendanceChange(models.Model):
    """One change to a session's attendance log: who was added or taken off, by whom, when.

    The log itself is ``Attendance`` (one row per person who came); this is its history, written
    by ``kshare.sessions.attendance`` with every change. ``after_held`` marks changes made once
    the session was marked held, when the log is frozen: such edits are still possible for hosts
    and organisers but show up as later corrections.

    Defined in the attendance app until the architecture re-cut; the table kept its name
    (``db_table``), so existing databases moved it with a state-only migration.
    """

    class Action(models.TextChoices):
        ADDED = "added", _("Added")
        REMOVED = "removed", _("Removed")

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="attendance_changes"
    )
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    # How the person got on the list (Attendance.Method values); empty for removals.
    method = models.CharField(max_length=20, blank=True)
    # Who made the change: the person themself for a check-in, the host or organiser for the list,
    # empty for the system (automatic "held").
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    after_held = models.BooleanField(default=False)

    class Meta:
        db_table = "attendance_attendancechange"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["session", "at"], name="attchange_session_at")]

    def __str__(self) -> str:
        return f"{self.person} {self.action} at {self.session}"


class Star(models.Model):
    """A session someone is interested in: their personal agenda, also in their calendar feed."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="stars")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stars"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="star_session_person_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} ☆ {self.session}"
