from django.contrib import admin

from kshare.topics.models import TopicNotification, TopicRequest, TopicVolunteer, TopicVote


class TopicVoteInline(admin.TabularInline):
    model = TopicVote
    extra = 0
    raw_id_fields = ["person"]


class TopicVolunteerInline(admin.TabularInline):
    model = TopicVolunteer
    extra = 0
    raw_id_fields = ["person"]


@admin.register(TopicRequest)
class TopicRequestAdmin(admin.ModelAdmin):
    list_display = ["title", "requester", "status", "session", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "description"]
    raw_id_fields = ["requester", "session"]
    filter_horizontal = ["tags"]
    inlines = [TopicVoteInline, TopicVolunteerInline]


@admin.register(TopicVote)
class TopicVoteAdmin(admin.ModelAdmin):
    list_display = ["request", "person", "created_at"]
    raw_id_fields = ["request", "person"]


@admin.register(TopicVolunteer)
class TopicVolunteerAdmin(admin.ModelAdmin):
    list_display = ["request", "person", "note", "created_at"]
    raw_id_fields = ["request", "person"]


@admin.register(TopicNotification)
class TopicNotificationAdmin(admin.ModelAdmin):
    list_display = ["request", "person", "session", "sent_at"]
    raw_id_fields = ["request", "person", "session"]
