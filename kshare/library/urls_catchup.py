"""URL patterns for the catch-up feed (owned by the catch-up work; included by library/urls.py)."""

urlpatterns: list = []
