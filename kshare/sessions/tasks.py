"""Background work for sessions: thin tasks that take ids and call a service."""

from __future__ import annotations

from dataclasses import asdict

from django.tasks import task

from kshare.sessions.host_mail import hosts_mail_due, hosts_sweep
from kshare.sessions.invitation_mail import (
    invitations_mail_due,
    invitations_mail_promoted,
    invitations_sweep,
)


@task
def invitations_mail_task(invitation_ids: list[int]) -> int:
    """The invitation mails of one "invite": those still owed (a re-run sends the rest)."""
    return invitations_mail_due(invitation_ids=invitation_ids)


@task
def invitations_mail_changed_task(session_id: int, sequence: int) -> int:
    """The new-time or cancellation mails owed after the change that produced ``sequence``."""
    return invitations_mail_due(session_id=session_id)


@task
def invitation_mail_promoted_task(invitation_id: int) -> bool:
    return invitations_mail_promoted(invitation_ids=[invitation_id]) == 1


@task
def host_mail_due_task(session_id: int) -> int:
    """The hosts' calendar mails (confirmation, new time, cancellation) owed for a session."""
    return hosts_mail_due(session_id=session_id)


@task
def invitations_sweep_task() -> dict[str, int]:
    """Periodic (the clock): send the invitation and host mails still owed after their task's
    time."""
    hosts = hosts_sweep()
    return {**asdict(invitations_sweep()), "hosts": hosts.sent, "hosts_expired": hosts.expired}


# The names before every task ended in ``_task``. The data migration (talks 0008) rewrites the rows
# waiting at upgrade time; these aliases run the rows that web processes still on the old release
# queue during a rolling upgrade, after the migration (docs/deploy.md, "Upgrades").
invitations_mail = invitations_mail_task
invitations_mail_changed = invitations_mail_changed_task
invitation_mail_promoted = invitation_mail_promoted_task
host_mail_due = host_mail_due_task
