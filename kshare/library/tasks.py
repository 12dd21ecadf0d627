"""Background work for the session library: thin tasks that call the services."""

from __future__ import annotations

from django.tasks import task

from kshare.library.transcription import STEP, transcription_step, transcriptions_resume


@task
def catchup_weekly_task() -> int:
    """Mail the weekly catch-up e-mails that are due (Mondays from 08:00 local); from the clock.

    Idempotent: at most one mail per person and ISO week (see kshare.library.catchup)."""
    from kshare.library.catchup import catchup_weekly_send

    return catchup_weekly_send()


@STEP.binds
@task
def transcription_step_task(transcription_id: int) -> bool:
    """Transcribe a recording for one step (kshare.library.transcription): resumable, fair."""
    return transcription_step(transcription_id=transcription_id)


@task
def transcriptions_resume_task() -> int:
    """Queue again the transcriptions that stopped moving; from the clock."""
    return transcriptions_resume()
