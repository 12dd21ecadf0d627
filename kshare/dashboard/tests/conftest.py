from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import caches

from kshare.feedback.models import Answer, FeedbackForm, FeedbackRequest, Question, Response
from kshare.ideas.models import Idea, ProductArea
from kshare.library.models import CatchUpSignal, Material
from kshare.people.models import Role
from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.scheduling.rhythm.models import RhythmEvent, RhythmException
from kshare.sessions.models import (
    Attendance,
    Invitation,
    SessionChange,
    SessionHost,
    State,
)
from kshare.sessions.tests.factories import SessionFactory
from kshare.topics.models import TopicRequest

START, END = date(2026, 1, 1), date(2026, 3, 31)


def at(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _empty_cache():
    caches["dashboard"].clear()
    yield
    caches["dashboard"].clear()


class Org:
    """The small organisation every figure is checked against (see each test's arithmetic)."""


@pytest.fixture
def org(db) -> Org:
    o = Org()
    o.data = TeamFactory(name="Data", slug="data")
    o.web = TeamFactory(name="Web", slug="web")
    o.ana = PersonFactory(display_name="Ana", team=o.data)
    o.ben = PersonFactory(display_name="Ben", team=o.data)
    PersonFactory(display_name="Gone", team=o.data, is_active=False)
    o.cy = PersonFactory(display_name="Cy", team=o.web)
    o.dee = PersonFactory(display_name="Dee", team=o.web)
    o.fay = PersonFactory(display_name="Fay", team=o.web)
    o.eve = PersonFactory(display_name="Eve", team=None)
    o.olga = PersonFactory(display_name="Olga", team=None, role=Role.ORGANISER)
    o.talks = ProgrammeFactory(name="Tech talks", slug="tech-talks", lead_time_days=14)
    o.guild = ProgrammeFactory(name="Guild", slug="guild", lead_time_days=7)

    def session(programme, state, start, minutes, created, hosts):
        s = SessionFactory(
            programme=programme,
            state=state,
            start=start,
            end=start + timedelta(minutes=minutes) if start else None,
            created_at=created,
            host=False,
        )
        for i, person in enumerate(hosts):
            SessionHost.objects.create(
                session=s, person=person, role="host" if i == 0 else "cohost"
            )
        return s

    def change(s, kind, when):
        SessionChange.objects.create(session=s, kind=kind, at=when)

    sched, cancel = SessionChange.Kind.SCHEDULED, SessionChange.Kind.CANCELLED
    o.s1 = session(o.talks, State.HELD, at(1, 15), 60, at(12, 1, year=2025), [o.ana])
    change(o.s1, sched, at(12, 20, year=2025))
    o.s2 = session(o.talks, State.HELD, at(2, 10), 30, at(1, 5), [o.cy])
    change(o.s2, sched, at(2, 1))
    o.s3 = session(o.guild, State.HELD, at(3, 5), 120, at(1, 20), [o.ben, o.ana])
    change(o.s3, sched, at(2, 20))
    o.s4 = session(o.talks, State.CANCELLED, at(3, 20), 45, at(2, 15), [o.dee])
    change(o.s4, sched, at(2, 16))
    change(o.s4, cancel, at(3, 1))
    o.s5 = session(o.talks, State.PROPOSED, None, 0, at(3, 10), [o.eve])
    o.s6 = session(o.talks, State.HELD, at(11, 10, year=2025), 45, at(10, 1, year=2025), [o.ben])
    o.s7 = session(o.guild, State.HELD, at(4, 15), 45, at(3, 25), [o.dee])
    change(o.s7, sched, at(3, 26))

    for s, people in [
        (o.s1, [o.ben, o.cy, o.dee, o.eve]),
        (o.s2, [o.ana, o.dee]),
        (o.s3, [o.eve]),
        (o.s6, [o.cy]),
        (o.s7, [o.ana]),
    ]:
        for p in people:
            Attendance.objects.create(session=s, person=p)
    for s, people in [
        (o.s1, [o.ana, o.ben, o.cy, o.dee, o.eve, o.fay]),
        (o.s2, [o.ana, o.ben, o.dee]),
        (o.s3, [o.cy]),
    ]:
        for p in people:
            Invitation.objects.create(session=s, person=p)

    # Feedback: overall ratings S1 5 and 4, S2 3; requests S1 4, S2 2, S3 1.
    forms = {}
    for programme in (o.talks, o.guild):
        form = FeedbackForm.objects.create(programme=programme)
        forms[programme.pk] = (
            form,
            Question.objects.create(
                form=form, position=1, kind="rating", text="Overall?", purpose="overall"
            ),
        )
    for s, people in [
        (o.s1, [o.ben, o.cy, o.dee, o.eve]),
        (o.s2, [o.ana, o.dee]),
        (o.s3, [o.eve]),
        (o.s6, [o.cy]),
    ]:
        for p in people:
            FeedbackRequest.objects.create(
                session=s, person=p, form=forms[s.programme_id][0], closes_at=s.start
            )
    for s, person, rating in [(o.s1, o.ben, 5), (o.s1, o.cy, 4), (o.s2, o.ana, 3), (o.s6, o.cy, 1)]:
        form, question = forms[s.programme_id]
        response = Response.objects.create(
            session=s, form=form, person=person, respondent_hash=f"{s.pk}-{person.pk}"
        )
        Answer.objects.create(response=response, question=question, number=rating)

    # Idea -> S2 (40 d 10 h); topic requests -> S1 (41 d), S3 (10 d), S5 (not held).
    area = ProductArea.objects.create(name="Billing", slug="billing")
    Idea.objects.create(
        title="Idea", author=o.ana, area=area, promoted_session=o.s2, created_at=at(1, 1, 0)
    )
    for s, created in [(o.s1, at(12, 5, year=2025)), (o.s3, at(2, 23)), (o.s5, at(1, 2))]:
        TopicRequest.objects.create(title="Topic", requester=o.eve, session=s, created_at=created)

    # Rhythm: monthly all-hands (1 h, 1st of the month, March cancelled); Data's standup
    # twice in January (15 min each).
    allhands = RhythmEvent.objects.create(
        name="All-hands",
        rrule="FREQ=MONTHLY;BYMONTHDAY=1",
        starts=at(12, 1, 9, year=2025),
        duration_minutes=60,
        timezone="UTC",
    )
    RhythmException.objects.create(event=allhands, original_start=at(3, 1, 9), cancelled=True)
    RhythmEvent.objects.create(
        name="Data standup",
        rrule="FREQ=WEEKLY;COUNT=2",
        starts=at(1, 5, 9),
        duration_minutes=15,
        timezone="UTC",
        team=o.data,
    )

    # Catch-up: S1 has a recording, S2 slides, S3 nothing.
    Material.objects.create(
        session=o.s1, kind="recording", title="Recording", url="https://x.example/r"
    )
    Material.objects.create(session=o.s2, kind="slides", title="Slides", url="https://x.example/s")
    for s, person, kind in [
        (o.s1, o.fay, "watched"),
        (o.s1, o.cy, "watched"),
        (o.s1, o.ana, "not_interested"),
        (o.s2, o.ben, "watched"),
        (o.s3, o.eve, "watched"),
    ]:
        CatchUpSignal.objects.create(session=s, person=person, kind=kind)
    return o
