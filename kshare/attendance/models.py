from django.conf import settings
from django.db import models
from django.utils import timezone


class AttendanceChange(models.Model):
    """One change to a session's attendance log: who was added or taken off, by whom, when.

    The log itself is ``sessions.Attendance`` (one row per person who came); this is its history.
    ``after_held`` marks changes made once the session was marked held, when the log is frozen:
    such edits are still possible for hosts and organisers but show up as later corrections.
    """

    class Action(models.TextChoices):
        ADDED = "added", "Added"
        REMOVED = "removed", "Removed"

    session = models.ForeignKey(
        "talks.Session", on_delete=models.CASCADE, related_name="attendance_changes"
    )
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    # How the person got on the list (sessions.Attendance.Method values); empty for removals.
    method = models.CharField(max_length=20, blank=True)
    # Who made the change: the person themself for a check-in, the host or organiser for the list,
    # empty for the system (automatic "held").
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    after_held = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["session", "at"], name="attchange_session_at")]

    def __str__(self) -> str:
        return f"{self.person} {self.action} at {self.session}"
