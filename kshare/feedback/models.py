"""Feedback forms, the requests that send them, responses and the prospective-host pipeline.

Anonymity: for a programme with anonymous feedback a ``Response`` stores no person and only the
day it was submitted; one response per person is enforced by ``respondent_hash``, a keyed hash
(HMAC with the secret key) of session and person that cannot be reversed without the key.
``FeedbackRequest.answered`` records *that* someone answered (for the reminder), never when or what.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FeedbackForm(models.Model):
    """One version of a programme's form; editing one that has answers makes a new version."""

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, related_name="feedback_forms"
    )
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["programme", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "version"], name="form_programme_version"),
            models.UniqueConstraint(
                fields=["programme"],
                condition=models.Q(is_current=True),
                name="form_one_current_per_programme",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} feedback form v{self.version}"


class Question(models.Model):
    class Kind(models.TextChoices):
        RATING = "rating", _("Rating 1-5")
        NPS = "nps", _("Recommend 0-10 (NPS)")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        YES_NO = "yes_no", _("Yes / no")

    class Purpose(models.TextChoices):
        """Marks the questions other features read, across form versions."""

        NONE = "", "—"
        OVERALL = "overall", _("Overall rating")
        TOPICS_WANTED = "topics_wanted", _("Topics wanted next")
        HOST_INTEREST = "host_interest", _("Would you like to host?")
        HOST_TOPIC = "host_topic", _("Topic they would host")

    form = models.ForeignKey(FeedbackForm, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.CharField(max_length=300)
    help_text = models.CharField(max_length=300, blank=True)
    required = models.BooleanField(default=False)
    choices = models.JSONField(default=list, blank=True, help_text="For choice questions.")
    purpose = models.CharField(max_length=20, choices=Purpose.choices, blank=True, default="")

    class Meta:
        ordering = ["form", "position"]
        constraints = [
            models.UniqueConstraint(fields=["form", "position"], name="question_form_position")
        ]

    def __str__(self) -> str:
        return self.text


class FeedbackRequest(models.Model):
    """The form sent to one person for one session (by e-mail and in the app). Never two."""

    session = models.ForeignKey(
        "talks.Session", on_delete=models.CASCADE, related_name="feedback_requests"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback_requests"
    )
    form = models.ForeignKey(FeedbackForm, on_delete=models.PROTECT, related_name="requests")
    sent_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField()
    # Whether, not when: a timestamp could be matched with an anonymous response.
    answered = models.BooleanField(default=False)
    # Set by dispatch until its mail went out; a failed send is retried on the next tick.
    mail_pending = models.BooleanField(default=False)

    class Meta:
        ordering = ["-sent_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="feedback_request_once")
        ]

    def __str__(self) -> str:
        return f"Feedback on {self.session} from {self.person}"

    @property
    def is_open(self) -> bool:
        return not self.answered and self.closes_at > timezone.now()


class ResponseQuerySet(models.QuerySet["Response"]):
    def released(self) -> ResponseQuerySet:
        """The responses hosts, organisers, exports, the API and the dashboard may read."""
        return self.filter(released=True)


class Response(models.Model):
    session = models.ForeignKey(
        "talks.Session", on_delete=models.CASCADE, related_name="feedback_responses"
    )
    form = models.ForeignKey(FeedbackForm, on_delete=models.PROTECT, related_name="responses")
    # Empty for anonymous programmes.
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_responses",
    )
    respondent_hash = models.CharField(max_length=64)
    submitted_on = models.DateField(default=timezone.localdate)
    # An anonymous programme's response is held back until a batch of them can be shown at
    # once (see ``feedback.release``); everything else is released when submitted.
    released = models.BooleanField(default=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        # Random order for anonymous ones is applied in views; ids are not shown to hosts.
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "respondent_hash"], name="response_once_per_person"
            )
        ]
        indexes = [models.Index(fields=["session", "released"], name="response_session_released")]

    def __str__(self) -> str:
        return f"Response to {self.session}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    number = models.SmallIntegerField(null=True, blank=True)  # rating, NPS, yes(1)/no(0)
    text = models.TextField(blank=True, max_length=5000)
    selected = models.JSONField(default=list, blank=True)  # choice questions

    class Meta:
        ordering = ["response", "question__position"]
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_once")]

    def __str__(self) -> str:
        return f"Answer to {self.question}"


class ProspectiveHost(models.Model):
    """Someone who said yes or maybe to "would you like to host?", for the organiser."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        AGREED = "agreed", _("Agreed")
        SCHEDULED = "scheduled", _("Scheduled")
        DECLINED = "declined", _("Declined")

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, related_name="prospective_hosts"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="host_prospects"
    )
    answer = models.CharField(max_length=10, help_text="yes or maybe")
    topics = models.TextField(
        blank=True, max_length=2000, help_text="Topics the person would like next (context)."
    )
    topic = models.TextField(
        blank=True, max_length=2000, help_text="The topic the person would host, in their words."
    )
    source_session = models.ForeignKey(
        "talks.Session", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    proposed_session = models.ForeignKey(
        "talks.Session",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="host_prospects",
    )
    created_on = models.DateField(default=timezone.localdate)
    # The day of the latest yes/maybe (for anonymous programmes: the day it was released).
    answered_on = models.DateField(default=timezone.localdate)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Newest answers first: the people most likely to still want to host.
        ordering = ["-answered_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "person"], name="prospect_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} could host ({self.get_status_display()})"


class HostAnswerHeld(models.Model):
    """A yes or maybe to hosting from an anonymous programme's form, not yet shown to anyone.

    It becomes a ``ProspectiveHost`` only after the session's form has closed and every
    response was released (``feedback.release``), so the moment a name appears on the
    organiser's list says nothing about when that person answered. No link to the response.
    """

    session = models.ForeignKey("talks.Session", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answer = models.CharField(max_length=10, help_text="yes or maybe")
    topics = models.TextField(blank=True, max_length=2000)
    topic = models.TextField(blank=True, max_length=2000)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="host_answer_held_once")
        ]

    def __str__(self) -> str:
        return f"Held host answer for {self.session_id}"


class FeedbackRelease(models.Model):
    """One batch of anonymous responses made visible (``feedback.release``), or the decision
    taken once a session's forms had closed (``final``; it may release nothing)."""

    session = models.ForeignKey("talks.Session", on_delete=models.CASCADE, related_name="+")
    released_at = models.DateTimeField(default=timezone.now)
    responses = models.PositiveIntegerField()
    final = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["session", "released_at"], name="release_session_at")]

    def __str__(self) -> str:
        return f"{self.responses} responses released for {self.session_id}"
