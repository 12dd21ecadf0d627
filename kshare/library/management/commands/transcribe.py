"""``kshare transcribe``: queue the automatic transcription of existing recordings."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kshare.library.models import Material
from kshare.library.transcription import ACTIVE, transcription_for, transcription_request


class Command(BaseCommand):
    help = (
        "Queue the automatic transcription of recordings: the materials with the given ids, or "
        "with --missing every recording with a stored file and no transcript. The worker "
        "transcribes them; a recording already queued or running is left as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="material ids")
        parser.add_argument(
            "--missing",
            action="store_true",
            help="every recording with a stored file and no transcript",
        )

    def handle(self, *args: Any, ids: list[int], missing: bool, **options: Any) -> None:
        if not ids and not missing:
            raise CommandError("Name the recordings' material ids, or use --missing.")
        recordings = (
            Material.objects.filter(kind=Material.Kind.RECORDING)
            .exclude(file="")
            .select_related("transcription")
            .order_by("pk")
        )
        if missing:
            chosen = list(recordings.filter(transcript__isnull=True))
        else:
            chosen = list(recordings.filter(pk__in=ids))
            unknown = sorted(set(ids) - {m.pk for m in chosen})
            if unknown:
                raise CommandError(
                    "No recording with a stored file has the id "
                    f"{', '.join(str(pk) for pk in unknown)}; nothing was queued."
                )
        queued = running = 0
        for material in chosen:
            job = transcription_for(material)
            if job is not None and job.state in ACTIVE:
                running += 1
                continue
            try:
                transcription_request(material=material)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
            queued += 1
        self.stdout.write(
            f"Queued {queued} recording(s) for transcription; {running} already queued or running."
        )
