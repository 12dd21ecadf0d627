from django.contrib import admin

from kshare.ideas.models import Idea, IdeaComment, IdeaStatusChange, IdeaVote, ProductArea


@admin.register(ProductArea)
class ProductAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_by", "created_at"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["created_by"]


class CommentInline(admin.TabularInline):
    model = IdeaComment
    extra = 0
    raw_id_fields = ["author"]


class StatusChangeInline(admin.TabularInline):
    model = IdeaStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "by", "at", "note"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Idea)
class IdeaAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "session", "area", "status", "created_at"]
    list_filter = ["status", "area"]
    search_fields = ["title"]
    raw_id_fields = ["author", "session", "promoted_session"]
    inlines = [CommentInline, StatusChangeInline]


@admin.register(IdeaVote)
class IdeaVoteAdmin(admin.ModelAdmin):
    list_display = ["idea", "person", "created_at"]
    raw_id_fields = ["idea", "person"]


@admin.register(IdeaComment)
class IdeaCommentAdmin(admin.ModelAdmin):
    list_display = ["idea", "author", "created_at"]
    raw_id_fields = ["idea", "author"]


@admin.register(IdeaStatusChange)
class IdeaStatusChangeAdmin(admin.ModelAdmin):
    list_display = ["idea", "from_status", "to_status", "by", "at"]
    raw_id_fields = ["idea", "by"]
