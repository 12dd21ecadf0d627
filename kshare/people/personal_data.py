"""People's part of "Your data" and of deleting an account (see ``personal_data_registry``)."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from kshare.people import throttle
from kshare.people.models import AccountInvite, AuthAttempt, Person

HANDLES = {
    "people.Person.interests": "cleared",
    "people.Person.groups": "cleared",
    "people.Person.user_permissions": "cleared",
    "people.Skill.person": "deleted",
    "people.AccountInvite.person": "deleted, with every invitation to the person's address",
    "people.AccountInvite.invited_by": "moved to the former member",
    "admin.LogEntry.user": "moved to the former member; entries about the person lose the name",
    "people.AuthAttempt (no key: a keyed hash of the address)": "deleted",
}
# The person's row goes last (``erasure.person_erase``); this only clears what hangs on it.
ERASE_ORDER = 80


def export(person: Person) -> dict[str, Any]:
    invite = AccountInvite.objects.filter(person=person).order_by("accepted_at").first()
    return {
        "profile": {
            "id": person.pk,
            "email": person.email,
            "display_name": person.display_name,
            "team": person.team.name if person.team else None,
            "timezone": person.timezone,
            "role": person.role,
            "bio": person.bio,
            "is_active": person.is_active,
            "date_joined": person.date_joined,
            "last_login": person.last_login,
        },
        "interests": sorted(person.interests.values_list("name", flat=True)),
        "skills": [
            {"tag": tag, "level": level}
            for tag, level in person.skills.order_by("tag__name").values_list("tag__name", "level")
        ],
        "account_invitation": None
        if invite is None
        else {"created_at": invite.created_at, "accepted_at": invite.accepted_at},
    }


def erase(person: Person, placeholder: Person) -> None:
    person.skills.all().delete()
    person.interests.clear()
    person.groups.clear()
    person.user_permissions.clear()
    AccountInvite.objects.filter(person=person).delete()
    AccountInvite.objects.filter(email__iexact=person.email).delete()
    AccountInvite.objects.filter(invited_by=person).update(invited_by=placeholder)
    AuthAttempt.objects.filter(
        key=throttle.throttle_key(throttle.Scope.ACCOUNT, person.email)
    ).delete()
    # Django's admin history is kept like the audit log: who becomes the former member.
    LogEntry.objects.filter(user=person).update(user=placeholder)
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Person), object_id=str(person.pk)
    ).update(object_repr=placeholder.display_name, change_message="")
