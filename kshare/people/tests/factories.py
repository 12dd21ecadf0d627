from datetime import timedelta

import factory
from django.utils import timezone

from kshare.people.models import AccountInvite, Person, Role, Skill, Team
from kshare.tags.tests.factories import TagFactory


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    timezone = "Europe/Berlin"
    role = Role.MEMBER
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganiserFactory(PersonFactory):
    role = Role.ORGANISER


class AdminFactory(PersonFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill

    person = factory.SubFactory(PersonFactory)
    tag = factory.SubFactory(TagFactory)
    level = 2


class AccountInviteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountInvite

    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
