from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.utils import timezone

from kshare.demo import MEMBER_EMAIL, logins
from kshare.demo.content import FIRST_TALK_TITLE
from kshare.demo.generator import (
    DEFAULT_PROGRAMME,
    DemoError,
    demo_organisation_create,
    demo_session_count,
)
from kshare.feedback.models import Answer, FeedbackRequest, ProspectiveHost, Response
from kshare.people.models import Person, Role, Skill, Team
from kshare.programmes.models import Programme
from kshare.sessions.models import (
    DEFAULT_AGENDAS,
    Attendance,
    Invitation,
    Session,
    SessionChange,
    SessionHost,
    State,
    Visibility,
    format_minutes,
)
from kshare.tags.models import Tag

BERLIN = ZoneInfo("Europe/Berlin")
NOW = timezone.now().replace(microsecond=0)


def make_demo(people: int = 40, seed: int = 7):
    return demo_organisation_create(people=people, seed=seed, now=NOW)


def fingerprint() -> list[tuple]:
    """Everything the demo says, with dates relative to NOW, independent of primary keys."""
    rows = []
    sessions = Session.objects.select_related("programme").prefetch_related(
        "tags", "host_links__person", "invitations__person", "attendances__person"
    )
    for s in sessions:
        rows.append(
            (
                s.title,
                s.programme.name,
                s.state,
                s.format,
                s.visibility,
                tuple(sorted((h.person.email, h.role) for h in s.host_links.all())),
                tuple(sorted(t.name for t in s.tags.all())),
                s.start - NOW if s.start else None,
                tuple(sorted((i.person.email, i.response) for i in s.invitations.all())),
                tuple(sorted(a.person.email for a in s.attendances.all())),
            )
        )
    people = Person.objects.select_related("team").prefetch_related("skills__tag", "interests")
    for p in people:
        rows.append(
            (
                p.email,
                p.display_name,
                p.team.name,
                p.timezone,
                p.role,
                tuple(sorted((k.tag.name, k.level) for k in p.skills.all())),
                tuple(sorted(t.name for t in p.interests.all())),
            )
        )
    responses = Response.objects.select_related("session", "person").prefetch_related(
        "answers__question"
    )
    for r in responses:
        rows.append(
            (
                r.session.title,
                r.person.email,
                tuple(
                    sorted(
                        (a.question.position, a.number, a.text, tuple(a.selected))
                        for a in r.answers.all()
                    )
                ),
            )
        )
    return sorted(rows, key=repr)


def wipe() -> None:
    Session.objects.all().delete()
    Programme.objects.all().delete()
    Person.objects.all().delete()
    Team.objects.all().delete()
    Tag.objects.all().delete()


@pytest.mark.django_db
def test_demo_logins_sign_in_with_the_demo_password():
    make_demo()
    signed_in = []
    for email, password, role in logins():
        person = authenticate(email=email, password=password)
        signed_in.append((person.email, role, person.role, person.is_staff, person.is_superuser))
    assert signed_in == [
        ("admin@brightwater.example", "admin", Role.ADMIN, True, True),
        ("organiser@brightwater.example", "organiser", Role.ORGANISER, False, False),
        ("member@brightwater.example", "member", Role.MEMBER, False, False),
    ]
    organiser = Person.objects.get(email="organiser@brightwater.example")
    assert sorted(organiser.organised_programmes.values_list("name", flat=True)) == [
        "Data Guild",
        DEFAULT_PROGRAMME,
    ]


@pytest.mark.django_db
def test_every_person_shares_one_password_hash():
    make_demo()
    assert Person.objects.values("password").distinct().count() == 1


@pytest.mark.django_db
def test_first_talk_is_the_default_programmes_first_held_session_by_a_data_scientist():
    make_demo()
    first = (
        Session.objects.filter(programme__is_default=True, state=State.HELD)
        .order_by("start")
        .first()
    )
    assert first.title == FIRST_TALK_TITLE
    assert first.programme.name == DEFAULT_PROGRAMME
    host = first.host_links.get(role=SessionHost.Role.HOST).person
    assert host.team.name == "Data Science"
    earlier = Session.objects.filter(programme=first.programme, start__lt=first.start)
    assert earlier.count() == 0
    attended = first.attendances.count()
    assert attended >= 20, attended  # "well attended": most of its ~37 invitees came
    assert first.attendances.filter(person__email=MEMBER_EMAIL).count() == 1


@pytest.mark.django_db
def test_member_hosts_an_upcoming_and_a_proposed_session_and_attended_past_ones():
    make_demo()
    member = Person.objects.get(email=MEMBER_EMAIL)
    hosted = Session.objects.filter(host_links__person=member, host_links__role="host")
    upcoming = hosted.filter(state=State.SCHEDULED, start__gt=NOW).count()
    assert (upcoming >= 1, hosted.filter(state=State.PROPOSED).count() >= 1) == (True, True)
    attended_held = Attendance.objects.filter(person=member, session__state=State.HELD).count()
    assert attended_held >= 2, attended_held


@pytest.mark.django_db
def test_same_seed_gives_the_same_organisation():
    make_demo(seed=7)
    first = fingerprint()
    wipe()
    make_demo(seed=7)
    assert fingerprint() == first


@pytest.mark.django_db
def test_a_different_seed_gives_a_different_organisation():
    make_demo(seed=7)
    first = fingerprint()
    wipe()
    make_demo(seed=8)
    second = fingerprint()
    assert len(set(first) & set(second)) < len(first) // 2


@pytest.mark.django_db
def test_state_mix_follows_the_plan():
    summary = make_demo(people=60, seed=1)
    states = Counter(Session.objects.values_list("state", flat=True))
    assert demo_session_count(60) == 42
    assert summary.sessions == 42
    assert dict(states) == {
        State.HELD: 17,
        State.CANCELLED: 4,
        State.PROPOSED: 8,
        State.SCHEDULED: 13,
    }
    visibilities = Counter(Session.objects.values_list("visibility", flat=True))
    assert visibilities[Visibility.TEAMS] >= 2, visibilities
    assert visibilities[Visibility.INVITE_ONLY] >= 2, visibilities


@pytest.mark.django_db
def test_sessions_keep_the_service_invariants():
    make_demo()
    sessions = Session.objects.prefetch_related("host_links", "agenda", "changes", "invitations")
    problems = []
    for s in sessions:
        s.full_clean()
        hosts = [h.role for h in s.host_links.all()].count(SessionHost.Role.HOST)
        agenda = [(a.title, a.minutes, a.is_discussion) for a in s.agenda.all()]
        kinds = [c.kind for c in s.changes.all()]
        going = [i.response for i in s.invitations.all()].count(Invitation.Response.YES)
        if hosts != 1:
            problems.append((s.title, "hosts", hosts))
        if agenda != list(DEFAULT_AGENDAS[s.format]):
            problems.append((s.title, "agenda", agenda))
        if s.state != State.PROPOSED and s.end - s.start != timedelta(
            minutes=format_minutes(s.format)
        ):
            problems.append((s.title, "length", s.end - s.start))
        if s.capacity is not None and going > s.capacity:
            problems.append((s.title, "capacity", going))
        expected = {
            State.PROPOSED: [["created"]],
            State.SCHEDULED: [["created", "scheduled"], ["created", "scheduled", "rescheduled"]],
            State.HELD: [["created", "scheduled", "held"]],
            State.CANCELLED: [["created", "scheduled", "cancelled"]],
        }[s.state]
        if kinds not in expected:
            problems.append((s.title, "history", kinds))
        if s.state == State.HELD and s.end >= NOW:
            problems.append((s.title, "held in the future", s.start))
        if max(c.at for c in s.changes.all()) > NOW:
            problems.append((s.title, "history in the future", kinds))
    assert problems == []
    assert Invitation.objects.filter(session__state=State.PROPOSED).count() == 0
    assert Attendance.objects.exclude(session__state=State.HELD).count() == 0
    assert (
        SessionChange.objects.filter(session__state=State.PROPOSED).exclude(kind="created").count()
        == 0
    )
    for person in Person.objects.all():
        person.full_clean()
    assert Skill.objects.filter(level__in=[1, 2, 3]).count() == Skill.objects.count()


@pytest.mark.django_db
def test_upcoming_sessions_fit_the_working_day_and_avoid_rhythm_events():
    make_demo(people=60, seed=3)
    upcoming = Session.objects.filter(start__gt=NOW)
    problems = []
    for s in upcoming:
        start, end = s.start.astimezone(BERLIN), s.end.astimezone(BERLIN)
        day = start.date()

        def overlaps(a: time, b: time, day=day, start=start, end=end) -> bool:
            lo = datetime.combine(day, a, tzinfo=BERLIN)
            hi = datetime.combine(day, b, tzinfo=BERLIN)
            return start < hi and end > lo

        if start.weekday() >= 5:
            problems.append((s.title, "weekend", start))
        if start.time() < time(10) or end.time() > time(17) or end.date() != day:
            problems.append((s.title, "outside 10-17", start, end))
        if start.weekday() == 0 and overlaps(time(9, 30), time(10)):
            problems.append((s.title, "Monday huddle", start))
        if start.weekday() == 4 and start.day <= 7 and overlaps(time(16), time(17)):
            problems.append((s.title, "Figure Friday", start))
        if s.start > NOW + timedelta(weeks=8, days=1):
            problems.append((s.title, "beyond eight weeks", start))
    assert problems == []
    assert upcoming.filter(state=State.SCHEDULED).count() >= 10


@pytest.mark.django_db
def test_held_sessions_have_feedback_that_feeds_the_host_pipeline():
    make_demo()
    attended = {
        (a.session_id, a.person_id) for a in Attendance.objects.filter(session__state=State.HELD)
    } - set(SessionHost.objects.values_list("session_id", "person_id"))
    requests = FeedbackRequest.objects.all()
    assert {(r.session_id, r.person_id) for r in requests} == attended
    answered = {(r.session_id, r.person_id) for r in requests if r.answered}
    assert {(r.session_id, r.person_id) for r in Response.objects.all()} == answered
    assert 0.4 < len(answered) / len(attended) < 0.8
    overall = Answer.objects.filter(question__purpose="overall")
    assert overall.count() == len(answered)
    assert set(overall.values_list("number", flat=True)) <= {1, 2, 3, 4, 5}
    said_yes = {
        (a.response.session.programme_id, a.response.person_id)
        for a in Answer.objects.filter(question__purpose="host_interest").select_related(
            "response__session"
        )
        if a.selected != ["No"]
    }
    assert set(ProspectiveHost.objects.values_list("programme_id", "person_id")) == said_yes
    assert len(said_yes) >= 1


@pytest.mark.django_db
def test_the_generator_refuses_a_database_with_people():
    make_demo(people=10, seed=1)
    with pytest.raises(DemoError) as error:
        make_demo(people=10, seed=1)
    assert str(error.value) == (
        "The database already has people; the demo organisation goes into an empty database."
    )
