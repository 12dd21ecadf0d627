"""Reads of people: the directory, a profile, and the sessions a profile shows."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from kshare.feedback.models import Answer, Question
from kshare.people.models import AccountInvite, Person, Skill, Team
from kshare.people.services import account_invite_token_hash
from kshare.sessions.models import Attendance, Session, SessionHost, State
from kshare.sessions.selectors import sessions_visible_to
from kshare.tags.models import Tag
from kshare.tags.services import tag_slug

PROFILE_SESSIONS = 20


def people_directory(*, query: str = "", team: Team | None = None) -> QuerySet[Person]:
    """Active people matching ``query`` (name, e-mail, team or skill), with team and skills."""
    people = Person.objects.filter(is_active=True)
    if team is not None:
        people = people.filter(team=team)
    for word in query.split()[:5]:
        # Each word must match something, so "anna python" finds Anna who knows Python.
        people = people.filter(
            Q(display_name__icontains=word)
            | Q(email__icontains=word)
            | Q(team__name__icontains=word)
            | Exists(Skill.objects.filter(person=OuterRef("pk"), tag__name__icontains=word))
        )
    return people.select_related("team").prefetch_related(
        Prefetch(
            "skills", queryset=Skill.objects.select_related("tag").order_by("-level", "tag__name")
        )
    )


def person_profile(*, pk: int) -> Person | None:
    """An active person with team, interests and skills loaded, or ``None``."""
    return (
        Person.objects.filter(pk=pk, is_active=True)
        .select_related("team")
        .prefetch_related(
            "interests",
            Prefetch(
                "skills",
                queryset=Skill.objects.select_related("tag").order_by("-level", "tag__name"),
            ),
        )
        .first()
    )


def _profile_sessions(sessions: QuerySet[Session]) -> QuerySet[Session]:
    return (
        sessions.exclude(state=State.CANCELLED)
        .select_related("programme")
        .order_by(F("start").desc(nulls_first=True), "-id")
    )


def person_sessions_hosted(*, viewer: Person, person: Person) -> QuerySet[Session]:
    """Sessions ``person`` hosts or co-hosts that ``viewer`` may see, newest first."""
    return _profile_sessions(
        sessions_visible_to(person=viewer).filter(
            Exists(SessionHost.objects.filter(session=OuterRef("pk"), person=person))
        )
    )


def person_sessions_attended(*, viewer: Person, person: Person) -> QuerySet[Session]:
    """Sessions ``person`` attended that ``viewer`` may see, newest first."""
    return _profile_sessions(
        sessions_visible_to(person=viewer).filter(
            Exists(Attendance.objects.filter(session=OuterRef("pk"), person=person))
        )
    )


def account_invite_for_token(*, token: str) -> AccountInvite | None:
    return (
        AccountInvite.objects.select_related("team", "invited_by")
        .filter(token_hash=account_invite_token_hash(token))
        .first()
    )


# -- the expertise directory ("who knows Kubernetes?") ------------------------------------

COMMON_SKILLS = 24
SESSIONS_SHOWN = 3


def skill_tag_find(text: str) -> Tag | None:
    """The tag called ``text`` (any case), or whose slug ``text`` is."""
    if not text:
        return None
    return (
        Tag.objects.filter(Q(slug=tag_slug(text)) | Q(slug=text) | Q(name__iexact=text))
        .order_by("name", "pk")
        .first()
    )


def experts_for(*, viewer: Person, tag: Tag) -> QuerySet[Skill]:
    """Active people with the skill, best first: declared level, then held sessions they hosted
    on it (only sessions ``viewer`` may see count), then the mean overall feedback rating of
    those sessions (people without rated sessions last), then name."""
    held_on_tag = sessions_visible_to(person=viewer).filter(state=State.HELD, tags=tag)
    held = (
        SessionHost.objects.filter(person_id=OuterRef("person_id"), session__in=held_on_tag)
        .order_by()
        .values("person_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # Overall ratings (question purpose "overall", any form version) of the sessions counted above.
    rating = (
        Answer.objects.filter(
            question__purpose=Question.Purpose.OVERALL,
            number__isnull=False,
            response__session__in=held_on_tag,
            response__session__host_links__person_id=OuterRef("person_id"),
        )
        .order_by()
        .values("question__purpose")
        .annotate(mean=Avg("number"), n=Count("pk"))
    )
    return (
        Skill.objects.filter(tag=tag, person__is_active=True)
        .select_related("person__team")
        .annotate(
            n_held=Coalesce(Subquery(held, output_field=IntegerField()), Value(0)),
            rating_mean=Subquery(rating.values("mean"), output_field=FloatField()),
            rating_count=Coalesce(
                Subquery(rating.values("n"), output_field=IntegerField()), Value(0)
            ),
        )
        .order_by(
            "-level",
            "-n_held",
            F("rating_mean").desc(nulls_last=True),
            "person__display_name",
            "person_id",
        )
    )


def expert_sessions_by_host(
    *, viewer: Person, tag: Tag, person_ids: list[int]
) -> dict[int, list[Session]]:
    """A few held sessions on ``tag`` per host, newest first, in one query."""
    links = (
        SessionHost.objects.filter(
            person_id__in=person_ids,
            session__in=sessions_visible_to(person=viewer).filter(state=State.HELD, tags=tag),
        )
        .select_related("session")
        .order_by("-session__start", "-session_id")
    )
    found: dict[int, list[Session]] = defaultdict(list)
    for link in links:
        if len(found[link.person_id]) < SESSIONS_SHOWN:
            found[link.person_id].append(link.session)
    return found


def skills_most_common() -> list[Tag]:
    return list(
        Tag.objects.annotate(n_people=Count("skills", filter=Q(skills__person__is_active=True)))
        .filter(n_people__gt=0)
        .order_by("-n_people", "name")[:COMMON_SKILLS]
    )
