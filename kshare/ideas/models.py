from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import pgettext_lazy

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 10_000
COMMENT_MAX_LENGTH = 5_000


class ProductArea(models.Model):
    """A part of the product ideas can belong to; organisers manage the list."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("ideas:area", args=[self.slug])


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("idea status", "New")
    EXPLORING = "exploring", pgettext_lazy("idea status", "Exploring")
    PLANNED = "planned", pgettext_lazy("idea status", "Planned")
    DONE = "done", pgettext_lazy("idea status", "Done")
    PARKED = "parked", pgettext_lazy("idea status", "Parked")


# new → exploring → planned → done | parked; a parked idea can be picked up again, and a
# mistaken "done" can be taken back to planned.
STATUS_NEXT: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.EXPLORING, Status.PLANNED, Status.PARKED),
    Status.EXPLORING: (Status.PLANNED, Status.PARKED),
    Status.PLANNED: (Status.DONE, Status.PARKED),
    Status.DONE: (Status.PLANNED,),
    Status.PARKED: (Status.NEW, Status.EXPLORING),
}


class Idea(models.Model):
    """A brainstormed application or follow-up: from a session, a product area, or both."""

    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(
        blank=True, max_length=DESCRIPTION_MAX_LENGTH, help_text="Markdown."
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ideas"
    )
    session = models.ForeignKey(
        "talks.Session", null=True, blank=True, on_delete=models.CASCADE, related_name="ideas"
    )
    area = models.ForeignKey(
        ProductArea, null=True, blank=True, on_delete=models.PROTECT, related_name="ideas"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    promoted_session = models.ForeignKey(
        "talks.Session",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_ideas",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(session__isnull=False) | models.Q(area__isnull=False),
                name="idea_session_or_area",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("ideas:detail", args=[self.pk])


class IdeaVote(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_votes"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One vote per person: the database keeps it true under concurrent requests.
            models.UniqueConstraint(fields=["idea", "person"], name="idea_vote_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} +1 {self.idea}"


class IdeaComment(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_comments"
    )
    body = models.TextField(max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author} on {self.idea}"


class IdeaStatusChange(models.Model):
    """History: every status change, with who made it."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.idea}: {self.from_status or '—'} → {self.to_status}"
