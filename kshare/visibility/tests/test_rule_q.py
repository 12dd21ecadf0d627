"""The rule's ``Q`` is built once per person's facts and reused; the facts it depends on (team,
active, admin) still decide at once when they change."""

import pytest

from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.programmes.visibility import PROGRAMME_RULE, PersonFacts, rule_q
from kshare.sessions.models import Visibility
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.visibility.rules import SESSION_RULE, sessions_visible_to

pytestmark = pytest.mark.django_db


def test_the_same_facts_give_the_same_q_and_other_facts_another():
    facts = PersonFacts(pk=7, team_id=3, is_active=True, is_admin=False)

    first = rule_q(SESSION_RULE, facts, "session")

    assert rule_q(SESSION_RULE, PersonFacts(7, 3, True, False), "session") is first
    assert rule_q(SESSION_RULE, PersonFacts(7, 4, True, False), "session") is not first
    assert rule_q(PROGRAMME_RULE, facts, "programme") is not first
    assert rule_q(SESSION_RULE, PersonFacts(7, 3, True, True), "session") is True
    assert rule_q(SESSION_RULE, PersonFacts(7, 3, False, False), "session") is False


def test_a_move_to_another_team_or_leaving_changes_what_is_visible_at_once():
    red, blue = TeamFactory(), TeamFactory()
    for_red = ScheduledSessionFactory(visibility=Visibility.TEAMS)
    for_red.teams.add(red)
    public = ScheduledSessionFactory()
    person = PersonFactory(team=red)

    before = set(sessions_visible_to(person=person))
    person.team = blue
    person.save()
    after_move = set(sessions_visible_to(person=person))
    person.is_active = False
    person.save()
    after_leaving = set(sessions_visible_to(person=person))

    assert before == {for_red, public}
    assert after_move == {public}
    assert after_leaving == set()
