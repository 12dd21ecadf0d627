"""URL patterns for transcripts (owned by the transcripts work; included by library/urls.py)."""

urlpatterns: list = []
