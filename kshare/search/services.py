"""Keeping the search index current: build documents from the models, write and remove them.

The signal receivers (``kshare.search.receivers``) call these on every save and delete, and
``search_index_bulk`` for rows a service wrote in bulk (``kshare.core.signals.rows_saved``: the
demo organisation, the people import); ``search_reindex`` rebuilds everything (``kshare
reindex``), e.g. after rows written behind the services' back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from django.db import connection, models, transaction
from django.db.models import Prefetch

from kshare.ideas.models import Idea
from kshare.library.models import Material, Transcript
from kshare.people.models import Person, Skill
from kshare.programmes.models import Programme
from kshare.search.models import Kind, SearchDocument
from kshare.sessions.models import Session
from kshare.tags.models import Tag
from kshare.visibility import rules
from kshare.visibility.rules import RESTRICTED

# Private-use characters mark highlights in snippets; they are removed from indexed text so that
# content can never forge a highlight.
MARK_START = "\ue000"
MARK_END = "\ue001"
BODY_MAX_CHARS = 200_000  # a tsvector is limited to 1 MB; two hours of talk is about 100,000
TITLE_MAX_CHARS = 300
CHUNK = 500

_STRIP = str.maketrans({MARK_START: " ", MARK_END: " ", "\x00": " "})


def _clean(text: str | None, limit: int) -> str:
    return (text or "").translate(_STRIP)[:limit]


# Permission tokens (see ``kshare.search.backends.Access``) come from the one visibility rule,
# ``kshare.visibility.rules`` (``search_tokens``): a document open to every signed-in person (no
# session, or a session ``OPEN`` lets everyone see) has no "restr"; any other has "restr" and
# "vis<team>" for each team the rule opens it to, and every session document carries "sess<id>"
# (host, invitee) and "prog<id>" (organiser), which the person's grants match.


def _facts(session: Session) -> rules.SessionFacts:
    """The rule's facts of ``session`` from its (prefetched) teams and programme teams."""
    programme = session.programme
    return rules.SessionFacts(
        pk=session.pk,
        visibility=session.visibility,
        programme=rules.ProgrammeFacts(
            pk=programme.pk,
            visibility=programme.visibility,
            teams=frozenset(team.pk for team in programme.teams.all()),
        ),
        teams=frozenset(team.pk for team in session.teams.all()),
    )


def grant_teams(session: Session) -> list[int] | None:
    """``None`` when the session is open to everyone, else the teams its rules open it to."""
    teams = rules.open_to_teams(_facts(session))
    return None if teams is None else sorted(teams)


def permission_tokens(session: Session) -> list[str]:
    return rules.open_tokens(_facts(session))


def _meta(*, kind: str, session: Session | None, tag_ids) -> str:
    tokens = []
    if session is not None:
        tokens += rules.search_tokens(_facts(session))
    tokens.append(f"kind{kind}")
    tokens += [f"tag{tag_id}" for tag_id in sorted(set(tag_ids))]
    return " ".join(tokens)


def _doc(
    *,
    kind: str,
    object_id: int,
    title: str,
    body: str = "",
    tags: str = "",
    session: Session | None = None,
    date=None,
    tag_ids=(),
) -> SearchDocument:
    is_open = True
    if session is not None:
        is_open = grant_teams(session) is None
        date = date or session.start or session.created_at
    session_id = session.pk if session is not None else None
    programme_id = session.programme_id if session is not None else None
    return SearchDocument(
        kind=kind,
        object_id=object_id,
        session_id=session_id,
        programme_id=programme_id,
        is_open=is_open,
        date=date,
        title=_clean(title, TITLE_MAX_CHARS),
        tags=_clean(tags, 10_000),
        body=_clean(body, BODY_MAX_CHARS),
        meta=_meta(kind=kind, session=session, tag_ids=tag_ids),
    )


def _tag_names(tags: Iterable[Tag]) -> str:
    return " ".join(tag.name for tag in tags)


# --- documents from objects (the related rows must be loaded, see the querysets below) ----------


def _in_session(
    *, kind: str, object_id: int, title: str, body: str, session: Session
) -> SearchDocument:
    """A document of a session or of a part of it (material, transcript): the session's tags."""
    tags = list(session.tags.all())
    return _doc(
        kind=kind,
        object_id=object_id,
        title=title,
        body=body,
        tags=_tag_names(tags),
        session=session,
        tag_ids=[tag.pk for tag in tags],
    )


def session_document(session: Session) -> SearchDocument:
    return _in_session(
        kind=Kind.SESSION,
        object_id=session.pk,
        title=session.title,
        body=session.abstract,
        session=session,
    )


def material_document(material: Material) -> SearchDocument:
    return _in_session(
        kind=Kind.MATERIAL,
        object_id=material.pk,
        title=material.title,
        body=material.notes,
        session=material.session,
    )


def transcript_document(transcript: Transcript) -> SearchDocument:
    material = transcript.material
    return _in_session(
        kind=Kind.TRANSCRIPT,
        object_id=transcript.pk,
        title=material.title,
        body=transcript.text,
        session=material.session,
    )


def idea_document(idea: Idea) -> SearchDocument:
    session = idea.session
    tags = [idea.area.name] if idea.area is not None else []
    if session is not None:
        tags.append(_tag_names(session.tags.all()))
    return _doc(
        kind=Kind.IDEA,
        object_id=idea.pk,
        title=idea.title,
        body=idea.description,
        tags=" ".join(tags),
        session=session,
        date=idea.created_at,
        tag_ids=[tag.pk for tag in session.tags.all()] if session is not None else [],
    )


def person_document(person: Person) -> SearchDocument:
    team = person.team.name if person.team is not None else ""
    return _doc(
        kind=Kind.PERSON,
        object_id=person.pk,
        title=person.display_name or person.email,
        tags=_tag_names(skill.tag for skill in person.skills.all()),
        body=f"{team}\n{person.bio}".strip(),
        tag_ids=[skill.tag_id for skill in person.skills.all()],
    )


# --- querysets that load what the documents need, in a constant number of queries -------------

_SESSION_TAGS = Prefetch("tags", queryset=Tag.objects.order_by("name"))
# What the permission tokens need: the session's teams, its programme's teams.
_SESSION_TEAMS = ("teams", "programme__teams")


def _sessions() -> models.QuerySet[Session]:
    return Session.objects.select_related("programme").prefetch_related(
        _SESSION_TAGS, *_SESSION_TEAMS
    )


def _materials() -> models.QuerySet[Material]:
    return Material.objects.select_related("session__programme").prefetch_related(
        Prefetch("session__tags", queryset=Tag.objects.order_by("name")),
        *(f"session__{name}" for name in _SESSION_TEAMS),
    )


def _transcripts() -> models.QuerySet[Transcript]:
    return Transcript.objects.select_related("material__session__programme").prefetch_related(
        Prefetch("material__session__tags", queryset=Tag.objects.order_by("name")),
        *(f"material__session__{name}" for name in _SESSION_TEAMS),
    )


def _ideas() -> models.QuerySet[Idea]:
    return Idea.objects.select_related("session__programme", "area").prefetch_related(
        Prefetch("session__tags", queryset=Tag.objects.order_by("name")),
        *(f"session__{name}" for name in _SESSION_TEAMS),
    )


def _people() -> models.QuerySet[Person]:
    return (
        Person.objects.filter(is_active=True)
        .select_related("team")
        .prefetch_related(Prefetch("skills", queryset=Skill.objects.select_related("tag")))
    )


SOURCES: list[tuple[str, Callable[[], models.QuerySet], Callable[[models.Model], SearchDocument]]]
# Sessions last: a rebuilt index gives them the highest ids, and when a common word has more
# matches than are ranked, the newest ids are the ones ranked (see the backends).
SOURCES = [
    (Kind.PERSON, _people, person_document),  # type: ignore[list-item]
    (Kind.IDEA, _ideas, idea_document),  # type: ignore[list-item]
    (Kind.TRANSCRIPT, _transcripts, transcript_document),  # type: ignore[list-item]
    (Kind.MATERIAL, _materials, material_document),  # type: ignore[list-item]
    (Kind.SESSION, _sessions, session_document),  # type: ignore[list-item]
]


# --- writes ---------------------------------------------------------------------------------


def _write(documents: list[SearchDocument]) -> None:
    """Insert or replace documents (by kind and object id)."""
    if not documents:
        return
    for kind in {d.kind for d in documents}:
        ids = [d.object_id for d in documents if d.kind == kind]
        SearchDocument.objects.filter(kind=kind, object_id__in=ids).delete()
    SearchDocument.objects.bulk_create(documents, batch_size=CHUNK)


def search_remove(*, kind: str, object_id: int) -> None:
    SearchDocument.objects.filter(kind=kind, object_id=object_id).delete()


@transaction.atomic
def search_index_session(*, session_id: int) -> None:
    """The session's document and those of everything attached to it (they share its title,
    tags, date, programme and visibility)."""
    session = _sessions().filter(pk=session_id).first()
    if session is None:
        SearchDocument.objects.filter(session_id=session_id).delete()
        return
    documents = [session_document(session)]
    documents += [material_document(m) for m in _materials().filter(session_id=session_id)]
    documents += [
        transcript_document(t) for t in _transcripts().filter(material__session_id=session_id)
    ]
    documents += [idea_document(i) for i in _ideas().filter(session_id=session_id)]
    _write(documents)


@transaction.atomic
def search_index_material(*, material_id: int) -> None:
    material = _materials().filter(pk=material_id).first()
    if material is None:
        search_remove(kind=Kind.MATERIAL, object_id=material_id)
        return
    documents = [material_document(material)]
    transcript = _transcripts().filter(material_id=material_id).first()
    if transcript is not None:  # the transcript is titled after its material
        documents.append(transcript_document(transcript))
    _write(documents)


@transaction.atomic
def search_index_transcript(*, transcript_id: int) -> None:
    transcript = _transcripts().filter(pk=transcript_id).first()
    if transcript is None:
        search_remove(kind=Kind.TRANSCRIPT, object_id=transcript_id)
        return
    _write([transcript_document(transcript)])


@transaction.atomic
def search_index_idea(*, idea_id: int) -> None:
    idea = _ideas().filter(pk=idea_id).first()
    if idea is None:
        search_remove(kind=Kind.IDEA, object_id=idea_id)
        return
    _write([idea_document(idea)])


@transaction.atomic
def search_index_person(*, person_id: int) -> None:
    person = _people().filter(pk=person_id).first()
    if person is None:  # deleted or deactivated: no longer in the directory
        search_remove(kind=Kind.PERSON, object_id=person_id)
        return
    _write([person_document(person)])


@transaction.atomic
def search_update_programme(*, programme: Programme) -> None:
    """A programme's visibility or teams may have changed: rewrite the permission tokens (and
    the open flag) of its documents."""
    sessions = Session.objects.filter(programme_id=programme.pk).prefetch_related("teams")
    teams = list(programme.teams.all())
    for chunk in _chunks(sessions, CHUNK):
        tokens: dict[int, list[str]] = {}
        for session in chunk:
            session.programme = programme
            programme._prefetched_objects_cache = {"teams": teams}  # type: ignore[attr-defined]
            tokens[session.pk] = permission_tokens(session)
        documents = SearchDocument.objects.filter(session_id__in=tokens).only(
            "pk", "session_id", "is_open", "meta"
        )
        changed = []
        for document in documents:
            new = tokens[document.session_id or 0]
            kept = [t for t in document.meta.split() if t != RESTRICTED and not t.startswith("vis")]
            meta, is_open = " ".join(new + kept), not new
            if meta != document.meta or is_open != document.is_open:
                document.meta, document.is_open = meta, is_open
                changed.append(document)
        SearchDocument.objects.bulk_update(changed, ["is_open", "meta"], batch_size=CHUNK)


def _chunks[M: models.Model](queryset: models.QuerySet[M], size: int) -> Iterator[list[M]]:
    """Rows by primary key, ``size`` at a time (memory stays flat on any table size)."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:size])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


_BUILDERS: dict[str, tuple[Callable[[], models.QuerySet], Callable[[models.Model], SearchDocument]]]
_BUILDERS = {kind: (source, build) for kind, source, build in SOURCES}


@transaction.atomic
def search_index_bulk(*, kind: str, ids: Iterable[int]) -> int:
    """Index the ``kind`` rows with ``ids`` (written in bulk), ``CHUNK`` at a time; returns the
    number of documents written.

    The same documents as the one-row functions above and as ``search_reindex``: a session's
    materials, transcripts and ideas are rewritten with it, a material's transcript with it, and a
    row that is gone (or a deactivated person) loses its document. A large batch ends like a
    reindex, with the index settled (``_settle``)."""
    source, build = _BUILDERS[kind]
    wanted = sorted(set(ids))
    written = 0
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        rows = list(source().filter(pk__in=part).order_by("pk"))
        documents = [build(row) for row in rows]
        if kind == Kind.SESSION:
            documents += [material_document(m) for m in _materials().filter(session_id__in=part)]
            documents += [
                transcript_document(t) for t in _transcripts().filter(material__session_id__in=part)
            ]
            documents += [idea_document(i) for i in _ideas().filter(session_id__in=part)]
        elif kind == Kind.MATERIAL:
            documents += [
                transcript_document(t) for t in _transcripts().filter(material_id__in=part)
            ]
        gone = set(part) - {row.pk for row in rows}
        if gone:
            SearchDocument.objects.filter(kind=kind, object_id__in=gone).delete()
        _write(documents)
        written += len(documents)
    if len(wanted) >= CHUNK:
        _settle()
    return written


def search_reindex_count() -> int:
    return sum(source().count() for _, source, _ in SOURCES)


@transaction.atomic
def search_reindex(
    *, progress: Callable[[int, int], None] | None = None, chunk: int = CHUNK
) -> int:
    """Rebuild the whole index; returns the number of documents.

    ``progress(done, total)`` is called after every chunk. One transaction: searches see the old
    index until the new one is complete.
    """
    total = search_reindex_count()
    SearchDocument.objects.all().delete()
    done = 0
    if progress:
        progress(0, total)
    for _kind, source, build in SOURCES:
        for rows in _chunks(source(), chunk):
            SearchDocument.objects.bulk_create([build(row) for row in rows], batch_size=chunk)
            done += len(rows)
            if progress:
                progress(done, total)
    _settle()
    return done


def _settle() -> None:
    """After a bulk (re)index. SQLite: merge the FTS5 index's segments (rows written one by one
    leave many, and every search reads each; merged, a search costs a tenth less). PostgreSQL:
    move the GIN index's pending entries (up to 4 MB of new rows that every search would
    otherwise read one by one) into the index proper, and refresh the statistics the planner
    reads word frequencies from."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT gin_clean_pending_list('search_document_vector'::regclass)")
            cursor.execute("ANALYZE search_document")
