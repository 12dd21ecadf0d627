import factory

from kshare.people.tests.factories import PersonFactory
from kshare.topics.models import TopicNotification, TopicRequest, TopicVolunteer, TopicVote


class TopicRequestFactory(factory.django.DjangoModelFactory):
    """A request without the requester's own +1 (topic_request_create adds that)."""

    class Meta:
        model = TopicRequest
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Topic {n}")
    requester = factory.SubFactory(PersonFactory)

    @factory.post_generation
    def tags(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.tags.set(extracted)


class TopicVoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TopicVote

    request = factory.SubFactory(TopicRequestFactory)
    person = factory.SubFactory(PersonFactory)


class TopicVolunteerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TopicVolunteer

    request = factory.SubFactory(TopicRequestFactory)
    person = factory.SubFactory(PersonFactory)


class TopicNotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TopicNotification

    request = factory.SubFactory(TopicRequestFactory)
    person = factory.SubFactory(PersonFactory)
    session = factory.SelfAttribute("request.session")
