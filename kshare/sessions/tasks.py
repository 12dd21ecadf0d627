"""Background work for sessions: thin tasks that take ids and call a service."""

from __future__ import annotations

from django.tasks import task


@task
def invitations_mail(invitation_ids: list[int]) -> int:
    from kshare.sessions.invitations import invitations_mail_new

    return invitations_mail_new(invitation_ids=invitation_ids)


@task
def invitations_mail_changed(session_id: int, sequence: int) -> int:
    from kshare.sessions.invitations import invitations_mail_changed as mail_changed

    return mail_changed(session_id=session_id, sequence=sequence)


@task
def invitation_mail_promoted(invitation_id: int) -> bool:
    from kshare.sessions.invitations import invitation_mail_promoted as mail_promoted

    return mail_promoted(invitation_id=invitation_id)
