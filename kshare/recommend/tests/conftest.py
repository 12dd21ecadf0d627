"""A small hand-made organisation where the right recommendations are known."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from kshare.feedback.models import Answer, Question
from kshare.feedback.tests.factories import ResponseFactory
from kshare.library.tests.factories import MaterialFactory
from kshare.people.models import Person
from kshare.people.tests.factories import PersonFactory, SkillFactory, TeamFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import Attendance, Invitation, Session, State, Visibility
from kshare.sessions.tests.factories import PastSessionFactory, ScheduledSessionFactory
from kshare.tags.tests.factories import TagFactory


@dataclass
class World:
    data_team: object
    ops_team: object
    alice: Person  # data team: attended and rated "Intro to SQL" 5/5
    bob: Person  # data team: attended "Intro to SQL" too
    carol: Person  # ops team: attended "Kubernetes basics"
    host: Person
    intro_sql: Session  # held, with notes
    k8s_basics: Session  # held, with notes
    pandas_basics: Session  # held, with notes, nobody attended
    advanced_sql: Session  # upcoming, tagged sql
    pandas_scale: Session  # upcoming, tagged pandas
    k8s_next: Session  # upcoming, tagged kubernetes
    secret_sql: Session  # upcoming, invite-only, tagged sql


def _rate(session: Session, person: Person, number: int) -> None:
    response = ResponseFactory(session=session, respondent=person)
    question = response.form.questions.get(purpose=Question.Purpose.OVERALL)
    Answer.objects.create(response=response, question=question, number=number)


@pytest.fixture
def world(db) -> World:
    sql, pandas, k8s = (
        TagFactory(name="sql"),
        TagFactory(name="pandas"),
        TagFactory(name="kubernetes"),
    )
    data_team, ops_team = TeamFactory(name="Data"), TeamFactory(name="Ops")
    programme = ProgrammeFactory()
    host = PersonFactory(display_name="Hana Host")
    alice = PersonFactory(display_name="Alice Analyst", team=data_team)
    bob = PersonFactory(display_name="Bob Builder", team=data_team)
    carol = PersonFactory(display_name="Carol Cloud", team=ops_team)
    past = timezone.now() - timedelta(days=30)

    def held(title: str, abstract: str, tag) -> Session:
        session = PastSessionFactory(
            programme=programme, title=title, abstract=abstract, host=host, start=past
        )
        session.tags.add(tag)
        MaterialFactory(session=session)
        return session

    def upcoming(title: str, abstract: str, tag, **kwargs) -> Session:
        session = ScheduledSessionFactory(
            programme=programme, title=title, abstract=abstract, host=host, **kwargs
        )
        session.tags.add(tag)
        return session

    intro_sql = held("Intro to SQL", "Joins, grouping and window functions in SQL.", sql)
    k8s_basics = held("Kubernetes basics", "Pods, deployments and services.", k8s)
    pandas_basics = held("Pandas basics", "Data frames, indexing and grouping in pandas.", pandas)
    advanced_sql = upcoming("Advanced SQL", "Window functions and query plans in SQL.", sql)
    pandas_scale = upcoming("Pandas at scale", "Large data frames with pandas.", pandas)
    k8s_next = upcoming("Kubernetes operators", "Writing operators for Kubernetes.", k8s)
    secret_sql = upcoming(
        "SQL for the board", "Board-level SQL reporting.", sql, visibility=Visibility.INVITE_ONLY
    )
    for person in (alice, bob):
        Attendance.objects.create(session=intro_sql, person=person)
    Attendance.objects.create(session=k8s_basics, person=carol)
    _rate(intro_sql, alice, 5)
    return World(
        data_team=data_team,
        ops_team=ops_team,
        alice=alice,
        bob=bob,
        carol=carol,
        host=host,
        intro_sql=intro_sql,
        k8s_basics=k8s_basics,
        pandas_basics=pandas_basics,
        advanced_sql=advanced_sql,
        pandas_scale=pandas_scale,
        k8s_next=k8s_next,
        secret_sql=secret_sql,
    )


def skill(person: Person, tag_name: str, level: int = 2):
    from kshare.tags.models import Tag

    return SkillFactory(person=person, tag=Tag.objects.get(name=tag_name), level=level)


__all__ = ["Invitation", "State", "World", "skill"]
