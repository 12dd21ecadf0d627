"""The rules of a proposal or an edit (``kshare.sessions.inputs``): each gives the message the
propose and edit forms gave, whoever calls it (the forms, the API)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kshare.core.inputs import InputError
from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.programmes.models import Visibility as ProgrammeVisibility
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.forms import SessionEditForm, SessionProposeForm
from kshare.sessions.inputs import (
    SESSION_EDIT_FIELDS,
    SESSION_FIELDS,
    SessionInput,
    schedule_input_check,
    session_input_check,
)
from kshare.sessions.tests.factories import SessionFactory

pytestmark = pytest.mark.django_db


def refused(data: SessionInput, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(InputError) as caught:
        session_input_check(data, **kwargs)
    return caught.value.fields


@pytest.fixture
def proposer(db):
    ProgrammeFactory()  # the default programme
    return PersonFactory()


def test_a_valid_proposal_comes_back_normalised(proposer):
    data = SessionInput(
        title="  Pandas\n tricks ",
        abstract=" Fast. \n",
        tags=["python", "Python", " data  science; sql"],
        call_url="meet.example.com/abc",
    )
    clean = session_input_check(data, by=proposer)
    assert (clean.title, clean.abstract) == ("Pandas tricks", "Fast.")
    assert clean.tags == ["python", "data science", "sql"]
    assert clean.call_url == "https://meet.example.com/abc"


@pytest.mark.parametrize(
    "changes, fields",
    [
        ({"title": " \n "}, {"title": ["Give the session a title."]}),
        (
            {"start": timezone.now() - timedelta(minutes=1)},
            {"start": ["Choose a date in the future."]},
        ),
        ({"capacity": 0}, {"capacity": ["Capacity must be at least 1, or empty for no limit."]}),
        (
            {"tags": ["x" * 61]},
            {"tags": [f"The tag “{'x' * 20}…” is longer than 60 characters."]},
        ),
        ({"tags": ["!!"]}, {"tags": ["The tag “!!” needs at least one letter or digit."]}),
        ({"tags": [f"t{i}" for i in range(16)]}, {"tags": ["Use at most 15 tags."]}),
        (
            {
                "start": timezone.now() + timedelta(days=3),
                "end": timezone.now() + timedelta(days=2),
            },
            {"end": ["The end must be after the start."]},
        ),
        (
            {"visibility": "teams"},
            {"teams": ["Choose at least one team, or make the session public."]},
        ),
        ({"call_url": "javascript:alert(1)"}, {"call_url": ["Enter a valid URL."]}),
        (
            {"call_url": "x.example.com/" + "a" * 486},
            {"call_url": ["Ensure this value has at most 500 characters (it has 508)."]},
        ),
    ],
)
def test_each_rule_gives_the_forms_message(proposer, changes, fields):
    assert refused(SessionInput(**{"title": "Talk", **changes}), by=proposer) == fields


def test_too_many_cohosts(proposer):
    people = PersonFactory.create_batch(11)
    assert refused(SessionInput(title="Talk", cohosts=people), by=proposer) == {
        "cohosts": ["Add at most 10 co-hosts."]
    }


def test_programme_and_cohosts_must_see_the_programme(proposer):
    red = TeamFactory(name="Red")
    restricted = ProgrammeFactory(name="Red only", visibility=ProgrammeVisibility.TEAMS)
    restricted.teams.set([red])
    assert refused(SessionInput(title="Talk", programme=restricted), by=proposer) == {
        "programme": ["You cannot propose into Red only: it is for other teams."]
    }
    colleague = PersonFactory(display_name="Ann Other")
    red_member = PersonFactory(team=red)
    assert refused(
        SessionInput(title="Talk", programme=restricted, cohosts=[colleague]), by=red_member
    ) == {"cohosts": ["Ann Other cannot see the programme Red only, so cannot co-host in it."]}


def test_an_edit_keeps_a_past_start_and_every_refusal_is_reported_at_once(proposer):
    session = SessionFactory(start=timezone.now() - timedelta(days=2))
    kept = SessionInput(title="Talk", start=session.start)
    assert session_input_check(kept, by=proposer, session=session).start == session.start
    moved = SessionInput(title=" ", start=session.start - timedelta(days=1), visibility="teams")
    assert refused(moved, by=proposer, session=session) == {
        "title": ["Give the session a title."],
        "start": ["Choose a date in the future."],
        "teams": ["Choose at least one team, or make the session public."],
    }


def test_skipped_fields_are_not_checked_again(proposer):
    data = SessionInput(title="", visibility="teams")
    assert refused(data, by=proposer, skip={"title"}) == {
        "teams": ["Choose at least one team, or make the session public."]
    }


def test_schedule_rules():
    with pytest.raises(InputError) as caught:
        schedule_input_check(
            start=timezone.now() - timedelta(hours=1), end=timezone.now() - timedelta(hours=2)
        )
    assert caught.value.fields == {
        "start": ["Choose a start time in the future."],
        "end": ["The end must be after the start."],
    }
    schedule_input_check(start=timezone.now() + timedelta(hours=1), end=None)


def test_the_forms_and_the_api_share_one_field_list():
    assert SessionProposeForm._meta.fields == list(SESSION_FIELDS)
    assert SessionEditForm._meta.fields == list(SESSION_EDIT_FIELDS)
