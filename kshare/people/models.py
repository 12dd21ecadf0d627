from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kshare.core.language import language_or_default
from kshare.core.timezones import timezone_or_utc
from kshare.people import offices


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    ORGANISER = "organiser", _("Organiser")
    MEMBER = "member", _("Member")


class PersonManager(BaseUserManager["Person"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> Person:
        if not email:
            raise ValueError("A person needs an e-mail address.")
        person = self.model(email=self.normalize_email(email).lower(), **fields)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_user(self, email: str, password: str | None = None, **fields) -> Person:
        fields.setdefault("role", Role.MEMBER)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> Person:
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> Person:
        # E-mail login is case-insensitive.
        return self.get(email__iexact=username)


class Person(AbstractBaseUser, PermissionsMixin):
    """Someone in the company: the login (e-mail) and the profile in one row."""

    # Stored lower-case (the manager and every service normalise it), so unique is case-insensitive.
    email = models.EmailField(max_length=254, unique=True)
    display_name = models.CharField(max_length=120)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    timezone = models.CharField(max_length=64, default="UTC")
    # The interface and mail language (a code of settings.LANGUAGES). Empty: the browser's
    # language for pages, the installation's LANGUAGE_CODE for mail.
    language = models.CharField(max_length=16, blank=True, default="")
    # The office's public holidays (``kshare.people.offices``): no slot, cadence slot or reminder
    # is put on them for this person. Empty: only the company's closure days apply.
    office_country = models.CharField(
        "office country", max_length=2, blank=True, help_text="For public holidays, e.g. DE."
    )
    office_subdivision = models.CharField(
        "office region",
        max_length=10,
        blank=True,
        help_text="A state or region with its own public holidays, e.g. BY (Bavaria).",
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    bio = models.TextField(blank=True, max_length=2000)
    interests = models.ManyToManyField("tags.Tag", blank=True, related_name="interested_people")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the Django admin site.")
    date_joined = models.DateTimeField(default=now)

    objects = PersonManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        ordering = ["display_name", "id"]
        verbose_name = "person"
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name.split(" ")[0] if self.display_name else self.email

    @property
    def initials(self) -> str:
        words = [w for w in self.display_name.split() if w[:1].isalpha()]
        letters = "".join(w[0] for w in words[:1] + words[1:][-1:])
        return (letters or self.email[:1]).upper()

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_organiser(self) -> bool:
        return self.role == Role.ORGANISER or self.is_admin

    @property
    def office_region(self) -> str:
        """The key of this person's holiday calendar (``"DE-BY"``), or ``""``."""
        return offices.office_region(self.office_country, self.office_subdivision)

    def clean(self) -> None:
        super().clean()
        error = offices.office_region_error(self.office_country, self.office_subdivision)
        if error:
            field = (
                "office_country"
                if not self.office_country or (self.office_country not in offices.SUPPORTED)
                else "office_subdivision"
            )
            raise ValidationError({field: error})

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return timezone_or_utc(self.timezone)

    @property
    def mail_language(self) -> str:
        """The language mail to this person is written in (``kshare.core.language``)."""
        return language_or_default(self.language)


class Skill(models.Model):
    """A declared skill: a tag with a level (1 basic, 2 working, 3 expert)."""

    class Level(models.IntegerChoices):
        BASIC = 1, pgettext_lazy("skill level", "Basic")
        WORKING = 2, pgettext_lazy("skill level", "Working")
        EXPERT = 3, pgettext_lazy("skill level", "Expert")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="skills")
    tag = models.ForeignKey("tags.Tag", on_delete=models.CASCADE, related_name="skills")
    level = models.PositiveSmallIntegerField(
        choices=Level.choices,
        default=Level.WORKING,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
    )

    class Meta:
        ordering = ["-level", "tag__name"]
        constraints = [
            models.UniqueConstraint(fields=["person", "tag"], name="skill_person_tag_unique"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=3), name="skill_level_1_to_3"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tag} ({self.get_level_display()})"

    def get_level_display(self) -> str:  # type: ignore[no-redef]  # the stubs declare it
        """The level's label in the active language. Django's own translates every label of
        the choices on each call (it hashes the lazy labels): 25 µs against 5, for each of
        the ~100 skill chips of a directory page."""
        try:
            return str(Skill.Level(self.level).label)
        except ValueError:  # not a level (unsaved input): shown as it is, like Django does
            return str(self.level)


class AccountInvite(models.Model):
    """An invitation to create an account: sign-up is by invitation only."""

    email = models.EmailField(max_length=254)
    display_name = models.CharField(max_length=120, blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="account_invites",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > now()


class AuthAttempt(models.Model):
    """One counted sign-in or password-reset attempt, for the limits in ``people/throttle.py``.

    ``key`` is a keyed hash (HMAC with the secret key) of the e-mail address typed or of the
    client's network address: the table holds no address, and counts the same for an address
    with an account and one without. Rows older than the longest window are pruned.
    """

    class Action(models.TextChoices):
        SIGN_IN = "sign_in", "Failed sign-in"
        PASSWORD_RESET = "password_reset", "Password reset request"

    class Scope(models.TextChoices):
        ACCOUNT = "account", "Account (e-mail address)"
        CLIENT = "client", "Client network address"

    action = models.CharField(max_length=20, choices=Action.choices)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [
            models.Index(fields=["action", "scope", "key", "created_at"], name="auth_attempt_key"),
            models.Index(fields=["created_at"], name="auth_attempt_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.scope}) at {self.created_at:%Y-%m-%d %H:%M}"
