"""Deleting an account: every app erases its part (``personal_data_registry``), then the row goes.

What others made with the person stays and is shown as by the *former member*: one shared,
inactive placeholder person (like GitLab's ghost user) rather than a nullable author. One
placeholder, not one per deleted account, so that the contributions of different former members
cannot be told apart or joined up, and every key that pointed at the person stays a valid key:
pages, exports, the API and the dashboard need no "author missing" case, and the placeholder,
being inactive, is left out wherever people are listed, invited or recommended. Its address is in
the reserved ``.invalid`` domain, so no mail can reach anyone, and it has no usable password.
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from kshare.audit.context import acting_as
from kshare.audit.models import AuditEntry
from kshare.audit.services import audit_record
from kshare.people.models import Person, Role
from kshare.people.personal_data_registry import contributions

PLACEHOLDER_EMAIL = "former-member@kshare.invalid"
PLACEHOLDER_NAME = "Former member"


def placeholder_get() -> Person:
    """The shared "Former member" (made when first needed)."""
    # get_or_create: two first erasures at once make one placeholder (the loser of the unique
    # insert reads the winner's row).
    placeholder, _ = Person.objects.get_or_create(
        email=PLACEHOLDER_EMAIL,
        defaults={
            "display_name": PLACEHOLDER_NAME,
            "password": make_password(None),
            "is_active": False,
            "role": Role.MEMBER,
        },
    )
    return placeholder


def is_placeholder(person: Person) -> bool:
    return person.email == PLACEHOLDER_EMAIL


class ErasureRefused(ValidationError):
    """The account cannot be deleted; the message says why."""


def person_erase_check(*, person: Person, lock: bool = False) -> None:
    """Raise ``ErasureRefused`` for the placeholder and for the last active admin.

    With ``lock`` (inside ``person_erase``'s transaction) the admins' rows are locked first, so
    two admins deleting each other at the same time cannot both pass and leave none.
    """
    if is_placeholder(person):
        raise ErasureRefused(gettext("The former-member placeholder cannot be deleted."))
    if person.is_admin:
        admins = Person.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True)
        if lock:
            admins = admins.select_for_update().order_by("pk")
        other_admins = [pk for pk in admins.values_list("pk", flat=True) if pk != person.pk]
        if not other_admins:
            raise ErasureRefused(
                gettext(
                    "The account %(email)s is the only active admin: make someone else an "
                    "admin first."
                )
                % {"email": person.email}
            )


def person_erase(*, person: Person, by: Person | None) -> None:
    """Delete ``person``'s account and everything kshare holds about them, in one transaction.

    ``by`` is who asked: the person themselves, an admin, or ``None`` for the command line.
    Each app's ``personal_data.erase`` runs first (in ``ERASE_ORDER``; the audit log last), then
    the row is deleted. The audit log keeps one entry saying an account was erased and by whom,
    without the name or address. Raises ``ErasureRefused`` (``person_erase_check``).
    """
    person_erase_check(person=person)
    with transaction.atomic():
        # The admins first, in one order (a person's own row is among them when they are one).
        person_erase_check(person=person, lock=True)
        person = Person.objects.select_for_update().get(pk=person.pk)
        placeholder = placeholder_get()
        itself = by is not None and by.pk == person.pk
        # Signed out at once, and no longer anywhere in the directory, while the rest goes.
        Person.objects.filter(pk=person.pk).update(is_active=False, password=make_password(None))
        with acting_as(placeholder if itself else by):
            for contribution in contributions():
                contribution.erase(person, placeholder)
            audit_record(
                action=AuditEntry.Action.DELETE,
                target_type="people.person",
                target_id=str(person.pk),
                target_label=PLACEHOLDER_NAME,
                changes={
                    "personal data": "erased",
                    "requested by": "the person"
                    if itself
                    else ("an admin" if by is not None else "the command line"),
                },
                actor=placeholder if itself else by,
            )
            # What the log's deletion entry records of the row: nothing that names the person.
            person.email = f"erased-{person.pk}@kshare.invalid"
            person.display_name = PLACEHOLDER_NAME
            person.bio = ""
            person.is_active = False
            person.delete()
