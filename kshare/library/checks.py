"""The library's production rules: where uploaded recordings and slides are kept."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.files.storage import FileSystemStorage, storages


def _writable_folder(path: Path) -> bool:
    """Whether ``path`` is (or can be created as) a folder this process may write to."""
    while not path.exists():
        if path.parent == path:
            return False
        path = path.parent
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


@register(Tags.files, deploy=True)
def check_media_storage(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        if settings.KSHARE_MEDIA_ACCEL_REDIRECT:
            return [
                Warning(
                    "KSHARE_MEDIA_ACCEL_REDIRECT is set but media are not kept on the file "
                    "system, so kshare sends them itself and the setting does nothing.",
                    hint="Unset KSHARE_MEDIA_ACCEL_REDIRECT.",
                    id="kshare.W017",
                )
            ]
        return []
    root = Path(storage.location)
    if _writable_folder(root):
        return []
    return [
        Error(
            f"MEDIA_ROOT ({root}) is not a folder kshare can write to, so every upload of a "
            "recording or slides would fail.",
            hint="Create it for the user kshare runs as, on storage that every web process and "
            "worker shares, or point MEDIA_ROOT elsewhere.",
            id="kshare.E016",
        )
    ]


@register(Tags.compatibility)
def check_transcribe_model(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The whisper recogniser needs a model directory the administrator installed."""
    if settings.KSHARE_TRANSCRIBE != "whisper":
        return []
    from kshare.library.speech.whisper import model_problem  # pure; its engine loads lazily

    problem = model_problem(settings.KSHARE_TRANSCRIBE_MODEL_DIR)
    if not problem:
        return []
    return [
        Error(
            f"KSHARE_TRANSCRIBE is whisper, so no recording can be transcribed: {problem}",
            hint="Point KSHARE_TRANSCRIBE_MODEL_DIR at an installed whisper model "
            "(docs/transcripts.md), or use KSHARE_TRANSCRIBE=pocketsphinx.",
            id="kshare.E060",
        )
    ]
