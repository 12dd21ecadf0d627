"""Reads of session materials, with the session's visibility applied."""

from __future__ import annotations

from django.db.models import QuerySet

from kshare.library import sniff
from kshare.library.models import Material
from kshare.people.models import Person
from kshare.sessions.models import Session
from kshare.sessions.selectors import session_can_edit, sessions_visible_to

# Only the types the sniffer gives are ever served as themselves.
SERVED_TYPES = frozenset(t.content_type for t in (*sniff.MEDIA_TYPES, *sniff.SLIDE_TYPES))
# Inline kinds: served with ``Content-Disposition: inline`` (played or shown in the page).
INLINE_PREFIXES = ("video/", "audio/")
INLINE_TYPES = ("application/pdf",)


def materials_visible_to(*, person: Person) -> QuerySet[Material]:
    """Materials of the sessions ``person`` may see (one query, the permission inside it)."""
    return Material.objects.filter(session__in=sessions_visible_to(person=person))


def materials_of_session(*, session: Session) -> QuerySet[Material]:
    """A session's materials for its page; the caller has checked the session is visible."""
    return Material.objects.filter(session=session).order_by("kind", "created_at", "id")


def material_for_viewer(*, person: Person, pk: int) -> Material | None:
    """The material, or ``None`` when it does not exist for ``person`` (missing or invisible)."""
    return materials_visible_to(person=person).select_related("session").filter(pk=pk).first()


def material_for_media(*, person: Person, pk: int) -> Material | None:
    """A material with a stored file that ``person`` may download, or ``None``."""
    return materials_visible_to(person=person).filter(pk=pk).exclude(file="").first()


def material_can_edit(*, person: Person, material: Material) -> bool:
    """Whoever may change the session (hosts, programme organisers, admins) changes materials."""
    return session_can_edit(person=person, session=material.session)


def material_served_type(material: Material) -> str:
    """The Content-Type to serve: the sniffed type, or a download for anything else."""
    if material.content_type in SERVED_TYPES:
        return material.content_type
    return "application/octet-stream"


def material_is_inline(material: Material) -> bool:
    """Whether the browser shows the file itself (video, audio, PDF) rather than saving it."""
    served = material_served_type(material)
    return served.startswith(INLINE_PREFIXES) or served in INLINE_TYPES
