from django.contrib import admin

from kshare.recommend.models import (
    ExpertIndex,
    Recommendation,
    SimilarSession,
    TrainingRun,
    TrainingState,
)


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "status", "reason", "people", "items", "seconds"]
    list_filter = ["status"]
    search_fields = ["reason", "error"]
    readonly_fields = ["started_at", "finished_at"]


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ["person", "kind", "rank", "session", "score", "reason"]
    list_filter = ["kind"]
    search_fields = ["person__display_name", "person__email", "session__title", "reason"]
    raw_id_fields = ["person", "session"]
    list_select_related = ["person", "session"]


@admin.register(SimilarSession)
class SimilarSessionAdmin(admin.ModelAdmin):
    list_display = ["session", "other", "score"]
    search_fields = ["session__title", "other__title"]
    raw_id_fields = ["session", "other"]
    list_select_related = ["session", "other"]


@admin.register(TrainingState)
class TrainingStateAdmin(admin.ModelAdmin):
    list_display = ["stale_since", "stale_reason"]


@admin.register(ExpertIndex)
class ExpertIndexAdmin(admin.ModelAdmin):
    """Read-only: written by the training task (``experts_adapter.experts_fit_and_store``)."""

    list_display = ["created_at", "people", "talks", "run"]
    fields = ("created_at", "run", "people", "talks", "details")
    readonly_fields = ("created_at", "run", "people", "talks", "details")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
