"""Keep the index current: every save and delete of something searchable updates its document.

Connected in ``SearchConfig.ready``. Deleting a session removes its documents by cascade (the
documents' ``session`` foreign key), deleting anything else removes its own document here.

Rows a service writes in bulk send no ``post_save``: their bulk path announces them with
``kshare.core.signals.rows_saved`` on commit, and ``rows_saved`` below indexes them in bulk
(``services.search_index_bulk``), the demo organisation among them.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from kshare.core.signals import rows_saved as rows_saved_signal
from kshare.ideas.models import Idea
from kshare.library.models import Material, Transcript
from kshare.people.models import Person, Skill
from kshare.programmes.models import Programme
from kshare.search import services
from kshare.search.models import Kind
from kshare.sessions.models import Session

# Saves of a person that change nothing the directory shows (sign-in, password change).
_PERSON_QUIET_FIELDS = frozenset({"last_login", "password"})


def _raw(kwargs: dict) -> bool:
    return bool(kwargs.get("raw"))  # loaddata: the fixture's rows, no side effects


def session_saved(sender, instance: Session, **kwargs) -> None:
    if not _raw(kwargs):
        services.search_index_session(session_id=instance.pk)


def session_links_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """A session's tags or teams changed, from either side (``tag.sessions.add(...)`` too)."""
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:
        services.search_index_session(session_id=instance.pk)
    elif pk_set:
        for session_id in pk_set:
            services.search_index_session(session_id=session_id)


def programme_teams_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:
        services.search_update_programme(programme=instance)
    elif pk_set:
        for programme in Programme.objects.filter(pk__in=pk_set):
            services.search_update_programme(programme=programme)


def material_saved(sender, instance: Material, **kwargs) -> None:
    if not _raw(kwargs):
        services.search_index_material(material_id=instance.pk)


def material_deleted(sender, instance: Material, **kwargs) -> None:
    services.search_remove(kind=Kind.MATERIAL, object_id=instance.pk)


def transcript_saved(sender, instance: Transcript, **kwargs) -> None:
    if not _raw(kwargs):
        services.search_index_transcript(transcript_id=instance.pk)


def transcript_deleted(sender, instance: Transcript, **kwargs) -> None:
    services.search_remove(kind=Kind.TRANSCRIPT, object_id=instance.pk)


def idea_saved(sender, instance: Idea, **kwargs) -> None:
    if not _raw(kwargs):
        services.search_index_idea(idea_id=instance.pk)


def idea_deleted(sender, instance: Idea, **kwargs) -> None:
    services.search_remove(kind=Kind.IDEA, object_id=instance.pk)


def person_saved(sender, instance: Person, update_fields=None, **kwargs) -> None:
    if _raw(kwargs) or (update_fields and set(update_fields) <= _PERSON_QUIET_FIELDS):
        return
    services.search_index_person(person_id=instance.pk)


def person_deleted(sender, instance: Person, **kwargs) -> None:
    services.search_remove(kind=Kind.PERSON, object_id=instance.pk)


def skill_changed(sender, instance: Skill, **kwargs) -> None:
    if not _raw(kwargs):
        services.search_index_person(person_id=instance.person_id)


def programme_saved(sender, instance: Programme, **kwargs) -> None:
    if not _raw(kwargs):
        services.search_update_programme(programme=instance)


# Which document kind each bulk-written model is; a bulk write of skills announces the people.
_BULK_KINDS = {
    Person: Kind.PERSON,
    Session: Kind.SESSION,
    Idea: Kind.IDEA,
    Material: Kind.MATERIAL,
    Transcript: Kind.TRANSCRIPT,
}


def rows_saved(sender, model, ids, **kwargs) -> None:
    kind = _BULK_KINDS.get(model)
    if kind is not None:
        services.search_index_bulk(kind=kind, ids=ids)


def connect() -> None:
    uid = "kshare.search"
    post_save.connect(session_saved, sender=Session, dispatch_uid=f"{uid}.session")
    m2m_changed.connect(
        session_links_changed, sender=Session.tags.through, dispatch_uid=f"{uid}.session_tags"
    )
    m2m_changed.connect(
        session_links_changed, sender=Session.teams.through, dispatch_uid=f"{uid}.session_teams"
    )
    m2m_changed.connect(
        programme_teams_changed,
        sender=Programme.teams.through,
        dispatch_uid=f"{uid}.programme_teams",
    )
    post_save.connect(material_saved, sender=Material, dispatch_uid=f"{uid}.material")
    post_delete.connect(material_deleted, sender=Material, dispatch_uid=f"{uid}.material_del")
    post_save.connect(transcript_saved, sender=Transcript, dispatch_uid=f"{uid}.transcript")
    post_delete.connect(transcript_deleted, sender=Transcript, dispatch_uid=f"{uid}.transcript_del")
    post_save.connect(idea_saved, sender=Idea, dispatch_uid=f"{uid}.idea")
    post_delete.connect(idea_deleted, sender=Idea, dispatch_uid=f"{uid}.idea_del")
    post_save.connect(person_saved, sender=Person, dispatch_uid=f"{uid}.person")
    post_delete.connect(person_deleted, sender=Person, dispatch_uid=f"{uid}.person_del")
    post_save.connect(skill_changed, sender=Skill, dispatch_uid=f"{uid}.skill")
    post_delete.connect(skill_changed, sender=Skill, dispatch_uid=f"{uid}.skill_del")
    post_save.connect(programme_saved, sender=Programme, dispatch_uid=f"{uid}.programme")
    rows_saved_signal.connect(rows_saved, dispatch_uid=f"{uid}.rows_saved")
