from datetime import timedelta

import factory
from django.utils import timezone

from kshare.people.tests.factories import PersonFactory
from kshare.questions.models import Question, QuestionVote
from kshare.sessions.tests.factories import ScheduledSessionFactory


class RunningSessionFactory(ScheduledSessionFactory):
    """A scheduled session that started ten minutes ago (45 minutes long): questions are open."""

    start = factory.LazyFunction(
        lambda: (timezone.now() - timedelta(minutes=10)).replace(microsecond=0)
    )


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    session = factory.SubFactory(RunningSessionFactory)
    author = factory.SubFactory(PersonFactory)
    text = factory.Sequence(lambda n: f"Question number {n}?")


class QuestionVoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuestionVote

    question = factory.SubFactory(QuestionFactory)
    person = factory.SubFactory(PersonFactory)
