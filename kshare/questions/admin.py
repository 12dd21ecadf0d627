from django.contrib import admin

from kshare.questions.models import Question, QuestionVote


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """Admins' audit: the author is shown even for anonymous questions (nowhere else is)."""

    list_display = ["text", "session", "author", "anonymous", "vote_count", "created_at"]
    list_filter = ["anonymous"]
    list_select_related = ["session", "author"]
    search_fields = ["text"]
    raw_id_fields = ["session", "author", "answered_by", "converted_idea", "converted_topic"]
    readonly_fields = ["vote_count"]
    date_hierarchy = "created_at"


@admin.register(QuestionVote)
class QuestionVoteAdmin(admin.ModelAdmin):
    list_display = ["question", "person", "created_at"]
    list_select_related = ["question", "person"]
    raw_id_fields = ["question", "person"]
