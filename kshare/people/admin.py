from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin
from django.template.response import TemplateResponse

from kshare.people import throttle
from kshare.people.erasure import ErasureRefused, person_erase
from kshare.people.forms import AdminLoginForm
from kshare.people.models import AccountInvite, AuthAttempt, Person, Skill, Team

# The admin's own login page counts failed sign-ins like /signin/ does.
admin.site.login_form = AdminLoginForm


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
        (
            "Profile",
            {
                "fields": [
                    "display_name",
                    "team",
                    "timezone",
                    "office_country",
                    "office_subdivision",
                    "bio",
                    "interests",
                ]
            },
        ),
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
    actions = ["erase_accounts"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting a row would cascade through sessions, feedback and the audit log: accounts go
        # only through erasure (the action below, the person's own page, `kshare delete-person`).
        return False

    @admin.action(description="Delete accounts and personal data…", permissions=["change"])
    def erase_accounts(self, request, queryset):
        if not request.user.is_admin:
            self.message_user(request, "Only admins can delete accounts.", messages.ERROR)
            return None
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/people/person/erase_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "people": list(queryset),
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "opts": self.model._meta,
                },
            )
        deleted = 0
        for person in queryset:
            try:
                person_erase(person=person, by=request.user)
            except ErasureRefused as error:
                self.message_user(request, error.messages[0], messages.ERROR)
            else:
                deleted += 1
        if deleted:
            self.message_user(
                request,
                f"Deleted {deleted} account{'s' if deleted != 1 else ''} and personal data.",
                messages.SUCCESS,
            )
        return None


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


@admin.register(AuthAttempt)
class AuthAttemptAdmin(admin.ModelAdmin):
    """Counted sign-in and reset attempts. Keys are hashes: search for an e-mail address or a
    client address to find its rows; deleting them ends that lock-out."""

    list_display = ["action", "scope", "created_at"]
    list_filter = ["action", "scope"]
    search_fields = ["key"]
    search_help_text = "An e-mail address or a client network address (exactly)."

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        keys = [throttle.throttle_key(throttle.Scope.ACCOUNT, term)]
        address = throttle.address_counted(term)
        if address != "unknown":  # a network address, not an e-mail address
            keys.append(throttle.throttle_key(throttle.Scope.CLIENT, address))
        return queryset.filter(key__in=keys), False
