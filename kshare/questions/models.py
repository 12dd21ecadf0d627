from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

TEXT_MAX_LENGTH = 500


class Question(models.Model):
    """A question asked during a session.

    ``author`` is always stored (admins' audit, one vote rule); when ``anonymous`` is set, nobody
    but admins in the admin site ever sees who asked: pages show "Anonymous" and carry no trace of
    the author.
    """

    session = models.ForeignKey("talks.Session", on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="questions"
    )
    text = models.CharField(max_length=TEXT_MAX_LENGTH)
    anonymous = models.BooleanField(
        default=False, help_text="Hidden from the room and the host; admins still see the author."
    )
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Denormalised from QuestionVote, kept exact by F() updates in the same transaction as the
    # vote row (see services.question_vote_set), so the list sorts without counting.
    vote_count = models.PositiveIntegerField(default=0)
    converted_idea = models.ForeignKey(
        "ideas.Idea", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    converted_topic = models.ForeignKey(
        "topics.TopicRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-vote_count", "created_at", "id"]
        indexes = [
            models.Index(
                fields=["session", "-vote_count", "created_at"], name="question_session_votes"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(converted_idea__isnull=True)
                | models.Q(converted_topic__isnull=True),
                name="question_converted_once",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def is_converted(self) -> bool:
        return self.converted_idea_id is not None or self.converted_topic_id is not None


class QuestionVote(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="votes")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_votes"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "person"], name="question_vote_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} ▲ {self.question}"
