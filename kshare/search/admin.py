from django.contrib import admin
from django.http import HttpRequest

from kshare.search.models import SearchDocument


@admin.register(SearchDocument)
class SearchDocumentAdmin(admin.ModelAdmin):
    """Read-only: the index is written by the search services (and `kshare reindex`)."""

    list_display = ["title", "kind", "object_id", "session", "programme", "is_open", "date"]
    list_filter = ["kind", "is_open"]
    search_fields = ["title"]
    raw_id_fields = ["session", "programme"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
