from django.apps import AppConfig


class LibraryConfig(AppConfig):
    """Session materials (recordings, slides, notes, links, transcripts) and absentee catch-up."""

    name = "kshare.library"
    label = "library"
    verbose_name = "Session library"
