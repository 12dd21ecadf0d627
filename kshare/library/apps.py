from django.apps import AppConfig


class LibraryConfig(AppConfig):
    """Session materials (recordings, slides, notes, links, transcripts) and absentee catch-up."""

    name = "kshare.library"
    label = "library"
    verbose_name = "Session library"

    def ready(self) -> None:
        from kshare.library import (  # noqa: F401 - checks registers itself
            checks,
            parts,
            signals,
            tasks,  # binds the transcription step to transcription.STEP
        )

        signals.connect()
        parts.register()  # its parts of other apps' pages (library/parts.py)
