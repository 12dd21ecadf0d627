from django.contrib import admin
from django.http import HttpRequest

from kshare.library.models import (
    CatchUpSignal,
    CatchUpSubscription,
    Cue,
    Material,
    Transcript,
    Transcription,
    TranscriptionChunk,
)
from kshare.library.transcription import transcription_progress


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    """Files arrive only through the upload page (streamed, size- and type-checked there);
    a deleted material's file goes with it (``signals``)."""

    list_display = ["title", "kind", "session", "content_type", "size", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["session"]
    search_fields = ["title", "session__title", "filename"]
    raw_id_fields = ["session", "added_by"]
    readonly_fields = ["file", "filename", "content_type", "size", "created_at", "updated_at"]
    date_hierarchy = "created_at"


class CueInline(admin.TabularInline):
    model = Cue
    extra = 0
    fields = ["position", "start_ms", "end_ms", "text"]


@admin.register(Transcript)
class TranscriptAdmin(admin.ModelAdmin):
    list_display = ["material", "source", "language", "created_at"]
    list_filter = ["source"]
    list_select_related = ["material"]
    search_fields = ["material__title", "text"]
    raw_id_fields = ["material"]
    inlines = [CueInline]


@admin.register(Transcription)
class TranscriptionAdmin(admin.ModelAdmin):
    """The worker's jobs, to see what went wrong (``detail``); read-only: a job changes only
    through kshare.library.transcription (hosts retry from the session page)."""

    list_display = ["material", "state", "problem", "progress", "attempts", "updated_at"]
    list_filter = ["state", "problem"]
    list_select_related = ["material"]
    search_fields = ["material__title", "detail"]
    fields = [
        "material",
        "state",
        "problem",
        "detail",
        "progress",
        "recogniser",
        "language",
        "duration_ms",
        "next_start_ms",
        "chunks_done",
        "working_seconds",
        "attempts",
        "claimed_by",
        "requested_at",
        "started_at",
        "finished_at",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description="Progress")
    def progress(self, obj: Transcription) -> str:
        progress = transcription_progress(obj)
        remaining = (
            f", about {progress.remaining_seconds} s left"
            if progress.remaining_seconds is not None and obj.state != Transcription.State.DONE
            else ""
        )
        return f"{progress.percent} %{remaining}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(TranscriptionChunk)
class TranscriptionChunkAdmin(admin.ModelAdmin):
    """The words a running job has heard so far, chunk by chunk; read-only (the worker writes
    them and deletes them once the transcript is saved)."""

    list_display = ["transcription", "index", "start_ms", "end_ms"]
    list_select_related = ["transcription__material"]
    search_fields = ["transcription__material__title"]
    fields = ["transcription", "index", "start_ms", "end_ms", "words"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Cue)
class CueAdmin(admin.ModelAdmin):
    list_display = ["transcript", "position", "start_ms", "end_ms", "text"]
    list_select_related = ["transcript__material"]
    search_fields = ["text"]
    raw_id_fields = ["transcript"]


@admin.register(CatchUpSignal)
class CatchUpSignalAdmin(admin.ModelAdmin):
    list_display = ["person", "session", "kind", "at"]
    list_filter = ["kind"]
    list_select_related = ["person", "session"]
    search_fields = ["session__title", "person__email"]
    raw_id_fields = ["person", "session"]
    date_hierarchy = "at"


@admin.register(CatchUpSubscription)
class CatchUpSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["person", "weekly_email", "last_sent_on"]
    list_filter = ["weekly_email"]
    list_select_related = ["person"]
    search_fields = ["person__email"]
    raw_id_fields = ["person"]
