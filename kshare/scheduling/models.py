"""The scheduling app's models: rhythm events (``rhythm/models.py``) and reminders
(``reminders/models.py``). They moved here from the ``rhythm`` and ``reminders`` apps with their
tables (``Meta.db_table``), by state-only migrations (``migrations/0001_initial.py``)."""

from kshare.scheduling.reminders.models import CadenceNudge, OrganiserDigest, Reminder
from kshare.scheduling.rhythm.models import ClosureDay, RhythmEvent, RhythmException

__all__ = [
    "CadenceNudge",
    "ClosureDay",
    "OrganiserDigest",
    "Reminder",
    "RhythmEvent",
    "RhythmException",
]
