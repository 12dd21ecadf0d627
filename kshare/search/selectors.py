"""Search: one function, two database implementations (``kshare.search.backends``).

Permissions are part of the query: every document carries permission tokens derived from its
session and programme by the one visibility rule (``kshare.visibility.rules.search_tokens``),
and the query asks for the tokens that the same rule grants the person (``search_access``), so
nothing from an invite-only session ever leaves the database for someone who may not see it.
(Evaluating ``sessions_visible_to`` itself per search costs tens of milliseconds for a person
whose team sees thousands of sessions; the tokens cost nothing per session.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import ModuleType

from django.db import connection
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kshare.library.selectors import first_cues_saying
from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.search.backends import Access, Filters, clamp_page, postgres, sqlite_fts5
from kshare.search.models import Kind
from kshare.search.query import ParsedQuery, parse
from kshare.search.services import MARK_END, MARK_START
from kshare.tags.models import Tag
from kshare.visibility import rules

PER_PAGE = 20
MAX_PER_PAGE = 100
# Counting stops here ("more than 1,000 results"): counting every match of a common word would
# cost more than finding the best page of them.
MAX_COUNT = 1_000


@dataclass(frozen=True)
class SearchHit:
    kind: str
    object_id: int
    session_id: int | None
    session_title: str | None
    date: datetime | None
    title_html: SafeString
    snippet_html: SafeString
    score: float
    # A transcript hit: the first cue saying one of the query's words (``library.selectors``).
    cue_id: int | None = None
    cue_start_ms: int | None = None

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)  # in the active language

    @property
    def url(self) -> str:
        if self.kind == Kind.SESSION:
            return reverse("sessions:detail", args=[self.object_id])
        if self.kind == Kind.IDEA:
            return reverse("ideas:detail", args=[self.object_id])
        if self.kind == Kind.PERSON:
            return reverse("people:profile", args=[self.object_id])
        session_url = reverse("sessions:detail", args=[self.session_id])
        if self.kind == Kind.TRANSCRIPT and self.cue_id is not None:
            # The player starts there (transcript.js; "t" for people who share the address).
            seconds = (self.cue_start_ms or 0) // 1000
            return f"{session_url}?t={seconds}#cue-{self.cue_id}"
        anchor = "material" if self.kind == Kind.MATERIAL else "transcript"
        return f"{session_url}#{anchor}-{self.object_id}"


@dataclass(frozen=True)
class SearchPage:
    query: str
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def more(self) -> bool:
        """More matches than were counted: ``total`` is a lower bound."""
        return self.total > MAX_COUNT

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(min(self.total, MAX_COUNT) / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def previous_page(self) -> int:
        return self.page - 1

    @property
    def next_page(self) -> int:
        return self.page + 1

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.hits else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.hits)


def marked_html(text: str | None) -> SafeString:
    """Escape ``text``, then turn the highlight markers into ``<mark>`` elements."""
    escaped = str(escape(text or ""))
    opened = escaped.count(MARK_START)
    closed = escaped.count(MARK_END)
    html = escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    return mark_safe(html + "</mark>" * max(0, opened - closed))  # noqa: S308 - escaped above


def _backend() -> ModuleType:
    return postgres if connection.vendor == "postgresql" else sqlite_fts5


def search_access(*, person: Person) -> Access | None:
    """The permission part of a search: ``None`` when ``person`` sees everything (admins).

    The rule is ``kshare.visibility.rules.SESSION_RULE``: documents carry its tokens
    (``rules.search_tokens``) and the person's grants are their team and the personal links
    ``rules.search_grants`` reads in one statement (generated from the same rule).
    """
    if person.is_admin:
        return None
    session_ids, programme_ids = rules.search_grants(person=person)
    return Access(team_id=person.team_id, session_ids=session_ids, programme_ids=programme_ids)


def search(
    *,
    person: Person,
    query: str,
    kind: str | None = None,
    tag: Tag | str | None = None,
    programme: Programme | int | None = None,
    after: datetime | None = None,
    before: datetime | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> SearchPage:
    """One page of what ``person`` may see matching ``query``, best first.

    ``query`` is user input of any shape (see ``kshare.search.query``); ``after``/``before``
    bound the document's date (session start, idea creation), ``before`` excluded. Two queries
    (three with a tag): the grants of ``person`` (``search_access``), then the total (counted up
    to ``MAX_COUNT``) and the page (``page`` is clamped to the last one) — one statement on
    PostgreSQL, two on SQLite.
    """
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    parsed = parse(query)
    empty = SearchPage(query=query, per_page=per_page)
    if not parsed or not person.is_authenticated or not person.is_active:
        return empty
    tag_id: int | None = None
    if tag:
        tag_id = (
            Tag.objects.filter(slug=tag.slug if isinstance(tag, Tag) else tag)
            .values_list("pk", flat=True)
            .first()
        )
        if tag_id is None:
            return empty
    filters = Filters(
        access=search_access(person=person),
        kind=kind or None,
        tag_id=tag_id,
        programme_id=programme.pk if isinstance(programme, Programme) else programme,
        after=after,
        before=before,
    )
    backend = _backend()
    match = backend.expression(parsed, filters)
    with connection.cursor() as cursor:
        total, rows = backend.search(
            cursor,
            match=match,
            filters=filters,
            cap=MAX_COUNT + 1,
            max_count=MAX_COUNT,
            per_page=per_page,
            page=page,
        )
    if total == 0:
        return empty
    page = clamp_page(page, total=total, max_count=MAX_COUNT, per_page=per_page)
    hits = [
        SearchHit(
            kind=kind_,
            object_id=object_id,
            session_id=session_id,
            session_title=session_title,
            date=_aware(date),
            title_html=marked_html(title),
            snippet_html=marked_html(snippet),
            score=float(score),
        )
        for (
            _id,
            kind_,
            object_id,
            session_id,
            date,
            title,
            snippet,
            score,
            session_title,
        ) in rows
    ]
    hits = _with_cues(hits, parsed)
    return SearchPage(query=query, hits=hits, total=total, page=page, per_page=per_page)


def _with_cues(hits: list[SearchHit], parsed: ParsedQuery) -> list[SearchHit]:
    """Transcript hits with the cue that says a query word (one query for the whole page)."""
    transcript_ids = [hit.object_id for hit in hits if hit.kind == Kind.TRANSCRIPT]
    if not transcript_ids:
        return hits
    terms = [term for group in parsed.groups for term in group if not term.negated]
    cues = first_cues_saying(
        transcript_ids=transcript_ids,
        words=[word for term in terms for word in term.words],
        prefixes=[term.words[-1] for term in terms if term.prefix],
    )
    return [
        replace(hit, cue_id=cue.cue_id, cue_start_ms=cue.start_ms)
        if hit.kind == Kind.TRANSCRIPT and (cue := cues.get(hit.object_id)) is not None
        else hit
        for hit in hits
    ]


def _aware(value) -> datetime | None:
    """Raw SQL returns SQLite dates as text; the ORM's converters are not in the way here."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
