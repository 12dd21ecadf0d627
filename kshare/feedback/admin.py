from django.contrib import admin

from kshare.feedback.models import (
    Answer,
    FeedbackForm,
    FeedbackRelease,
    FeedbackRequest,
    HostAnswerHeld,
    ProspectiveHost,
    Question,
    Response,
)


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(FeedbackForm)
class FeedbackFormAdmin(admin.ModelAdmin):
    list_display = ["programme", "version", "is_current", "created_at"]
    list_select_related = ["programme"]
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "kind", "form", "position"]
    list_select_related = ["form__programme"]


@admin.register(FeedbackRequest)
class FeedbackRequestAdmin(admin.ModelAdmin):
    """Who was asked. In a programme with anonymous feedback nobody sees who answered: the
    column and the field are left out, as a per-person flag would time each answer."""

    list_display = ["session", "person", "sent_at", "reminded_at", "closes_at", "answered_named"]
    list_select_related = ["session__programme", "person"]
    raw_id_fields = ["session", "person", "form"]

    @admin.display(description="answered", boolean=True)
    def answered_named(self, obj: FeedbackRequest) -> bool | None:
        return None if obj.session.programme.feedback_anonymous else obj.answered

    def get_exclude(self, request, obj=None):
        if obj is not None and obj.session.programme.feedback_anonymous:
            return ["answered"]
        return super().get_exclude(request, obj)


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """Read-only; the person column is empty for anonymous programmes (nothing to show), and
    anonymous responses not yet released (``feedback.release``) are not listed."""

    list_display = ["session", "form", "submitted_on"]
    list_select_related = ["session", "form"]
    exclude = ["person", "respondent_hash"]
    readonly_fields = ["session", "form", "submitted_on"]

    def get_queryset(self, request):
        return super().get_queryset(request).released()

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["question", "number", "response"]
    list_select_related = ["question", "response__session"]
    readonly_fields = ["response", "question", "number", "text", "selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(response__released=True)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ProspectiveHost)
class ProspectiveHostAdmin(admin.ModelAdmin):
    list_display = ["person", "programme", "answer", "status", "created_on"]
    list_select_related = ["person", "programme"]
    list_filter = ["status", "programme"]
    raw_id_fields = ["person", "source_session", "proposed_session"]


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FeedbackRelease)
class FeedbackReleaseAdmin(_ReadOnly):
    """Batches of anonymous responses made visible (feedback/release.py); written by kshare."""

    list_display = ["session", "released_at", "responses", "final"]
    list_select_related = ["session"]


@admin.register(HostAnswerHeld)
class HostAnswerHeldAdmin(_ReadOnly):
    """Held yes/maybe answers to hosting. Who they are is shown on the prospective-host list
    once the session's forms have closed, not here: the moment a row appeared would time an
    anonymous answer."""

    list_display = ["session"]
    list_select_related = ["session"]
    fields = ["session"]
