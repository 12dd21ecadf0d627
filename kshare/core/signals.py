"""Rows written in bulk, announced: the one signal a bulk write path sends.

A ``bulk_create`` sends no ``post_save``, so whoever keeps a copy of rows (search's index) would
miss rows that a service writes in bulk (the demo organisation, the people CSV import). Each bulk
path in an owning app's services calls ``rows_saved_announce`` after it wrote its rows; once the
transaction commits, ``rows_saved(model, ids)`` is sent with ``send_robust`` (a receiver that
raises is logged and does not undo the committed rows), never for a rolled-back write.

The signal is the only thing a bulk path announces: no domain signals (``session_scheduled``…),
so nothing mails, enqueues or calls a webhook for rows written this way. ``sender`` is the model;
``ids`` the primary keys written (created, or changed in a way a copy must follow), in the order
written. Lives in ``core`` (layer 0) so that every app may send it and any higher app may listen.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models, transaction
from django.dispatch import Signal

rows_saved = Signal()


def rows_saved_announce(*, model: type[models.Model], ids: Iterable[int]) -> None:
    """Send ``rows_saved(sender=model, model=model, ids=[…])`` once the transaction commits."""
    pks = list(ids)
    if not pks:
        return
    transaction.on_commit(
        lambda: rows_saved.send_robust(model, model=model, ids=pks),
        robust=True,
    )
