"""The search index: one row per searchable thing, kept current by ``kshare.search.services``.

The full-text part lives beside this table and is not a Django field: on SQLite an FTS5 table
``search_fts`` (external content = this table, kept in step by triggers), on PostgreSQL a
generated ``search_vector`` tsvector column with a GIN index. Both are created by migration 0002.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    SESSION = "session", _("Session")
    MATERIAL = "material", _("Material")
    TRANSCRIPT = "transcript", _("Transcript")
    IDEA = "idea", _("Idea")
    PERSON = "person", _("Person")


class SearchDocument(models.Model):
    """A searchable text with the keys needed to filter it (and apply permissions) in the query.

    ``session`` is the session whose visibility governs the document (empty for people and for
    ideas that belong only to a product area: those are visible to every signed-in person).
    ``is_open`` caches "the session is public and so is its programme": such documents need no
    per-person check, which keeps the permission filter cheap.
    """

    kind = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    session = models.ForeignKey(
        "talks.Session", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    programme = models.ForeignKey(
        "programmes.Programme", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    is_open = models.BooleanField(default=True)
    date = models.DateTimeField(null=True, blank=True)
    title = models.CharField(max_length=300)
    tags = models.TextField(blank=True)
    body = models.TextField(blank=True)
    # Filter tokens for SQLite's full-text index (permission first: "open" or "sess<id>", then
    # "kind<kind>", "prog<id>", "tag<id>"...): filters become part of the MATCH, so a common word
    # is ranked and filtered inside FTS5 without reading every matching row. See services._meta.
    meta = models.TextField(blank=True, default="", editable=False)

    class Meta:
        db_table = "search_document"
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_document_unique")
        ]
        indexes = [models.Index(fields=["date"], name="search_document_date")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.title}"
