"""Reads of session materials, with the session's visibility applied."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from kshare.library import sniff
from kshare.library.models import Cue, Material
from kshare.library.transcripts import cue_plain
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


# A search hit in a transcript leads to the first cue that says one of the query's words: the
# candidates are the first few cues per transcript containing a word (SQL, one statement), the
# word-boundary check is done here (the same on both databases).
CUE_CANDIDATES = 20


@dataclass(frozen=True)
class CueHit:
    cue_id: int
    start_ms: int | None


def _singular(word: str) -> str:
    # "metrics" in the query finds the cue saying "metric" (search stems; this is the cheap part).
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _word_patterns(words: Sequence[str], prefixes: Sequence[str]) -> tuple[re.Pattern, re.Pattern]:
    """(whole words, allowing a plural ending; word starts) for the query's words."""
    exact = [re.escape(_singular(word)) for word in words if word not in prefixes]
    starts = [re.escape(word) for word in (*words, *prefixes)]
    never = r"(?!x)x"
    whole = rf"(?<![^\W_])(?:{'|'.join(exact) or never})(?:s|es)?(?![^\W_])"
    start = rf"(?<![^\W_])(?:{'|'.join(starts) or never})"
    return re.compile(whole, re.IGNORECASE), re.compile(start, re.IGNORECASE)


def first_cues_saying(
    *, transcript_ids: Sequence[int], words: Sequence[str], prefixes: Sequence[str] = ()
) -> dict[int, CueHit]:
    """Per transcript, its first cue that says one of ``words`` (or a word starting with one of
    ``prefixes``): a whole word first, else the start of a word. One query for all transcripts;
    transcripts with no such cue are left out. The caller has checked the transcripts are
    visible (they come from a permission-aware search)."""
    needles = sorted({_singular(word.lower()) for word in words if word} | set(prefixes))
    if not transcript_ids or not needles:
        return {}
    says = Q()
    for needle in needles:
        says |= Q(text__icontains=needle)
    rows = (
        Cue.objects.filter(says, transcript_id__in=set(transcript_ids))
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("transcript_id")], order_by=F("position").asc()
            )
        )
        .filter(rank__lte=CUE_CANDIDATES)
        .order_by("transcript_id", "position")
        .values_list("transcript_id", "pk", "start_ms", "text")
    )
    whole, start = _word_patterns(words, prefixes)
    found: dict[int, CueHit] = {}
    fallback: dict[int, CueHit] = {}
    for transcript_id, cue_id, start_ms, text in rows:
        if transcript_id in found:
            continue
        plain = cue_plain(text)
        if whole.search(plain):
            found[transcript_id] = CueHit(cue_id, start_ms)
        elif transcript_id not in fallback and start.search(plain):
            fallback[transcript_id] = CueHit(cue_id, start_ms)
    return {**fallback, **found}
