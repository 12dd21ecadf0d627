import factory

from kshare.tags.models import Tag


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"topic {n}")
    slug = factory.LazyAttribute(lambda o: o.name.replace(" ", "-").lower())
