"""The audit log's part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``).

The log is append-only: nothing deletes an entry, and erasing a person does not either. What it
does is the one change the log allows — pseudonymisation: entries the person made keep their
time, action, target and values, but the actor becomes the shared former member (name and
address label and client address cleared), and entries about the person's account lose their
name and e-mail address. It runs last, so the entries written while the account is erased are
pseudonymised too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kshare.audit.models import AuditEntry

if TYPE_CHECKING:  # annotations only: the people app is not needed at run time
    from kshare.people.models import Person

HANDLES = {"audit.AuditEntry.actor": "kept, the actor becomes the former member"}
ERASE_ORDER = 90
ERASED = "(erased)"
# Fields of a person's entries that name them.
NAMING_FIELDS = ("email", "display_name")


def export(person: Person) -> dict[str, Any]:
    return {
        "audit_log_actions": list(
            AuditEntry.objects.filter(actor=person)
            .order_by("at", "pk")
            .values("at", "action", "target_type", "target_label", "source", "address")
        )
    }


def _scrubbed(changes: dict[str, Any]) -> dict[str, Any]:
    return {
        name: ([ERASED if v else v for v in value] if isinstance(value, list) else ERASED)
        if name in NAMING_FIELDS
        else value
        for name, value in changes.items()
    }


def erase(person: Person, placeholder: Person) -> None:
    AuditEntry.objects.filter(actor=person).update(
        actor=placeholder, actor_label=placeholder.display_name, address=None
    )
    about = AuditEntry.objects.filter(target_type="people.person", target_id=str(person.pk))
    for entry in about:
        AuditEntry.objects.filter(pk=entry.pk).update(
            target_label=placeholder.display_name, changes=_scrubbed(entry.changes)
        )
    invites = AuditEntry.objects.filter(
        target_type="people.accountinvite", target_label__iexact=f"Invitation for {person.email}"
    )
    for entry in invites:
        AuditEntry.objects.filter(pk=entry.pk).update(
            target_label=f"Invitation for {ERASED}", changes=_scrubbed(entry.changes)
        )
