from django.contrib import admin, messages

from kshare.api.models import PREFIX_LENGTH, ApiToken, token_generate, token_hash


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are normally made by their owner on /api/tokens/. An admin may add one for a person
    (e.g. a service account for a chat tool): the secret is shown once, in the message after saving.
    """

    list_display = ["name", "person", "prefix", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["name", "prefix", "person__email", "person__display_name"]
    raw_id_fields = ["person"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["person", "name", "scope"]
        return ["person", "name", "scope", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        # The hash is never shown or edited; an existing token keeps its owner.
        return [] if obj is None else ["person", "prefix", "created_at", "last_used_at"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            raw = token_generate()
            obj.prefix, obj.token_hash = raw[:PREFIX_LENGTH], token_hash(raw)
            super().save_model(request, obj, form, change)
            messages.warning(
                request, f"The token's secret, shown only this once — copy it now: {raw}"
            )
            return
        super().save_model(request, obj, form, change)
