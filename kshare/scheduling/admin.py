"""The admin of rhythm events and reminders (the modules register themselves)."""

from kshare.scheduling.reminders import admin as reminders_admin
from kshare.scheduling.rhythm import admin as rhythm_admin

__all__ = ["reminders_admin", "rhythm_admin"]
