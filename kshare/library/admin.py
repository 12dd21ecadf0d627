from django.contrib import admin

from kshare.library.models import CatchUpSignal, CatchUpSubscription, Cue, Material, Transcript


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
