"""How long kshare keeps mails, logs and other records that exist only to look back, and the
periodic purge that enforces it. Every rule is listed here, once; the admins' page
*Data retention* (``/retention/``) shows the same list.

Days come from settings (``KSHARE_RETENTION_OUTBOX_DAYS``, ``KSHARE_RETENTION_LOG_DAYS``; 0 keeps
forever). What is still in use is never purged: queued and sending mails and webhook deliveries,
waiting and running tasks. The audit log is not purged at all: it is the record of what
organisers and admins did, kept for the life of the installation (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.sessions.models import Session as HttpSession
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from kshare.outbox.models import OutboxMessage
from kshare.people.models import AuthAttempt
from kshare.people.throttle import KEEP as AUTH_ATTEMPTS_KEPT
from kshare.webhooks.models import WebhookDelivery

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Rows deleted per statement and statements per run: a large backlog goes over several ticks
# instead of holding SQLite's write lock for long.
BATCH = 2000
BATCHES_PER_RUN = 10


@dataclass(frozen=True)
class Rule:
    """What is purged (``rows``: the rows past retention for a cut-off), after how long."""

    key: str
    label: StrOrPromise
    setting: str | None  # None: a fixed period (``fixed``), not configurable
    rows: Callable[[datetime], models.QuerySet]
    fixed: timedelta | None = None

    @property
    def kept(self) -> timedelta | None:
        """How long rows are kept, or None for ever."""
        if self.setting is None:
            return self.fixed
        days = getattr(settings, self.setting)
        return timedelta(days=days) if days > 0 else None


RULES: tuple[Rule, ...] = (
    Rule(
        key="outbox",
        label=_("Sent and failed mails in the outbox"),
        setting="KSHARE_RETENTION_OUTBOX_DAYS",
        rows=lambda cutoff: OutboxMessage.objects.filter(
            status__in=[OutboxMessage.Status.SENT, OutboxMessage.Status.FAILED],
            created_at__lt=cutoff,
        ),
    ),
    Rule(
        key="webhook_deliveries",
        label=_("Delivered and failed webhook deliveries"),
        setting="KSHARE_RETENTION_LOG_DAYS",
        rows=lambda cutoff: WebhookDelivery.objects.filter(
            status__in=[WebhookDelivery.Status.SENT, WebhookDelivery.Status.FAILED],
            created_at__lt=cutoff,
        ),
    ),
    Rule(
        key="task_results",
        label=_("Finished background tasks (their arguments and results)"),
        setting="KSHARE_RETENTION_LOG_DAYS",
        rows=lambda cutoff: DBTaskResult.objects.filter(
            status__in=["SUCCESSFUL", "FAILED"], finished_at__lt=cutoff
        ),
    ),
    Rule(
        key="http_sessions",
        label=_("Expired sign-in sessions"),
        setting=None,
        fixed=timedelta(0),
        rows=lambda cutoff: HttpSession.objects.filter(expire_date__lt=cutoff),
    ),
    Rule(
        key="auth_attempts",
        label=_("Counted sign-in and password-reset attempts"),
        setting=None,
        fixed=AUTH_ATTEMPTS_KEPT,
        rows=lambda cutoff: AuthAttempt.objects.filter(created_at__lte=cutoff),
    ),
)


def _purge(queryset: models.QuerySet) -> int:
    deleted = 0
    for _run in range(BATCHES_PER_RUN):
        pks = list(queryset.order_by().values_list("pk", flat=True)[:BATCH])
        if not pks:
            break
        with transaction.atomic():
            count, _per_model = queryset.model._base_manager.filter(pk__in=pks).delete()
        deleted += count
        if len(pks) < BATCH:
            break
    return deleted


def retention_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete what every rule no longer keeps (at most ``BATCH * BATCHES_PER_RUN`` rows a rule
    per run); returns the rows deleted per rule."""
    now = now or timezone.now()
    deleted = {}
    for rule in RULES:
        kept = rule.kept
        deleted[rule.key] = 0 if kept is None else _purge(rule.rows(now - kept))
    return deleted


@dataclass(frozen=True)
class RuleStatus:
    rule: Rule
    kept: timedelta | None
    due: int  # rows past retention now (purged by the next runs)

    @property
    def kept_label(self) -> str:
        if self.kept is None:
            return gettext("for ever")
        if not self.kept:
            return gettext("until they expire")
        if self.kept.days:
            days = self.kept.days
            return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
        hours = max(1, round(self.kept.total_seconds() / 3600))
        return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}


def retention_status(*, now: datetime | None = None) -> list[RuleStatus]:
    """Each rule with its period and how many rows are past it now, for the admins' page."""
    now = now or timezone.now()
    return [
        RuleStatus(
            rule=rule,
            kept=rule.kept,
            due=0 if rule.kept is None else rule.rows(now - rule.kept).count(),
        )
        for rule in RULES
    ]
