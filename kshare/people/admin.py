from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from kshare.people.models import AccountInvite, Person, Skill, Team


class SkillInline(admin.TabularInline):
    model = Skill
    extra = 0
    autocomplete_fields = ["tag"]


@admin.register(Person)
class PersonAdmin(UserAdmin):
    ordering = ["display_name"]
    list_display = ["email", "display_name", "team", "role", "is_active"]
    list_filter = ["role", "team", "is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    autocomplete_fields = ["interests"]
    inlines = [SkillInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "team", "timezone", "bio", "interests"]}),
        ("Access", {"fields": ["role", "is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "display_name", "password1", "password2"]},
        ),
    ]
    filter_horizontal = ["groups"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["person", "tag", "level"]
    list_select_related = ["person", "tag"]
    autocomplete_fields = ["person", "tag"]
    search_fields = ["tag__name", "person__display_name"]


@admin.register(AccountInvite)
class AccountInviteAdmin(admin.ModelAdmin):
    list_display = ["email", "role", "created_at", "expires_at", "accepted_at"]
    list_select_related = ["team"]
    exclude = ["token_hash"]
    readonly_fields = ["invited_by", "person", "accepted_at", "created_at"]
    search_fields = ["email"]
