"""Every copy of "who may see a session" agrees with the ORM rule, pair by pair.

A generated population — 200 sessions over every session visibility, session teams and programme
visibility and teams, each with a host, most with a co-host and invitees, and 140 people:
admins (by role and by superuser flag), organisers of some programmes (organiser role or not),
members of three teams, people without a team, inactive people holding every kind of link — and
for every (session, person) pair each reader must give the answer of ``rules.sessions_q``, which
itself must give the answer of the rule as written in words (``_oracle``).

Readers checked: the ORM ``Q`` (and ``sessions.selectors.sessions_visible_to``), ``may_see`` on
objects at hand, the reverse queryset, the session-side and people-side SQL fragments, the search
tokens and a real search through the database's backend (FTS5 or PostgreSQL), the recommender's
hand-written card query and its training data's visibility, the invitee rule (ORM, SQL, the
recommender's invitee SQL) and the API's session list. Programmes likewise for ``PROGRAMME_RULE``.
"""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

from django.db import connection
from django.test import TestCase
from django.utils import timezone

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.people.models import Person, Role, Team
from kshare.programmes.models import Programme
from kshare.programmes.models import Visibility as ProgrammeVisibility
from kshare.recommend.models import Recommendation
from kshare.recommend.selectors import _checked, _may_be_invited
from kshare.recommend.signals import signals_load
from kshare.search.selectors import search, search_access
from kshare.search.services import search_reindex
from kshare.sessions import selectors as session_selectors
from kshare.sessions.models import Invitation, Session, SessionHost, State, Visibility
from kshare.visibility import rules

N_SESSIONS = 200
N_PEOPLE = 140
WORD = "paritycheck"


def _oracle(person: Person, session: Session, facts: rules.SessionFacts) -> bool:
    """The rule as docs/security.md states it, written out without the rules module."""
    if not person.is_active:
        return False
    if person.role == Role.ADMIN or person.is_superuser:
        return True
    if person.pk in facts.hosts | facts.invitees | facts.programme.organisers:
        return True
    team = person.team_id
    session_open = session.visibility == Visibility.PUBLIC or (
        session.visibility == Visibility.TEAMS and team in facts.teams
    )
    programme_open = facts.programme.visibility == ProgrammeVisibility.PUBLIC or (
        team in facts.programme.teams
    )
    return session_open and programme_open


class VisibilityParity(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        rng = random.Random(15)
        now = timezone.now().replace(microsecond=0)
        teams = [Team.objects.create(name=f"Team {c}", slug=f"team-{c}") for c in "abc"]
        a, b, c = teams

        people: list[Person] = []

        def person(label: str, **fields) -> Person:
            found = Person(
                email=f"{label}-{len(people)}@example.com",
                display_name=f"{label} {len(people)}",
                **fields,
            )
            people.append(found)
            return found

        person("admin", role=Role.ADMIN)
        person("superuser", role=Role.MEMBER, is_superuser=True, is_staff=True)
        person("admin-inactive", role=Role.ADMIN, is_active=False)
        for n in range(6):
            person("organiser", role=Role.ORGANISER, team=teams[n % 3] if n < 4 else None)
        for team in teams:
            for _ in range(34):
                person(f"member-{team.slug}", team=team)
        while len(people) < N_PEOPLE - 8:
            person("no-team")
        while len(people) < N_PEOPLE:
            person("inactive", is_active=False, team=rng.choice([a, b, None]))
        Person.objects.bulk_create(people)
        people = list(Person.objects.order_by("pk"))
        organisers = [p for p in people if p.role == Role.ORGANISER]
        members = [p for p in people if p.role == Role.MEMBER and not p.is_superuser]
        inactive = [p for p in people if not p.is_active]

        programme_shapes = [
            ("public", ProgrammeVisibility.PUBLIC, []),
            ("public-listing-a", ProgrammeVisibility.PUBLIC, [a]),
            ("team-a", ProgrammeVisibility.TEAMS, [a]),
            ("teams-bc", ProgrammeVisibility.TEAMS, [b, c]),
            ("teams-none", ProgrammeVisibility.TEAMS, []),
        ]
        programmes = []
        for n, (slug, visibility, programme_teams) in enumerate(programme_shapes):
            programme = Programme.objects.create(name=slug, slug=slug, visibility=visibility)
            programme.teams.set(programme_teams)
            # Organisers: an organiser-role person, a plain member, sometimes an inactive one.
            programme.organisers.add(organisers[n % len(organisers)], members[n * 7])
            if n % 2 == 0:
                programme.organisers.add(inactive[n % len(inactive)])
            programmes.append(programme)

        session_team_shapes = [[], [a], [b], [a, c]]
        combos = list(itertools.product(Visibility.values, session_team_shapes, programmes))
        states = [State.SCHEDULED, State.HELD, State.PROPOSED]
        sessions = []
        for n in range(N_SESSIONS):
            visibility, _, programme = combos[n % len(combos)]
            state = states[(n // len(combos)) % len(states)]
            start = {
                State.SCHEDULED: now + timedelta(days=3 + n % 20),
                State.HELD: now - timedelta(days=3 + n % 20),
                State.PROPOSED: None,
            }[state]
            sessions.append(
                Session(
                    programme=programme,
                    title=f"{WORD} session {n}",
                    abstract="A generated session.",
                    visibility=visibility,
                    state=state,
                    start=start,
                    end=start + timedelta(minutes=45) if start else None,
                )
            )
        Session.objects.bulk_create(sessions)
        sessions = list(Session.objects.order_by("pk"))
        session_teams, hosts, invitations = [], [], []
        through = Session.teams.through
        for n, session in enumerate(sessions):
            _, shape, _ = combos[n % len(combos)]
            session_teams += [through(session_id=session.pk, team_id=t.pk) for t in shape]
            # Hosts and co-hosts from everyone (inactive people included), invitees too.
            chosen = rng.sample(people, 6)
            hosts.append(SessionHost(session=session, person=chosen[0], role="host"))
            if n % 4:
                hosts.append(SessionHost(session=session, person=chosen[1], role="cohost"))
            invitations += [
                Invitation(session=session, person=invitee) for invitee in chosen[2 : 2 + n % 5]
            ]
        through.objects.bulk_create(session_teams)
        SessionHost.objects.bulk_create(hosts)
        Invitation.objects.bulk_create(invitations)
        search_reindex()

        cls.people = people
        cls.sessions = sessions
        cls.programmes = list(Programme.objects.order_by("pk"))
        cls.facts = rules.session_facts(sessions)
        cls.expected = {
            p.pk: set(
                Session.objects.filter(rules.sessions_q(person=p)).values_list("pk", flat=True)
            )
            for p in people
        }

    def pairs(self):
        for person in self.people:
            for session in self.sessions:
                yield person, session, session.pk in self.expected[person.pk]

    def assert_same_for_everyone(
        self, found: dict[int, set[int]], *, within: set[int] | None = None
    ):
        """``found[person] == expected[person]`` (within ``within`` sessions), and how many pairs
        that compared."""
        compared = 0
        for person in self.people:
            expected = self.expected[person.pk]
            if within is not None:
                expected = expected & within
            self.assertEqual(found[person.pk], expected, f"{person.display_name} ({person.pk})")
            compared += len(within) if within is not None else len(self.sessions)
        return compared

    def test_the_population_covers_every_role_and_shape(self):
        self.assertEqual(len(self.sessions), N_SESSIONS)
        self.assertEqual(len(self.people), N_PEOPLE)
        visible_pairs = sum(len(v) for v in self.expected.values())
        # Neither everything nor nothing: both answers occur many times.
        self.assertGreater(visible_pairs, 3_000)
        self.assertLess(visible_pairs, N_SESSIONS * N_PEOPLE - 3_000)
        # Every kind of personal link opens sessions the open part would not.
        only_by = {"host": 0, "cohost": 0, "invitee": 0, "organiser": 0}
        host_role = {
            (session_id, person_id): role
            for session_id, person_id, role in SessionHost.objects.values_list(
                "session_id", "person_id", "role"
            )
        }
        for person, session, visible in self.pairs():
            facts = self.facts[session.pk]
            if not visible or person.is_admin:
                continue
            if rules.OPEN.holds(rules.PersonFacts.of(person), facts):
                continue
            if (session.pk, person.pk) in host_role:
                only_by[host_role[session.pk, person.pk]] += 1
            elif person.pk in facts.invitees:
                only_by["invitee"] += 1
            elif person.pk in facts.programme.organisers:
                only_by["organiser"] += 1
        for link, count in only_by.items():
            self.assertGreater(count, 10, link)

    def test_the_orm_rule_is_the_rule_in_words(self):
        compared = 0
        for person, session, visible in self.pairs():
            self.assertEqual(
                visible, _oracle(person, session, self.facts[session.pk]), (person, session)
            )
            compared += 1
        self.assertEqual(compared, N_SESSIONS * N_PEOPLE)

    def test_sessions_selector_is_the_rule(self):
        found = {
            p.pk: set(session_selectors.sessions_visible_to(person=p).values_list("pk", flat=True))
            for p in self.people
        }
        self.assertEqual(self.assert_same_for_everyone(found), N_SESSIONS * N_PEOPLE)

    def test_may_see_on_objects_at_hand(self):
        with self.assertNumQueries(0):
            found = {
                p.pk: {s.pk for s in self.sessions if rules.may_see(p, s, facts=self.facts[s.pk])}
                for p in self.people
            }
        self.assertEqual(self.assert_same_for_everyone(found), N_SESSIONS * N_PEOPLE)
        # Without facts at hand it loads them: the same answers.
        for person, session in zip(self.people[::7], self.sessions[::10], strict=False):
            self.assertEqual(rules.may_see(person, session), session.pk in self.expected[person.pk])

    def test_visible_session_ids_of_sessions_at_hand(self):
        every = [s.pk for s in self.sessions]
        with self.assertNumQueries(len(self.people)):
            found = {p.pk: rules.visible_session_ids(person=p, ids=every) for p in self.people}
        self.assertEqual(self.assert_same_for_everyone(found), N_SESSIONS * N_PEOPLE)
        # One session at a time, as the session page asks; ids that are no session are none.
        missing = max(every) + 1
        for person, session in zip(self.people[::5], self.sessions[::7], strict=False):
            with self.subTest(person=person.pk, session=session.pk):
                self.assertEqual(
                    rules.visible_session_ids(person=person, ids=[session.pk, missing, 2**64]),
                    {session.pk} & self.expected[person.pk],
                )

    def test_reverse_queryset_people_who_may_see(self):
        found: dict[int, set[int]] = {p.pk: set() for p in self.people}
        for session in self.sessions:
            for pk in rules.people_who_may_see(session=session).values_list("pk", flat=True):
                found[pk].add(session.pk)
        self.assertEqual(self.assert_same_for_everyone(found), N_SESSIONS * N_PEOPLE)

    def test_session_side_sql_fragment(self):
        found = {}
        for person in self.people:
            sql = rules.Sql()
            condition = rules.sessions_sql(person=person, sql=sql)
            q, t = sql.q, sql.table
            statement = (
                f"SELECT s.{q('id')} FROM {t(Session)} s JOIN {t(Programme)} g "  # noqa: S608
                f"ON g.{q('id')} = s.{q('programme_id')} WHERE {condition}"
            )
            with connection.cursor() as cursor:
                cursor.execute(statement, sql.params)
                found[person.pk] = {row[0] for row in cursor.fetchall()}
        self.assertEqual(self.assert_same_for_everyone(found), N_SESSIONS * N_PEOPLE)

    def test_people_side_sql_fragment(self):
        found: dict[int, set[int]] = {p.pk: set() for p in self.people}
        for session in self.sessions:
            sql = rules.Sql()
            condition = rules.people_sql(session=session, sql=sql)
            statement = f"SELECT p.{sql.q('id')} FROM {sql.table(Person)} p WHERE {condition}"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(statement, sql.params)
                for (pk,) in cursor.fetchall():
                    found[pk].add(session.pk)
        self.assertEqual(self.assert_same_for_everyone(found), N_SESSIONS * N_PEOPLE)

    def test_search_tokens_and_grants(self):
        """A document is visible to a person when it carries no ``restr`` or one of their
        grants: the tokens alone must give the rule's answer."""
        found: dict[int, set[int]] = {}
        tokens = {pk: set(rules.search_tokens(facts)) for pk, facts in self.facts.items()}
        for person in self.people:
            access = search_access(person=person)
            if not person.is_active:
                found[person.pk] = set()  # search() answers nothing to an inactive person
                continue
            if access is None:
                found[person.pk] = {s.pk for s in self.sessions}
                continue
            grants = set(access.grants())
            found[person.pk] = {
                pk
                for pk, carried in tokens.items()
                if rules.RESTRICTED not in carried or carried & grants
            }
        self.assertEqual(self.assert_same_for_everyone(found), N_SESSIONS * N_PEOPLE)

    def test_search_through_the_database_backend(self):
        found: dict[int, set[int]] = {}
        for person in self.people:
            hits: set[int] = set()
            page_number = 1
            while True:
                page = search(
                    person=person, query=WORD, kind="session", per_page=100, page=page_number
                )
                hits |= {hit.object_id for hit in page.hits}
                if not page.has_next:
                    break
                page_number += 1
            found[person.pk] = hits
        self.assertEqual(self.assert_same_for_everyone(found), N_SESSIONS * N_PEOPLE)

    def test_recommender_card_query(self):
        """The recommender's hand-written query (``_checked``: upcoming sessions not hosted,
        attended or answered) shows exactly the visible ones of those."""
        now = timezone.now()
        upcoming = {s.pk for s in self.sessions if s.state == State.SCHEDULED and s.start > now}
        ids = sorted(upcoming)
        found = {}
        compared = 0
        for person in self.people:
            shown = set(_checked(person, Recommendation.Kind.SESSION, ids))
            hosting = {pk for pk in upcoming if person.pk in self.facts[pk].hosts}
            self.assertEqual(shown & hosting, set())
            expected = self.expected[person.pk] & (upcoming - hosting)
            self.assertEqual(shown, expected, person)
            found[person.pk] = shown | (self.expected[person.pk] & hosting & upcoming)
            compared += len(upcoming)
        self.assertEqual(
            self.assert_same_for_everyone(found, within=upcoming), len(upcoming) * N_PEOPLE
        )
        self.assertEqual(compared, len(upcoming) * N_PEOPLE)

    def test_recommender_training_visibility(self):
        signals = signals_load()
        index = {int(pk): i for i, pk in enumerate(signals.session_ids)}
        trained = set(index)
        self.assertEqual(
            trained, {s.pk for s in self.sessions if s.state in (State.SCHEDULED, State.HELD)}
        )
        found = {}
        for i, pk in enumerate(signals.person_ids):
            allowed = signals.allowed_for(i)
            found[int(pk)] = {sid for sid, j in index.items() if allowed[j]}
        for person in self.people:
            if not person.is_active:
                self.assertNotIn(person.pk, found)  # the engine never learns about them
                found[person.pk] = set()
        self.assertEqual(
            self.assert_same_for_everyone(found, within=trained), len(trained) * N_PEOPLE
        )

    def test_api_session_list(self):
        found = {}
        for person in self.people:
            if not person.is_active:
                found[person.pk] = set()
                continue
            api = ApiClient(token_create(person, scope="read"))
            ids: set[int] = set()
            cursor = None
            while True:
                response = api.get(
                    "sessions", {"limit": 100, **({"cursor": cursor} if cursor else {})}
                )
                self.assertEqual(response.status_code, 200)
                body = response.json()
                ids |= {item["id"] for item in body["items"]}
                cursor = body["next_cursor"]
                if cursor is None:
                    break
            found[person.pk] = ids
        self.assertEqual(self.assert_same_for_everyone(found), N_SESSIONS * N_PEOPLE)

    def test_who_may_be_invited_agrees_everywhere(self):
        """``INVITABLE_RULE`` as ORM, predicate, SQL and the recommender's invitee SQL; and
        everyone not yet invited who may see a session may be invited to it."""
        compared = 0
        person_facts = {p.pk: rules.PersonFacts.of(p) for p in self.people}
        for session in self.sessions:
            facts = self.facts[session.pk]
            orm = set(rules.people_who_may_be_invited(session=session).values_list("pk", flat=True))
            predicate = {
                p.pk for p in self.people if rules.INVITABLE_RULE.holds(person_facts[p.pk], facts)
            }
            sql = rules.Sql()
            condition = rules.people_sql(session=session, sql=sql, rule=rules.INVITABLE_RULE)
            params: dict = {}
            recommender = _may_be_invited(session, params)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT p.{sql.q('id')} FROM {sql.table(Person)} p WHERE {condition}",  # noqa: S608
                    sql.params,
                )
                fragment = {row[0] for row in cursor.fetchall()}
                cursor.execute(
                    f"SELECT p.{sql.q('id')} FROM {sql.table(Person)} p WHERE {recommender}",  # noqa: S608
                    params,
                )
                suggested = {row[0] for row in cursor.fetchall()}
            self.assertEqual(orm, predicate, session)
            self.assertEqual(fragment, predicate, session)
            self.assertEqual(suggested, predicate - facts.invitees - facts.hosts, session)
            for person in self.people:
                if person.pk in facts.invitees:
                    continue
                if session.pk in self.expected[person.pk]:
                    self.assertIn(person.pk, predicate, (person, session))
            # "Invite the whole team" offers exactly the teams whose plain members (no link,
            # not admin) may be invited.
            plain_invitable_teams = {
                p.team_id
                for p in self.people
                if p.pk in predicate
                and p.team_id is not None
                and not p.is_admin
                and p.pk not in facts.hosts | facts.programme.organisers
            }
            offered = set(rules.invitable_teams(session=session).values_list("pk", flat=True))
            self.assertEqual(offered, plain_invitable_teams, session)
            compared += N_PEOPLE
        self.assertEqual(compared, N_SESSIONS * N_PEOPLE)

    def test_programme_rule_agrees_everywhere(self):
        compared = 0
        for person in self.people:
            visible = set(rules.programmes_visible_to(person=person).values_list("pk", flat=True))
            facts = rules.programme_facts(self.programmes)
            for programme in self.programmes:
                expected = person.is_active and (
                    person.is_admin
                    or person.pk in facts[programme.pk].organisers
                    or programme.visibility == ProgrammeVisibility.PUBLIC
                    or person.team_id in facts[programme.pk].teams
                )
                self.assertEqual(programme.pk in visible, expected, (person, programme))
                self.assertEqual(rules.may_see_programme(person, programme), expected)
                reverse = rules.people_who_may_see_programme(programme=programme)
                self.assertEqual(reverse.filter(pk=person.pk).exists(), expected)
                compared += 1
        self.assertEqual(compared, len(self.programmes) * N_PEOPLE)
