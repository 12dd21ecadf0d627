from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kshare.people.models import Person
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.models import Session


@pytest.mark.django_db
def test_demo_command_creates_the_organisation_and_prints_the_logins():
    out, err = StringIO(), StringIO()
    call_command("demo", people=20, seed=3, stdout=out, stderr=err)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Created the demo organisation: 20 people, 12 sessions in ")
    assert lines[1:] == [
        "Sign in with:",
        "  admin@brightwater.example        kshare-demo  (admin)",
        "  organiser@brightwater.example    kshare-demo  (organiser)",
        "  member@brightwater.example       kshare-demo  (member)",
    ]
    assert (Person.objects.count(), Session.objects.count()) == (20, 12)
    phases = [line.split("] ", 1)[1] for line in err.getvalue().splitlines()][:4]
    assert phases == ["teams: 13", "tags: 98", "people: 20", "programmes: 2"]


@pytest.mark.django_db
def test_demo_command_refuses_a_database_with_people():
    PersonFactory()
    with pytest.raises(CommandError) as error:
        call_command("demo", people=20, stdout=StringIO(), stderr=StringIO())
    assert str(error.value) == (
        "The database already has people; the demo organisation goes into an empty database."
    )
    assert Person.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("people", [0, -5])
def test_demo_command_rejects_zero_or_negative_people(people):
    with pytest.raises(CommandError) as error:
        call_command("demo", people=people, stdout=StringIO(), stderr=StringIO())
    assert str(error.value) == f"A demo organisation needs at least 10 people; got {people}."
    assert Person.objects.count() == 0
