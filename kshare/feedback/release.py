"""When anonymous feedback becomes visible: in batches, so nobody can tell who said what.

An organiser who may read an anonymous programme's results could otherwise link a name to an
answer by watching *when* things change: export the CSV, wait for one new row, and see who
answered at that moment (a name appearing on the prospective-host list, a per-response webhook).
So in a programme with anonymous feedback:

- A response is stored ``released=False`` and read by nobody (results, exports, the API, the
  dashboard, webhooks all read ``Response.objects.released()``) until at least
  ``KSHARE_FEEDBACK_RELEASE_BATCH`` (default 3) responses of the session are held: then they
  are released together. Within a batch the order is a keyed hash (``results.shuffle_key``)
  and every anonymous response carries the day the form was sent, so the rows of a batch are
  indistinguishable by position or date.
- Once every feedback request of the session has closed, a smaller remainder is released if
  at least that many people could have written it, as far as an organiser can tell from the
  requests' dates and the counts (``_possible_authors``). Otherwise it stays held for good: a
  group of one or two would name them.
- A yes or maybe to hosting is the one answer that carries a name (the form says so). It is
  kept as a ``HostAnswerHeld`` and reaches the organiser's prospective-host list only after
  the session's forms have closed *and* a tick found nothing left to release, so the moment
  a name appears says nothing about when its person answered or which batch holds their
  answers.
- Webhooks of anonymous programmes get one ``feedback.received`` per released batch (with
  the counts), never one per response.

Every release is one ``UPDATE … WHERE released = false``: two workers releasing at once
release each response once, and only the one that changed rows announces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from kshare.feedback import signals
from kshare.feedback.models import (
    FeedbackRelease,
    FeedbackRequest,
    HostAnswerHeld,
    Response,
)
from kshare.feedback.prospects import prospective_host_record
from kshare.feedback.results import overall_ratings_changed
from kshare.sessions.models import Session


@dataclass(frozen=True)
class ReleaseResult:
    batches: int
    responses: int
    hosts: int


def release_batch_size() -> int:
    return settings.KSHARE_FEEDBACK_RELEASE_BATCH


def _release(session_id: int, *, now: datetime, final: bool = False, announce: bool = True) -> int:
    """Release every held response of the session; announce the batch after commit.

    ``final`` records the decision taken once the session's forms had closed, even when it
    releases nothing (the held host answers wait for it).
    """
    with transaction.atomic():
        released = Response.objects.filter(session_id=session_id, released=False).update(
            released=True
        )
        if released:
            overall_ratings_changed()
        if released or final:
            FeedbackRelease.objects.create(
                session_id=session_id, released_at=now, responses=released, final=final
            )
    if not released or not announce:
        return released
    transaction.on_commit(
        lambda: signals.feedback_released.send_robust(
            Response, session_id=session_id, released=released
        ),
        robust=True,
    )
    return released


def feedback_release_if_batch(
    *, session_id: int, now: datetime | None = None, announce: bool = True
) -> int:
    """Release the session's held responses when a whole batch is waiting; returns how many.

    ``announce=False`` (the bulk path, ``feedback.bulk``) releases without ``feedback_released``.
    """
    held = Response.objects.filter(session_id=session_id, released=False).count()
    if held < release_batch_size():
        return 0
    return _release(session_id, now=now or timezone.now(), announce=announce)


Window = tuple[datetime | None, datetime | None]  # (after, until); None is unbounded


def _overlaps(a: Window, b: Window) -> bool:
    start = max((t for t in (a[0], b[0]) if t is not None), default=None)
    end = min((t for t in (a[1], b[1]) if t is not None), default=None)
    return start is None or end is None or start < end


def possible_authors(
    *, people: list[Window], batches: list[tuple[Window, int]], held: int, need: int
) -> int:
    """How many people could have written the held responses, up to ``need``.

    ``people`` are the feedback requests as (sent, closes) windows, ``batches`` the released
    batches as ((previous release, this release), responses) and the held responses were
    submitted after the last release. Someone could be an author of the held ones when the
    released batches can still be written by the others, one response each, each within a
    window the writer's form was open — which is what an organiser who knows every date and
    count can work out, and no more. (A late attendee asked after everyone else's answers
    were released is then the only possible author: with fewer than ``need`` such people
    the held responses would name them.)
    """
    last = max((w[1] for w, _ in batches if w[1] is not None), default=None)
    held_window: Window = (last, None)
    slots = [(w, n) for w, n in batches if n] + [(held_window, held)]
    eligible = [[i for i, p in enumerate(people) if _overlaps(p, w)] for w, _ in slots]

    def feasible(author: int) -> bool:
        # Bipartite matching of response slots to people, with ``author`` fixed to a held one.
        owner: dict[int, int] = {author: len(slots) - 1}
        counts = [0] * len(slots)
        counts[-1] = 1

        def place(slot: int, seen: set[int]) -> bool:
            for person in eligible[slot]:
                if person in seen or person == author:
                    continue
                seen.add(person)
                other = owner.get(person)
                if other is None or place(other, seen):
                    owner[person] = slot
                    return True
            return False

        for slot, (_, n) in enumerate(slots):
            while counts[slot] < n:
                if not place(slot, set()):
                    return False
                counts[slot] += 1
        return True

    found = 0
    for person in eligible[-1]:
        if feasible(person):
            found += 1
            if found >= need:
                break
    return found


def _possible_authors(session_id: int, *, need: int) -> int:
    people: list[Window] = list(
        FeedbackRequest.objects.filter(session_id=session_id)
        .order_by("pk")
        .values_list("sent_at", "closes_at")
    )
    batches: list[tuple[Window, int]] = []
    previous = None
    for at, count in (
        FeedbackRelease.objects.filter(session_id=session_id, responses__gt=0)
        .order_by("released_at", "pk")
        .values_list("released_at", "responses")
    ):
        batches.append(((previous, at), count))
        previous = at
    held = Response.objects.filter(session_id=session_id, released=False).count()
    return possible_authors(people=people, batches=batches, held=held, need=need)


def feedback_release_due(*, now: datetime | None = None) -> ReleaseResult:
    """The periodic part, in this order:

    1. held host answers of sessions whose closing decision an *earlier* call took (so a name
       never appears in the same step as the last responses of its session);
    2. the closing decision for sessions whose forms have all closed: release the held rest
       when enough people could have written it (``possible_authors``), else keep it held;
    3. whole batches that two answers submitted at once left held in sessions still open.
    """
    now = now or timezone.now()
    open_request = FeedbackRequest.objects.filter(session=OuterRef("pk"), closes_at__gt=now)
    held = Response.objects.filter(session=OuterRef("pk"), released=False)
    held_hosts = HostAnswerHeld.objects.filter(session=OuterRef("pk"))
    # A closing decision taken after the last of the session's forms closed.
    decided = FeedbackRelease.objects.filter(session=OuterRef("pk"), final=True).filter(
        ~Exists(
            FeedbackRequest.objects.filter(
                session=OuterRef("session"), closes_at__gt=OuterRef("released_at")
            )
        )
    )
    closed = Session.objects.filter(~Exists(open_request))

    hosts = 0
    ready = closed.filter(Exists(held_hosts), Exists(decided))
    for session in ready.select_related("programme").order_by("pk"):
        with transaction.atomic():
            for row in (
                HostAnswerHeld.objects.select_for_update()
                .filter(session=session)
                .select_related("person")
                .order_by("pk")
            ):
                prospective_host_record(
                    programme=session.programme,
                    person=row.person,
                    answer=row.answer,
                    topics=row.topics,
                    topic=row.topic,
                    source_session=session,
                )
                row.delete()
                hosts += 1

    batches = responses = 0
    size = release_batch_size()
    closing = closed.filter(Exists(held) | Exists(held_hosts)).filter(~Exists(decided))
    for session_id in closing.order_by("pk").values_list("pk", flat=True):
        releasable = _possible_authors(session_id, need=size) >= size
        count = _release(session_id, now=now, final=True) if releasable else 0
        if not releasable:
            FeedbackRelease.objects.create(
                session_id=session_id, released_at=now, responses=0, final=True
            )
        batches += 1 if count else 0
        responses += count

    for session_id in (
        Session.objects.filter(Exists(held), Exists(open_request))
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        count = feedback_release_if_batch(session_id=session_id, now=now)
        batches += 1 if count else 0
        responses += count
    return ReleaseResult(batches=batches, responses=responses, hosts=hosts)
