"""Who may see a session, who may be invited to one, who may see (and propose into) a programme:
each rule written ONCE, as a tree of small conditions, and rendered from that tree into every
form a reader needs.

The rule for a session (``SESSION_RULE``)::

    active AND (admin OR host OR invitee OR organiser of the programme
                OR (session open AND programme open))
    session open   = public OR (teams AND the person's team is one of the session's teams)
    programme open = public OR the person's team is one of the programme's teams

Who may see a programme (and propose into it; ``PROGRAMME_RULE``)::

    active AND (admin OR organiser of the programme OR programme open)

The programme's part (the conditions that read only people and programmes: active, admin,
organiser, programme open; ``PROGRAMME_RULE``; and the machinery every condition is built on:
``Atom``, ``All``/``AnyOf``, ``Sql``, the facts) is written in ``kshare/programmes/visibility.py``,
so that programmes (layer 3) answers "which programmes may this person see" without importing
this app above it. The session's conditions and rules are written here, from those; this
docstring and "THE definitions" below read as the whole rule.

Co-hosts are hosts (``SessionHost`` rows of either role); a co-host invitation not yet accepted
is no ``SessionHost`` row, so it grants nothing. Invite-only sessions are never "open": only the
personal links let people in.

Every condition (``Atom``) knows how to answer in each form, given what is at hand:

- ``sessions_q(person)``: a ``Q`` on ``Session`` (the person at hand: admin, active and team are
  constants folded away, so an admin's ``Q`` is empty and an inactive person's matches nothing);
- ``people_q(session)``: a ``Q`` on ``Person`` (the session at hand: its visibility is a constant);
- ``holds(person, facts)``: a plain predicate on ``PersonFacts``/``SessionFacts`` (objects or
  bulk-loaded rows at hand, no query);
- ``sessions_sql(person, sql)`` / ``people_sql(session, sql)``: SQL fragments for hand-written
  queries (search grants, recommender cards and invitees), on the aliases ``sql`` names, every
  value a parameter;
- search tokens (``search_tokens``, ``search_grants_sql``): which teams open a session and the
  personal grants, both read from the same tree.

``kshare/visibility/tests/test_parity.py`` checks every rendering and every reader that uses one
against ``sessions_q`` on a generated population, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from kshare.people.models import Person, Team
from kshare.programmes.models import Programme
from kshare.programmes.visibility import (
    ACTIVE,
    ADMIN,
    NOBODY,
    ORGANISER,
    PROGRAMME_OPEN,
    PROGRAMME_RULE,
    All,
    AnyOf,
    Atom,
    Facts,
    InTeams,
    Node,
    Organiser,
    PersonFacts,
    ProgrammeFacts,
    Rendered,
    Sql,
    as_q,
    facts_of_person,
    filtered_by,
    may_see_programme,
    people_who_may_see_programme,
    programme_facts,
    programmes_visible_to,
    rule_q,
    sql_text,
)
from kshare.sessions.models import Invitation, Session, SessionHost, Visibility

# --- facts: the rule's inputs as plain values ------------------------------------------------


@dataclass(frozen=True)
class SessionFacts:
    pk: int
    visibility: str
    programme: ProgrammeFacts
    teams: frozenset[int] = frozenset()
    hosts: frozenset[int] = frozenset()
    invitees: frozenset[int] = frozenset()


def session_facts(sessions: Iterable[Session]) -> dict[int, SessionFacts]:
    """Facts of many sessions in a fixed number of queries, whatever their number."""
    rows = {s.pk: s for s in sessions}
    programmes = programme_facts(
        Programme.objects.filter(pk__in={s.programme_id for s in rows.values()})
    )

    def by_session(model: Any, column: str) -> dict[int, set[int]]:
        found: dict[int, set[int]] = defaultdict(set)
        for session_id, value in model.objects.filter(session_id__in=rows).values_list(
            "session_id", column
        ):
            found[session_id].add(value)
        return found

    teams = by_session(Session.teams.through, "team_id")
    hosts = by_session(SessionHost, "person_id")
    invitees = by_session(Invitation, "person_id")
    return {
        pk: SessionFacts(
            pk=pk,
            visibility=s.visibility,
            programme=programmes[s.programme_id],
            teams=frozenset(teams[pk]),
            hosts=frozenset(hosts[pk]),
            invitees=frozenset(invitees[pk]),
        )
        for pk, s in rows.items()
    }


class _PersonalLink(Atom):
    """A row linking the person to the session (host, invitee): ``model`` (session, person)."""

    model: Any = None
    grant_kind = "sess"

    def _ids(self, facts: SessionFacts) -> frozenset[int]:
        raise NotImplementedError

    def holds(self, person: PersonFacts, facts: Facts) -> bool:
        assert isinstance(facts, SessionFacts)
        return person.pk in self._ids(facts)

    def sessions_q(self, person: PersonFacts, on: str) -> Rendered:
        assert on == "session"
        return Exists(self.model.objects.filter(session_id=OuterRef("pk"), person_id=person.pk))

    def people_q(self, facts: Facts) -> Rendered:
        return Exists(self.model.objects.filter(session_id=facts.pk, person_id=OuterRef("pk")))

    def sessions_sql(self, person: PersonFacts, sql: Sql) -> Rendered:
        return sql.link_exists(
            self.model,
            key="session_id",
            key_value=sql.col(sql.session, "id"),
            person_value=sql.param("me", person.pk),
        )

    def people_sql(self, facts: Facts, sql: Sql) -> Rendered:
        return sql.link_exists(
            self.model,
            key="session_id",
            key_value=sql.param("session", facts.pk),
            person_value=sql.col(sql.person, "id"),
        )

    def grants_sql(self, person: PersonFacts, sql: Sql) -> str:
        """The session ids this link opens to ``person``."""
        return sql.link_keys(self.model, key="session_id", person_value=sql.param("me", person.pk))


class Host(_PersonalLink):
    """Hosts and co-hosts who accepted: ``SessionHost`` rows of either role."""

    name = "host"
    model = SessionHost

    def _ids(self, facts: SessionFacts) -> frozenset[int]:
        return facts.hosts


class Invitee(_PersonalLink):
    name = "invitee"
    model = Invitation

    def _ids(self, facts: SessionFacts) -> frozenset[int]:
        return facts.invitees


class SessionIs(Atom):
    """The session's own visibility is ``value``."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.name = f"session {value}"

    def holds(self, person: PersonFacts, facts: Facts) -> bool:
        assert isinstance(facts, SessionFacts)
        return facts.visibility == self.value

    def sessions_q(self, person: PersonFacts, on: str) -> Rendered:
        assert on == "session"
        return Q(visibility=self.value)

    def people_q(self, facts: Facts) -> Rendered:
        return self.holds(NOBODY, facts)

    def sessions_sql(self, person: PersonFacts, sql: Sql) -> Rendered:
        return (
            f"{sql.col(sql.session, 'visibility')} = "
            f"{sql.param('session_' + self.value, self.value)}"
        )

    def people_sql(self, facts: Facts, sql: Sql) -> Rendered:
        return self.holds(NOBODY, facts)


class InSessionTeam(InTeams):
    name = "in session team"
    through = Session.teams.through
    owner = "session_id"

    def _teams(self, facts: Facts) -> frozenset[int]:
        assert isinstance(facts, SessionFacts)
        return facts.teams

    def _owner_pk(self, facts: Facts) -> int:
        return facts.pk

    def _owner_ref(self, on: str) -> str:
        assert on == "session"
        return "pk"

    def _owner_sql(self, sql: Sql) -> str:
        return sql.col(sql.session, "id")


# --- THE definitions --------------------------------------------------------------------------

# From kshare/programmes/visibility.py:
#   ACTIVE, ADMIN, ORGANISER (organises the session's programme)
#   PROGRAMME_OPEN = AnyOf(ProgrammeIs(PUBLIC), InProgrammeTeam())
#   PROGRAMME_RULE = All(ACTIVE, AnyOf(ADMIN, ORGANISER, PROGRAMME_OPEN))  (who may see a programme)
HOST, INVITEE = Host(), Invitee()
PERSONAL = AnyOf(HOST, INVITEE, ORGANISER)
SESSION_OPEN = AnyOf(
    SessionIs(Visibility.PUBLIC), All(SessionIs(Visibility.TEAMS), InSessionTeam())
)
# Open without a personal link: the session and its programme both let the person's team in.
OPEN = All(SESSION_OPEN, PROGRAMME_OPEN)

SESSION_RULE = All(ACTIVE, AnyOf(ADMIN, PERSONAL, OPEN))

# Who may be invited: whoever may see the session without being invited, and for an invite-only
# session also those the programme lets in (the invitation is then what opens it). An invitation
# never opens a team-restricted session or programme to someone outside its teams.
INVITABLE_OPEN = All(AnyOf(SESSION_OPEN, SessionIs(Visibility.INVITE_ONLY)), PROGRAMME_OPEN)
INVITABLE_RULE = All(ACTIVE, AnyOf(ADMIN, HOST, ORGANISER, INVITABLE_OPEN))


# --- renderings ------------------------------------------------------------------------------


def sessions_q(*, person: Person, rule: Node = SESSION_RULE) -> Q:
    """The ``Q`` on ``Session`` for "sessions ``person`` may see" (``Q()`` for admins; matches
    nothing for an inactive or anonymous person)."""
    facts = facts_of_person(person)
    return as_q(False if facts is None else rule_q(rule, facts, "session"))


def sessions_visible_to(*, person: Person) -> QuerySet[Session]:
    """Sessions ``person`` may see (``SESSION_RULE``)."""
    facts = facts_of_person(person)
    rendered = False if facts is None else rule_q(SESSION_RULE, facts, "session")
    return filtered_by(Session.objects.all(), rendered)


def _facts_of(obj: Session | Programme) -> Facts:
    if isinstance(obj, Programme):
        return ProgrammeFacts(pk=obj.pk, visibility=obj.visibility)
    return SessionFacts(
        pk=obj.pk,
        visibility=obj.visibility,
        programme=ProgrammeFacts(pk=obj.programme_id, visibility=obj.programme.visibility),
    )


def people_who_may_see(*, session: Session) -> QuerySet[Person]:
    """Active people who may see ``session`` (``SESSION_RULE`` from the session's side)."""
    return filtered_by(Person.objects.all(), SESSION_RULE.people_q(_facts_of(session)))


def people_who_may_be_invited(*, session: Session) -> QuerySet[Person]:
    """Active people who may be invited to ``session`` (``INVITABLE_RULE``)."""
    return filtered_by(Person.objects.all(), INVITABLE_RULE.people_q(_facts_of(session)))


def may_see(person: Person, session: Session, *, facts: SessionFacts | None = None) -> bool:
    """Whether ``person`` may see ``session``, on the objects at hand (``facts``, e.g. from
    ``session_facts`` for many sessions; without them, a few small queries load this one's)."""
    person_facts = facts_of_person(person)
    if person_facts is None:
        return False
    if facts is None:
        facts = session_facts([session])[session.pk]
    return SESSION_RULE.holds(person_facts, facts)


def sessions_sql(*, person: Person, sql: Sql, rule: Node = SESSION_RULE) -> str:
    """A SQL condition on the session alias ``sql.session`` (with its programme joined as
    ``sql.programme``): ``person`` may see it. Its parameters are added to ``sql.params``."""
    facts = facts_of_person(person)
    return sql_text(False if facts is None else rule.sessions_sql(facts, sql))


def visible_session_ids(*, person: Person, ids: Iterable[int]) -> set[int]:
    """Which of the sessions ``ids`` ``person`` may see: one hand-written query
    (``sessions_sql``).

    For a page that already knows its session (or a few): the same answer as
    ``sessions_visible_to(person=person).filter(pk__in=ids)``, without building and compiling
    the rule's ORM tree (a dozen ``Exists``: the session page's selector took 7.5 ms of CPU
    with the rule compiled in, 5.6 ms with this query beside it)."""
    # A number no id can be (a URL's /sessions/99999999999999999999/) is none of them: the
    # database would refuse it as a parameter.
    wanted = sorted({pk for pk in map(int, ids) if 0 < pk < 2**63})
    facts = facts_of_person(person)
    if not wanted or facts is None:
        return set()
    sql = Sql()
    condition = sql_text(SESSION_RULE.sessions_sql(facts, sql))
    q = Sql.q
    marks = ", ".join(sql.param(f"id{n}", pk) for n, pk in enumerate(wanted))
    text = (
        f"SELECT {sql.session}.{q('id')} FROM {sql.table(Session)} {sql.session} "  # noqa: S608
        f"JOIN {sql.table(Programme)} {sql.programme} "
        f"ON {sql.programme}.{q('id')} = {sql.session}.{q('programme_id')} "
        f"WHERE {sql.session}.{q('id')} IN ({marks}) AND {condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(text, sql.params)
        return {row[0] for row in cursor.fetchall()}


def people_sql(*, session: Session, sql: Sql, rule: Node = SESSION_RULE) -> str:
    """A SQL condition on the person alias ``sql.person``: may see ``session`` (or, with
    ``rule=INVITABLE_RULE``, may be invited to it). Its parameters are added to ``sql.params``."""
    return sql_text(rule.people_sql(_facts_of(session), sql))


# --- who a session is open to, and search tokens ---------------------------------------------


def open_to_teams(facts: SessionFacts) -> frozenset[int] | None:
    """``None`` when ``OPEN`` lets everyone in, else the teams whose members it lets in
    (without a personal link). Read from ``OPEN`` itself, team by team."""
    if OPEN.holds(NOBODY, facts):
        return None
    candidates = facts.teams | facts.programme.teams
    return frozenset(
        team
        for team in candidates
        if OPEN.holds(PersonFacts(pk=0, team_id=team, is_active=True, is_admin=False), facts)
    )


def invitable_teams(*, session: Session) -> QuerySet[Team]:
    """The teams whose members ``INVITABLE_OPEN`` lets in: the teams "invite the whole team"
    offers for ``session`` (every team when it lets everyone in)."""
    facts = session_facts([session])[session.pk]
    teams = Team.objects.order_by("name")
    if INVITABLE_OPEN.holds(NOBODY, facts):
        return teams
    candidates = Team.objects.filter(pk__in=facts.teams | facts.programme.teams)
    return teams.filter(
        pk__in=[
            team.pk
            for team in candidates
            if INVITABLE_OPEN.holds(
                PersonFacts(pk=0, team_id=team.pk, is_active=True, is_admin=False), facts
            )
        ]
    )


RESTRICTED = "restr"
_PERSONAL_ATOMS: tuple[_PersonalLink | Organiser, ...] = (HOST, INVITEE, ORGANISER)


def open_tokens(facts: SessionFacts) -> list[str]:
    """The search tokens of ``OPEN``: none when it lets everyone in, else ``restr`` and
    ``vis<team>`` for each team it lets in."""
    teams = open_to_teams(facts)
    return [] if teams is None else [RESTRICTED, *(f"vis{pk}" for pk in sorted(teams))]


def search_tokens(facts: SessionFacts) -> list[str]:
    """The permission tokens of a document governed by a session: ``open_tokens``, then one
    token per personal link (``sess<id>``: host, invitee; ``prog<id>``: organiser), always."""
    owners = {"sess": facts.pk, "prog": facts.programme.pk}
    kinds = dict.fromkeys(atom.grant_kind or "" for atom in _PERSONAL_ATOMS)
    personal = [f"{kind}{owners[kind]}" for kind in kinds]
    return [*open_tokens(facts), *personal]


def search_grants_sql(*, person: Person, sql: Sql) -> str:
    """One statement: rows ``(kind, id)`` of the personal grants of ``person`` — ``'sess'`` for
    sessions a host/invitee link opens that ``OPEN`` does not already open to them (each token is
    one more list the full-text index walks), ``'prog'`` for programmes they organise. Admins
    need no grants (they see every document)."""
    facts = facts_of_person(person)
    assert facts is not None
    session_links = " UNION ".join(
        atom.grants_sql(facts, sql) for atom in _PERSONAL_ATOMS if isinstance(atom, _PersonalLink)
    )
    open_text = sql_text(OPEN.sessions_sql(facts, sql))
    session_table, programme_table = sql.table(Session), sql.table(Programme)
    statement = (
        f"SELECT 'sess', {sql.session}.{sql.q('id')} FROM {session_table} {sql.session} "  # noqa: S608
        f"JOIN {programme_table} {sql.programme} ON {sql.programme}.{sql.q('id')} = "
        f"{sql.session}.{sql.q('programme_id')} "
        f"WHERE {sql.session}.{sql.q('id')} IN ({session_links}) AND NOT {open_text}"
    )
    organised = ORGANISER.grants_sql(facts, sql)
    return (
        f"{statement} UNION ALL SELECT 'prog', o.{sql.q('programme_id')} "  # noqa: S608
        f"FROM ({organised}) o"
    )


def search_grants(*, person: Person) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(session ids, programme ids) of ``person``'s personal search grants, one query."""
    sql = Sql()
    with connection.cursor() as cursor:
        cursor.execute(search_grants_sql(person=person, sql=sql), sql.params)
        rows = cursor.fetchall()
    return (
        tuple(sorted({pk for kind, pk in rows if kind == "sess"})),
        tuple(sorted({pk for kind, pk in rows if kind == "prog"})),
    )


def rule_text(rule: Any = SESSION_RULE) -> str:
    """The rule as words (for docs and error messages)."""
    return repr(rule)


__all__ = [
    "INVITABLE_OPEN",
    "INVITABLE_RULE",
    "OPEN",
    "PROGRAMME_RULE",
    "RESTRICTED",
    "SESSION_RULE",
    "PersonFacts",
    "ProgrammeFacts",
    "SessionFacts",
    "Sql",
    "invitable_teams",
    "may_see",
    "may_see_programme",
    "open_to_teams",
    "open_tokens",
    "people_sql",
    "people_who_may_be_invited",
    "people_who_may_see",
    "people_who_may_see_programme",
    "programme_facts",
    "programmes_visible_to",
    "search_grants",
    "search_grants_sql",
    "search_tokens",
    "session_facts",
    "sessions_q",
    "sessions_sql",
    "sessions_visible_to",
]
