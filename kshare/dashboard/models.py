from __future__ import annotations

from django.db import models


class DataVersion(models.Model):
    """The version of the data the dashboard figures are computed from: one row.

    ``value`` is bumped (after commit) whenever a row the figures read is saved or deleted; the
    cache key of every figure contains ``token`` and ``value``, so a bump makes every cached figure
    stale at once, in every process. ``token`` is random and chosen when the row is created, so a
    database that was emptied and refilled never meets figures cached for its previous contents.
    """

    token = models.CharField(max_length=32)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "dashboard data version"

    def __str__(self) -> str:
        return f"Dashboard data version {self.value}"
