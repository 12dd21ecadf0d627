from django.contrib import admin

from kshare.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "person", "prefix", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["name", "prefix", "person__email", "person__display_name"]
    raw_id_fields = ["person"]
    # The hash is useless to a human and must never be edited.
    exclude = ["token_hash"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        # Tokens are created by their owner in the UI, where the secret is shown once.
        return False
