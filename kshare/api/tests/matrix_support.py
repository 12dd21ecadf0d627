"""A small organisation for the schemathesis run and the permission matrix.

One public programme organised by ``organiser``, and for each visibility (public, team-only for
team Red, invite-only) an upcoming scheduled session and a held one, all hosted by ``host``.
``invitee`` (team Blue) is invited to all six and attended the held ones; ``member`` (team Blue)
is invited to none; ``teammate`` is in team Red. Hanging from every session: an idea and a
material; from every held session: an open feedback request for the invitee, one response and
an attendance row. Plus a proposed and a cancelled session, an area idea and a topic request, so
every kind of object the API lists exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from kshare.api.tests.helpers import token_create
from kshare.feedback.tests.factories import FeedbackRequestFactory, ResponseFactory
from kshare.ideas.tests.factories import AreaIdeaFactory, IdeaFactory, ProductAreaFactory
from kshare.library.tests.factories import LinkMaterialFactory
from kshare.people.models import Person
from kshare.people.tests.factories import (
    AdminFactory,
    OrganiserFactory,
    PersonFactory,
    TeamFactory,
)
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import CohostInvitation, Session
from kshare.sessions.tests.factories import (
    AttendanceFactory,
    InvitationFactory,
    PastSessionFactory,
    ScheduledSessionFactory,
    SessionFactory,
)
from kshare.tags.tests.factories import TagFactory
from kshare.topics.tests.factories import TopicRequestFactory
from kshare.webhooks.models import Webhook

VISIBILITIES = ("public", "teams", "invite_only")
ROLES = ("anonymous", "member", "teammate", "invitee", "host", "organiser", "admin")


@dataclass
class World:
    people: dict[str, Person] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    read_tokens: dict[str, str] = field(default_factory=dict)
    upcoming: dict[str, Session] = field(default_factory=dict)
    held: dict[str, Session] = field(default_factory=dict)
    ideas: dict[str, object] = field(default_factory=dict)
    materials: dict[str, object] = field(default_factory=dict)
    feedback_requests: dict[str, object] = field(default_factory=dict)
    extra_sessions: list[Session] = field(default_factory=list)
    area_idea: object = None
    topic: object = None
    programme: object = None
    webhook: object = None
    cohost_invitation: object = None

    def ids(self) -> dict[str, list[int]]:
        """Existing ids by kind, for steering generated path parameters at real objects."""
        return {
            "session": [s.pk for s in (*self.upcoming.values(), *self.held.values())]
            + [s.pk for s in self.extra_sessions],
            "person": [p.pk for p in self.people.values()],
            "idea": [i.pk for i in self.ideas.values()] + [self.area_idea.pk],
            "material": [m.pk for m in self.materials.values()],
            "request": [r.pk for r in self.feedback_requests.values()],
            "topic": [self.topic.pk],
            "programme": [self.programme.pk],
            "webhook": [self.webhook.pk],
            "cohost_invitation": [self.cohost_invitation.pk],
        }


def world_build() -> World:
    w = World()
    red = TeamFactory(name="Red", slug="red")
    blue = TeamFactory(name="Blue", slug="blue")
    w.people = {
        "member": PersonFactory(team=blue, display_name="Mo Member"),
        "teammate": PersonFactory(team=red, display_name="Rita Red"),
        "invitee": PersonFactory(team=blue, display_name="Ivy Invitee"),
        "host": PersonFactory(team=blue, display_name="Hal Host"),
        "organiser": OrganiserFactory(team=blue, display_name="Olga Organiser"),
        "admin": AdminFactory(display_name="Ada Admin"),
    }
    p = w.people
    programme = ProgrammeFactory(name="Tech talks")
    programme.organisers.add(p["organiser"])
    w.programme = programme
    tag = TagFactory(name="Python", slug="python")
    area = ProductAreaFactory(name="Search", slug="search")
    now = timezone.now().replace(microsecond=0)
    for vis in VISIBILITIES:
        upcoming = ScheduledSessionFactory(
            programme=programme,
            host=p["host"],
            title=f"Upcoming {vis}",
            visibility=vis,
            capacity=20,
            start=now + dt.timedelta(days=20),
        )
        held = PastSessionFactory(
            programme=programme,
            host=p["host"],
            title=f"Held {vis}",
            visibility=vis,
            start=now - dt.timedelta(days=2),
        )
        for s in (upcoming, held):
            s.tags.add(tag)
            if vis == "teams":
                s.teams.add(red)
            InvitationFactory(session=s, person=p["invitee"])
        AttendanceFactory(session=held, person=p["invitee"])
        w.upcoming[vis], w.held[vis] = upcoming, held
        w.ideas[vis] = IdeaFactory(session=upcoming, author=p["host"], title=f"Idea {vis}")
        w.materials[vis] = LinkMaterialFactory(session=held, title=f"Slides {vis}")
        w.feedback_requests[vis] = FeedbackRequestFactory(session=held, person=p["invitee"])
        ResponseFactory(session=held, respondent=p["host"])
    w.extra_sessions = [
        SessionFactory(programme=programme, host=p["host"], title="Proposed"),
        SessionFactory(programme=programme, host=p["host"], title="Cancelled", state="cancelled"),
    ]
    w.area_idea = AreaIdeaFactory(area=area, author=p["member"], title="Area idea")
    w.topic = TopicRequestFactory(requester=p["member"], title="Teach us Rust")
    w.webhook = Webhook.objects.create(
        url="https://chat.example.com/hook",
        secret="s" * 40,
        events=["session.scheduled"],
        programme=programme,
        created_by=p["organiser"],
    )
    # The invitee was asked to co-host the public upcoming session.
    w.cohost_invitation = CohostInvitation.objects.create(
        session=w.upcoming["public"], person=p["invitee"], invited_by=p["host"]
    )
    for role, person in p.items():
        w.tokens[role] = token_create(person, scope="write", name=f"{role} write")
        w.read_tokens[role] = token_create(person, scope="read", name=f"{role} read")
    return w
