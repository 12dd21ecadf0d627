"""Background work of the people app: thin tasks that call a service."""

from __future__ import annotations

from django.tasks import task


@task
def password_reset_mail_task(email: str) -> int:
    """Mail a password-reset link to the accounts using ``email`` (none: nothing)."""
    from kshare.people.emails import password_reset_send

    return password_reset_send(email=email)


@task
def auth_attempts_prune_task() -> int:
    """Forget sign-in and reset attempts older than the longest limit window (periodic)."""
    from kshare.people.throttle import auth_attempts_prune

    return auth_attempts_prune()
