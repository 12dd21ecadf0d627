"""A small organisation in which one person (and someone else) left a trace in every app that
holds personal data: the export and erasure tests read and delete from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from kshare.api.models import ApiToken
from kshare.audit.models import AuditEntry
from kshare.calendars.models import CalendarFeed
from kshare.feedback.models import Answer, HostAnswerHeld, ProspectiveHost
from kshare.feedback.tests.factories import FeedbackRequestFactory, ResponseFactory
from kshare.ideas.models import IdeaStatusChange
from kshare.ideas.tests.factories import IdeaCommentFactory, IdeaFactory, IdeaVoteFactory
from kshare.library.models import CatchUpSignal, CatchUpSubscription
from kshare.library.tests.factories import LinkMaterialFactory, RecordingMaterialFactory
from kshare.outbox.tests.factories import OutboxMessageFactory
from kshare.people import throttle
from kshare.people.models import AccountInvite, AuthAttempt, Person
from kshare.people.tests.factories import AccountInviteFactory, SkillFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.questions.models import QuestionVote
from kshare.questions.tests.factories import QuestionFactory
from kshare.recommend.models import Recommendation
from kshare.scheduling.reminders.models import OrganiserDigest
from kshare.scheduling.rhythm.models import RhythmEvent
from kshare.sessions.models import AttendanceChange, Invitation, SessionChange, SessionHost, Star
from kshare.sessions.tests.factories import (
    AttendanceFactory,
    InvitationFactory,
    PastSessionFactory,
    ScheduledSessionFactory,
    SessionFactory,
)
from kshare.tags.tests.factories import TagFactory
from kshare.topics.tests.factories import (
    TopicNotificationFactory,
    TopicRequestFactory,
    TopicVolunteerFactory,
    TopicVoteFactory,
)
from kshare.webhooks.models import Webhook


@dataclass
class World:
    subject: Person
    other: Person
    hosted: object  # a held session the subject hosted, the other co-hosting
    cohosted: object  # a held session the other hosted, the subject co-hosting
    upcoming: object  # capacity 1: the subject holds the seat, the other waits
    anonymous_session: object
    anonymous_response: object
    named_response: object


def _trace(person: Person, *, mark: str, other: Person) -> None:
    """Rows that belong to ``person`` alone, with ``mark`` in every text."""
    SkillFactory(person=person, tag=TagFactory(name=f"skill-{mark}"))
    person.interests.add(TagFactory(name=f"interest-{mark}"))
    IdeaFactory(author=person, title=f"Idea by {mark}")
    TopicRequestFactory(requester=person, title=f"Topic by {mark}")
    ApiToken.objects.create(
        person=person, name=f"token-{mark}", prefix=f"ksh_{mark}"[:12], token_hash=f"{mark:0>64}"
    )
    CalendarFeed.objects.create(person=person)
    OutboxMessageFactory(to=[person.email], subject=f"Mail for {mark}")
    AuditEntry.objects.create(
        actor=person,
        actor_label=f"{person.display_name} <{person.email}>",
        action=AuditEntry.Action.UPDATE,
        target_type="programmes.programme",
        target_id="1",
        target_label=f"Programme edited by {mark}",
        address="192.0.2.7",
    )
    RhythmEvent.objects.create(
        name=f"Rhythm by {mark}",
        rrule="FREQ=WEEKLY",
        starts=timezone.now(),
        created_by=person,
    )


def world_build() -> World:
    from kshare.people.tests.factories import PersonFactory

    subject = PersonFactory(email="subject@example.com", display_name="Sam Subject", bio="Hi")
    other = PersonFactory(email="other@example.com", display_name="Otto Other")
    AccountInviteFactory(
        email=subject.email,
        person=subject,
        invited_by=other,
        accepted_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=1),
    )
    _trace(subject, mark="subject", other=other)
    _trace(other, mark="other", other=subject)

    named = ProgrammeFactory(name="Named programme")
    named.organisers.add(subject)
    anonymous = ProgrammeFactory(name="Anonymous programme", feedback_anonymous=True)

    hosted = PastSessionFactory(programme=named, title="Hosted by subject", host=subject)
    SessionHost.objects.create(session=hosted, person=other, role=SessionHost.Role.COHOST)
    hosted.created_by = subject
    hosted.save()
    SessionChange.objects.create(session=hosted, kind=SessionChange.Kind.HELD, by=subject)
    cohosted = PastSessionFactory(programme=named, title="Hosted by other", host=other)
    SessionHost.objects.create(session=cohosted, person=subject, role=SessionHost.Role.COHOST)
    upcoming = ScheduledSessionFactory(programme=named, title="Upcoming", host=other, capacity=1)
    drafted = SessionFactory(programme=named, title="Drafted for other", host=other)
    drafted.proposed_by = subject
    drafted.save()
    InvitationFactory(
        session=upcoming,
        person=subject,
        response=Invitation.Response.YES,
        invited_by=other,
    )
    InvitationFactory(
        session=upcoming,
        person=other,
        response=Invitation.Response.YES,
        waitlisted_at=timezone.now(),
        invited_by=subject,
    )
    InvitationFactory(session=cohosted, person=other, invited_by=subject)
    Star.objects.create(session=cohosted, person=subject)
    Star.objects.create(session=hosted, person=other)
    AttendanceFactory(session=cohosted, person=subject)
    AttendanceFactory(session=hosted, person=other)
    AttendanceChange.objects.create(
        session=cohosted, person=subject, action=AttendanceChange.Action.ADDED, by=other
    )
    AttendanceChange.objects.create(
        session=hosted, person=other, action=AttendanceChange.Action.ADDED, by=subject
    )

    others_idea = IdeaFactory(author=other, title="Others idea")
    IdeaCommentFactory(idea=others_idea, author=subject, body="Comment by subject")
    IdeaCommentFactory(idea=others_idea, author=other, body="Comment by other")
    IdeaVoteFactory(idea=others_idea, person=subject)
    IdeaStatusChange.objects.create(idea=others_idea, by=subject, to_status="planned")
    topic = TopicRequestFactory(requester=other, title="Others topic")
    TopicVoteFactory(request=topic, person=subject)
    TopicVolunteerFactory(request=topic, person=subject)
    TopicNotificationFactory(request=topic, person=subject, session=cohosted)
    question = QuestionFactory(session=cohosted, author=subject, text="Question by subject")
    others_question = QuestionFactory(session=cohosted, author=other, text="Question by other")
    QuestionVote.objects.create(question=others_question, person=subject)
    others_question.vote_count = 1
    others_question.save()
    QuestionVote.objects.create(question=question, person=other)

    named_request = FeedbackRequestFactory(session=cohosted, person=subject, answered=True)
    named_response = ResponseFactory(session=cohosted, respondent=subject)
    Answer.objects.create(
        response=named_response,
        question=named_request.form.questions.get(position=1),
        number=4,
    )
    anonymous_session = PastSessionFactory(programme=anonymous, title="Anonymous", host=other)
    FeedbackRequestFactory(session=anonymous_session, person=subject, answered=True)
    FeedbackRequestFactory(session=anonymous_session, person=other, answered=True)
    anonymous_response = ResponseFactory(session=anonymous_session, respondent=subject)
    ResponseFactory(session=anonymous_session, respondent=other)
    HostAnswerHeld.objects.create(
        session=anonymous_session, person=subject, answer="yes", topics="Held topic"
    )
    ProspectiveHost.objects.create(programme=named, person=subject, answer="maybe")
    ProspectiveHost.objects.create(programme=named, person=other, answer="yes")

    RecordingMaterialFactory(session=hosted, added_by=subject, title="Recording by subject")
    LinkMaterialFactory(session=hosted, added_by=other, title="Link by other")
    CatchUpSignal.objects.create(person=subject, session=cohosted, kind="watched")
    CatchUpSubscription.objects.create(person=subject, weekly_email=True)
    Recommendation.objects.create(
        person=subject, kind="session", rank=1, session=upcoming, score=0.5, reason="Because"
    )
    OrganiserDigest.objects.create(person=subject, day=timezone.localdate())
    Webhook.objects.create(
        url="https://hooks.example.com/subject", secret="whsec_x", events=[], created_by=subject
    )
    AuthAttempt.objects.create(
        action=AuthAttempt.Action.SIGN_IN,
        scope=AuthAttempt.Scope.ACCOUNT,
        key=throttle.throttle_key(throttle.Scope.ACCOUNT, subject.email),
    )
    LogEntry.objects.create(
        user=subject,
        content_type=ContentType.objects.get_for_model(Person),
        object_id=str(other.pk),
        object_repr=str(other),
        action_flag=CHANGE,
    )
    assert AccountInvite.objects.filter(person=subject).count() == 1
    return World(
        subject=subject,
        other=other,
        hosted=hosted,
        cohosted=cohosted,
        upcoming=upcoming,
        anonymous_session=anonymous_session,
        anonymous_response=anonymous_response,
        named_response=named_response,
    )
