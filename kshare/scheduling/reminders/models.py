from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


def lead_text(minutes: int, *, hours: bool = False) -> str:
    """Minutes before a session in words: "1 hour", "7 days", "90 minutes"; whole days as
    hours with ``hours`` ("24 hours": invitee reminders are set in hours)."""
    if minutes and minutes % (24 * 60) == 0 and not hours:
        number = minutes // (24 * 60)
        return ngettext("%(n)d day", "%(n)d days", number) % {"n": number}
    if minutes and minutes % 60 == 0:
        number = minutes // 60
        return ngettext("%(n)d hour", "%(n)d hours", number) % {"n": number}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


class Reminder(models.Model):
    """A pending or sent reminder for one session.

    Recipients are computed when it is sent (e.g. a nudge goes only to invitees who have not
    answered by then). ``sent_at`` is claimed with a conditional UPDATE, so two workers never send
    one reminder twice; rescheduling moves ``due_at`` of the pending ones.
    """

    class Kind(models.TextChoices):
        HOST_PREP = "host_prep", _("Host preparation reminder")
        INVITEE = "invitee", _("Invitee reminder")
        NUDGE = "nudge", _("Nudge to answer")

    session = models.ForeignKey("talks.Session", on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    offset_minutes = models.PositiveIntegerField(help_text="Minutes before the session's start.")
    due_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "reminders_reminder"
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "kind", "offset_minutes"], name="reminder_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.offset_minutes} min) — {self.session}"

    @property
    def lead(self) -> str:
        """The nominal lead time in words: "1 hour", "24 hours", "7 days"."""
        return lead_text(self.offset_minutes, hours=self.kind == self.Kind.INVITEE)


class OrganiserDigest(models.Model):
    """The daily digest an organiser got (one per person per day: idempotent)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    day = models.DateField()
    sessions = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "reminders_organiserdigest"
        ordering = ["-day", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "day"], name="digest_person_day_unique")
        ]

    def __str__(self) -> str:
        return f"Digest for {self.person} on {self.day}"


class CadenceNudge(models.Model):
    """An organiser was told that a programme's cadence slot has no session yet (once per slot)."""

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, related_name="cadence_nudges"
    )
    slot_start = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "reminders_cadencenudge"
        ordering = ["slot_start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "slot_start"], name="cadence_nudge_unique")
        ]

    def __str__(self) -> str:
        return f"Cadence nudge for {self.programme} at {self.slot_start:%Y-%m-%d %H:%M}"
