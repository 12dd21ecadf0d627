from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone in the company")
    TEAMS = "teams", _("Selected teams")


class Programme(models.Model):
    """A knowledge-sharing series: its cadence, lead time, organisers and visibility."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True, max_length=5000)
    cadence = models.CharField(
        max_length=200, blank=True, help_text=_("In words, e.g. “every other Thursday, 15:00”.")
    )
    # The machine-readable cadence: an RFC 5545 RRULE in the wall-clock time of cadence_timezone,
    # starting at cadence_starts. Empty = no fixed cadence.
    cadence_rrule = models.CharField("cadence rule", max_length=500, blank=True)
    cadence_starts = models.DateTimeField(null=True, blank=True)
    cadence_timezone = models.CharField(max_length=64, default="UTC")
    cadence_minutes = models.PositiveSmallIntegerField(
        default=45, validators=[MinValueValidator(5), MaxValueValidator(8 * 60)]
    )
    host_reminder_days = models.CharField(
        max_length=100,
        default="7,1",
        help_text=_(
            "Days before a session when hosts get a preparation reminder, comma-separated."
        ),
    )
    invitee_reminder_hours = models.CharField(
        max_length=100,
        default="24,1",
        help_text=_("Hours before a session when invitees get a reminder, comma-separated."),
    )
    nudge_days = models.PositiveSmallIntegerField(
        default=5,
        validators=[MaxValueValidator(60)],
        help_text=_(
            "Days before a session when invitees who have not answered are nudged (0: off)."
        ),
    )
    lead_time_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text=_("Invitations should go out at least this many days before a session."),
    )
    visibility = models.CharField(
        max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    teams = models.ManyToManyField("people.Team", blank=True, related_name="programmes")
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="organised_programmes"
    )
    feedback_anonymous = models.BooleanField(
        "anonymous feedback",
        default=False,
        help_text=_("Hosts and organisers never see who answered what."),
    )
    feedback_open_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("The feedback form closes this many days after it is sent."),
    )
    auto_held_after_hours = models.PositiveSmallIntegerField(
        "mark held automatically after (hours)",
        default=12,
        validators=[MinValueValidator(0), MaxValueValidator(168)],
        help_text=_(
            "A session nobody marked held is marked held this many hours after its end "
            "when people checked in (0: never)."
        ),
    )
    is_default = models.BooleanField(
        default=False, help_text=_("New proposals land here unless another programme is chosen.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="programme_single_default",
            )
        ]

    def __str__(self) -> str:
        return self.name
