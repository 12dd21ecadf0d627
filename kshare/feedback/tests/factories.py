"""Factories for feedback: forms (the default questions), requests and responses."""

from datetime import timedelta

import factory
from django.utils import timezone

from kshare.feedback.models import FeedbackForm, FeedbackRequest, Response
from kshare.feedback.services import feedback_form_create_default, respondent_hash
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.tests.factories import PastSessionFactory


class FeedbackFormFactory(factory.django.DjangoModelFactory):
    """A programme's current form with the five default questions (version 1)."""

    class Meta:
        model = FeedbackForm

    programme = factory.SubFactory(ProgrammeFactory)

    @classmethod
    def _create(cls, model_class, *args, programme, **kwargs):
        return feedback_form_create_default(programme=programme, by=kwargs.get("created_by"))


class FeedbackRequestFactory(factory.django.DjangoModelFactory):
    """An open request for a held session; ``form`` defaults to the programme's current form."""

    class Meta:
        model = FeedbackRequest

    session = factory.SubFactory(PastSessionFactory)
    person = factory.SubFactory(PersonFactory)
    form = factory.LazyAttribute(
        lambda o: (
            FeedbackForm.objects.filter(programme=o.session.programme, is_current=True).first()
            or FeedbackFormFactory(programme=o.session.programme)
        )
    )
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


class ResponseFactory(factory.django.DjangoModelFactory):
    """A response without answers; ``person`` is kept out for anonymous programmes."""

    class Meta:
        model = Response
        exclude = ["respondent"]

    session = factory.SubFactory(PastSessionFactory)
    respondent = factory.SubFactory(PersonFactory)
    form = factory.LazyAttribute(
        lambda o: (
            FeedbackForm.objects.filter(programme=o.session.programme, is_current=True).first()
            or FeedbackFormFactory(programme=o.session.programme)
        )
    )
    person = factory.LazyAttribute(
        lambda o: None if o.session.programme.feedback_anonymous else o.respondent
    )
    respondent_hash = factory.LazyAttribute(
        lambda o: respondent_hash(session_id=o.session.pk, person_id=o.respondent.pk)
    )
