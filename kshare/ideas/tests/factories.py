import factory
from django.utils.text import slugify

from kshare.ideas.models import Idea, IdeaComment, IdeaStatusChange, IdeaVote, ProductArea
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.tests.factories import ScheduledSessionFactory


class ProductAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductArea
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Area {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class IdeaFactory(factory.django.DjangoModelFactory):
    """An idea from a (scheduled) session; pass ``session=None, area=...`` for an area idea."""

    class Meta:
        model = Idea

    title = factory.Sequence(lambda n: f"Idea {n}")
    description = "Why not?"
    author = factory.SubFactory(PersonFactory)
    session = factory.SubFactory(ScheduledSessionFactory)
    area = None


class AreaIdeaFactory(IdeaFactory):
    session = None
    area = factory.SubFactory(ProductAreaFactory)


class IdeaVoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdeaVote

    idea = factory.SubFactory(IdeaFactory)
    person = factory.SubFactory(PersonFactory)


class IdeaCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdeaComment

    idea = factory.SubFactory(IdeaFactory)
    author = factory.SubFactory(PersonFactory)
    body = "Good one."


class IdeaStatusChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdeaStatusChange

    idea = factory.SubFactory(IdeaFactory)
    to_status = "new"
