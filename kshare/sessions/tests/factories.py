from datetime import timedelta

import factory
from django.utils import timezone

from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import (
    AgendaItem,
    Attendance,
    Format,
    Invitation,
    Session,
    SessionChange,
    SessionHost,
    State,
)


class SessionFactory(factory.django.DjangoModelFactory):
    """A session; ``host=`` adds a host link (pass ``host=None`` for none)."""

    class Meta:
        model = Session
        skip_postgeneration_save = True

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    abstract = "What we will learn."
    format = Format.TALK
    state = State.PROPOSED
    start = None
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=45) if o.start else None)

    @factory.post_generation
    def host(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        SessionHost.objects.create(session=obj, person=extracted or PersonFactory())


class ScheduledSessionFactory(SessionFactory):
    state = State.SCHEDULED
    start = factory.LazyFunction(
        lambda: (timezone.now() + timedelta(days=20)).replace(microsecond=0)
    )


class PastSessionFactory(SessionFactory):
    state = State.HELD
    start = factory.LazyFunction(
        lambda: (timezone.now() - timedelta(days=20)).replace(microsecond=0)
    )


class SessionHostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionHost

    session = factory.SubFactory(SessionFactory, host=False)
    person = factory.SubFactory(PersonFactory)


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    session = factory.SubFactory(SessionFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = "Talk"
    minutes = 30


class SessionChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionChange

    session = factory.SubFactory(SessionFactory)
    kind = SessionChange.Kind.CREATED


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    session = factory.SubFactory(ScheduledSessionFactory)
    person = factory.SubFactory(PersonFactory)


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    session = factory.SubFactory(PastSessionFactory)
    person = factory.SubFactory(PersonFactory)
