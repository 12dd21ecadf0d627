from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Visibility(models.TextChoices):
    PUBLIC = "public", "Everyone in the company"
    TEAMS = "teams", "Selected teams"


class Programme(models.Model):
    """A knowledge-sharing series: its cadence, lead time, organisers and visibility."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True, max_length=5000)
    cadence = models.CharField(
        max_length=200, blank=True, help_text="In words, e.g. “every other Thursday, 15:00”."
    )
    lead_time_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text="Invitations should go out at least this many days before a session.",
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
        help_text="Hosts and organisers never see who answered what.",
    )
    feedback_open_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="The feedback form closes this many days after it is sent.",
    )
    is_default = models.BooleanField(
        default=False, help_text="New proposals land here unless another programme is chosen."
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
