"""Who may see a session, who may be invited to one, who may see (and propose into) a programme:
each rule written ONCE, as a tree of small conditions, and rendered from that tree into every
form a reader needs.

The rule for a session (``SESSION_RULE``)::

    active AND (admin OR host OR invitee OR organiser of the programme
                OR (session open AND programme open))
    session open   = public OR (teams AND the person's team is one of the session's teams)
    programme open = public OR the person's team is one of the programme's teams

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
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from kshare.people.models import Person, Role, Team
from kshare.programmes.models import Programme
from kshare.programmes.models import Visibility as ProgrammeVisibility
from kshare.sessions.models import Invitation, Session, SessionHost, Visibility

# --- facts: the rule's inputs as plain values ------------------------------------------------


@dataclass(frozen=True)
class PersonFacts:
    pk: int
    team_id: int | None
    is_active: bool
    is_admin: bool

    @classmethod
    def of(cls, person: Person) -> PersonFacts:
        return cls(
            pk=person.pk,
            team_id=person.team_id,
            is_active=person.is_active,
            is_admin=person.is_admin,
        )


@dataclass(frozen=True)
class ProgrammeFacts:
    pk: int
    visibility: str
    teams: frozenset[int] = frozenset()
    organisers: frozenset[int] = frozenset()


@dataclass(frozen=True)
class SessionFacts:
    pk: int
    visibility: str
    programme: ProgrammeFacts
    teams: frozenset[int] = frozenset()
    hosts: frozenset[int] = frozenset()
    invitees: frozenset[int] = frozenset()


Facts = SessionFacts | ProgrammeFacts


def _programme_of(facts: Facts) -> ProgrammeFacts:
    return facts.programme if isinstance(facts, SessionFacts) else facts


def programme_facts(programmes: Iterable[Programme]) -> dict[int, ProgrammeFacts]:
    """Facts of many programmes in two queries (teams, organisers)."""
    rows = {p.pk: p for p in programmes}
    teams: dict[int, set[int]] = defaultdict(set)
    for programme_id, team_id in Programme.teams.through.objects.filter(
        programme_id__in=rows
    ).values_list("programme_id", "team_id"):
        teams[programme_id].add(team_id)
    organisers: dict[int, set[int]] = defaultdict(set)
    for programme_id, person_id in Programme.organisers.through.objects.filter(
        programme_id__in=rows
    ).values_list("programme_id", "person_id"):
        organisers[programme_id].add(person_id)
    return {
        pk: ProgrammeFacts(
            pk=pk,
            visibility=p.visibility,
            teams=frozenset(teams[pk]),
            organisers=frozenset(organisers[pk]),
        )
        for pk, p in rows.items()
    }


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


# --- where a SQL fragment goes ---------------------------------------------------------------


@dataclass
class Sql:
    """The aliases a fragment reads and the parameters it adds (``%(name)s`` style, prefixed)."""

    params: dict[str, Any] = field(default_factory=dict)
    session: str = "s"  # the session table (session-side fragments)
    programme: str = "g"  # the programme table, joined on the session's programme_id
    person: str = "p"  # the person table (people-side fragments)
    prefix: str = "vis_"

    def param(self, name: str, value: Any) -> str:
        key = f"{self.prefix}{name}"
        self.params[key] = value
        return f"%({key})s"

    @staticmethod
    def q(name: str) -> str:
        return connection.ops.quote_name(name)

    def table(self, model: Any) -> str:
        return self.q(model._meta.db_table)

    def col(self, alias: str, column: str) -> str:
        return f"{alias}.{self.q(column)}"

    def link_exists(self, model: Any, *, key: str, key_value: str, person_value: str) -> str:
        """``EXISTS`` a row of the link table ``model`` joining ``key`` to ``person_id``."""
        return (
            f"EXISTS (SELECT 1 FROM {self.table(model)} x WHERE "  # noqa: S608
            f"x.{self.q(key)} = {key_value} AND x.{self.q('person_id')} = {person_value})"
        )

    def link_keys(self, model: Any, *, key: str, person_value: str) -> str:
        """The ``key`` column of the link table ``model`` for one person."""
        return (
            f"SELECT x.{self.q(key)} FROM {self.table(model)} x "  # noqa: S608
            f"WHERE x.{self.q('person_id')} = {person_value}"
        )


# A rendering is a query expression or, when what is at hand decides it, a constant.
Rendered = Any  # Q | Exists | str | bool


class Atom:
    """One condition of a rule. Subclasses answer in every form (see the module docstring)."""

    name = "atom"
    # For search: the token a document carries when this personal link opens it ("sess"/"prog").
    grant_kind: str | None = None

    def holds(self, person: PersonFacts, facts: Facts) -> bool:
        raise NotImplementedError

    def sessions_q(self, person: PersonFacts, on: str) -> Rendered:
        raise NotImplementedError

    def people_q(self, facts: Facts) -> Rendered:
        raise NotImplementedError

    def sessions_sql(self, person: PersonFacts, sql: Sql) -> Rendered:
        raise NotImplementedError

    def people_sql(self, facts: Facts, sql: Sql) -> Rendered:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.name


def _programme_ref(on: str) -> str:
    return "programme_id" if on == "session" else "pk"


class Active(Atom):
    name = "active"

    def holds(self, person: PersonFacts, facts: Facts) -> bool:
        return person.is_active

    def sessions_q(self, person: PersonFacts, on: str) -> Rendered:
        return person.is_active

    def people_q(self, facts: Facts) -> Rendered:
        return Q(is_active=True)

    def sessions_sql(self, person: PersonFacts, sql: Sql) -> Rendered:
        return person.is_active

    def people_sql(self, facts: Facts, sql: Sql) -> Rendered:
        return f"{sql.col(sql.person, 'is_active')} = {sql.param('true', True)}"


class Admin(Atom):
    name = "admin"

    def holds(self, person: PersonFacts, facts: Facts) -> bool:
        return person.is_admin

    def sessions_q(self, person: PersonFacts, on: str) -> Rendered:
        return person.is_admin

    def people_q(self, facts: Facts) -> Rendered:
        return Q(role=Role.ADMIN) | Q(is_superuser=True)

    def sessions_sql(self, person: PersonFacts, sql: Sql) -> Rendered:
        return person.is_admin

    def people_sql(self, facts: Facts, sql: Sql) -> Rendered:
        return (
            f"({sql.col(sql.person, 'role')} = {sql.param('admin', Role.ADMIN)} OR "
            f"{sql.col(sql.person, 'is_superuser')} = {sql.param('true', True)})"
        )


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


class Organiser(Atom):
    """Organises the programme (of the session)."""

    name = "organiser"
    grant_kind = "prog"
    through: Any = Programme.organisers.through

    def holds(self, person: PersonFacts, facts: Facts) -> bool:
        return person.pk in _programme_of(facts).organisers

    def sessions_q(self, person: PersonFacts, on: str) -> Rendered:
        return Exists(
            self.through.objects.filter(
                programme_id=OuterRef(_programme_ref(on)), person_id=person.pk
            )
        )

    def people_q(self, facts: Facts) -> Rendered:
        programme_id = _programme_of(facts).pk
        return Exists(
            self.through.objects.filter(programme_id=programme_id, person_id=OuterRef("pk"))
        )

    def sessions_sql(self, person: PersonFacts, sql: Sql) -> Rendered:
        return sql.link_exists(
            self.through,
            key="programme_id",
            key_value=sql.col(sql.session, "programme_id"),
            person_value=sql.param("me", person.pk),
        )

    def people_sql(self, facts: Facts, sql: Sql) -> Rendered:
        return sql.link_exists(
            self.through,
            key="programme_id",
            key_value=sql.param("programme", _programme_of(facts).pk),
            person_value=sql.col(sql.person, "id"),
        )

    def grants_sql(self, person: PersonFacts, sql: Sql) -> str:
        """The programme ids this link opens to ``person``."""
        return sql.link_keys(
            self.through, key="programme_id", person_value=sql.param("me", person.pk)
        )


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
        return self.holds(_NOBODY, facts)

    def sessions_sql(self, person: PersonFacts, sql: Sql) -> Rendered:
        return (
            f"{sql.col(sql.session, 'visibility')} = "
            f"{sql.param('session_' + self.value, self.value)}"
        )

    def people_sql(self, facts: Facts, sql: Sql) -> Rendered:
        return self.holds(_NOBODY, facts)


class ProgrammeIs(Atom):
    """The programme's visibility is ``value``."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.name = f"programme {value}"

    def holds(self, person: PersonFacts, facts: Facts) -> bool:
        return _programme_of(facts).visibility == self.value

    def sessions_q(self, person: PersonFacts, on: str) -> Rendered:
        return Q(**{"programme__visibility" if on == "session" else "visibility": self.value})

    def people_q(self, facts: Facts) -> Rendered:
        return self.holds(_NOBODY, facts)

    def sessions_sql(self, person: PersonFacts, sql: Sql) -> Rendered:
        return (
            f"{sql.col(sql.programme, 'visibility')} = "
            f"{sql.param('programme_' + self.value, self.value)}"
        )

    def people_sql(self, facts: Facts, sql: Sql) -> Rendered:
        return self.holds(_NOBODY, facts)


class _InTeams(Atom):
    """The person's team is one of the teams of the session (or programme)."""

    through: Any = None
    owner = "session_id"

    def _teams(self, facts: Facts) -> frozenset[int]:
        raise NotImplementedError

    def _owner_pk(self, facts: Facts) -> int:
        raise NotImplementedError

    def _owner_ref(self, on: str) -> str:
        raise NotImplementedError

    def _owner_sql(self, sql: Sql) -> str:
        raise NotImplementedError

    def holds(self, person: PersonFacts, facts: Facts) -> bool:
        return person.team_id is not None and person.team_id in self._teams(facts)

    def sessions_q(self, person: PersonFacts, on: str) -> Rendered:
        if person.team_id is None:
            return False
        return Exists(
            self.through.objects.filter(
                **{self.owner: OuterRef(self._owner_ref(on)), "team_id": person.team_id}
            )
        )

    def people_q(self, facts: Facts) -> Rendered:
        return Q(
            team_id__in=self.through.objects.filter(**{self.owner: self._owner_pk(facts)}).values(
                "team_id"
            )
        )

    def sessions_sql(self, person: PersonFacts, sql: Sql) -> Rendered:
        if person.team_id is None:
            return False
        return (
            f"EXISTS (SELECT 1 FROM {sql.table(self.through)} x WHERE "  # noqa: S608
            f"x.{sql.q(self.owner)} = {self._owner_sql(sql)} AND "
            f"x.{sql.q('team_id')} = {sql.param('team', person.team_id)})"
        )

    def people_sql(self, facts: Facts, sql: Sql) -> Rendered:
        key = "session" if self.owner == "session_id" else "programme"
        return (
            f"{sql.col(sql.person, 'team_id')} IN (SELECT x.{sql.q('team_id')} FROM "  # noqa: S608
            f"{sql.table(self.through)} x WHERE x.{sql.q(self.owner)} = "
            f"{sql.param(key, self._owner_pk(facts))})"
        )


class InSessionTeam(_InTeams):
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


class InProgrammeTeam(_InTeams):
    name = "in programme team"
    through = Programme.teams.through
    owner = "programme_id"

    def _teams(self, facts: Facts) -> frozenset[int]:
        return _programme_of(facts).teams

    def _owner_pk(self, facts: Facts) -> int:
        return _programme_of(facts).pk

    def _owner_ref(self, on: str) -> str:
        return _programme_ref(on)

    def _owner_sql(self, sql: Sql) -> str:
        return sql.col(sql.session, "programme_id")


# A person with no team and no link: "is it open to everyone?"
_NOBODY = PersonFacts(pk=0, team_id=None, is_active=True, is_admin=False)


# --- combining: constants fold away, so no empty Q ever vanishes inside an OR ------------------


class Node(Protocol):
    def holds(self, person: PersonFacts, facts: Facts) -> bool: ...
    def sessions_q(self, person: PersonFacts, on: str) -> Rendered: ...
    def people_q(self, facts: Facts) -> Rendered: ...
    def sessions_sql(self, person: PersonFacts, sql: Sql) -> Rendered: ...
    def people_sql(self, facts: Facts, sql: Sql) -> Rendered: ...


class _Combination:
    is_all = True

    def __init__(self, *parts: Node) -> None:
        self.parts = parts

    def __repr__(self) -> str:
        word = " AND " if self.is_all else " OR "
        return "(" + word.join(repr(p) for p in self.parts) + ")"

    def _fold(self, rendered: Iterable[Rendered], join: Any) -> Rendered:
        # AND: a False decides, a True drops out; OR: the other way round.
        decisive = not self.is_all
        kept = []
        for part in rendered:
            if part is True or part is False:
                if part is decisive:
                    return decisive
                continue
            kept.append(part)
        if not kept:
            return not decisive
        result = kept[0]
        for part in kept[1:]:
            result = join(result, part)
        return result

    def _q_join(self, a: Any, b: Any) -> Any:
        a = a if isinstance(a, Q) else Q(a)
        b = b if isinstance(b, Q) else Q(b)
        return a & b if self.is_all else a | b

    def _sql_join(self, a: str, b: str) -> str:
        return f"({a}) {'AND' if self.is_all else 'OR'} ({b})"

    def holds(self, person: PersonFacts, facts: Facts) -> bool:
        if self.is_all:
            return all(p.holds(person, facts) for p in self.parts)
        return any(p.holds(person, facts) for p in self.parts)

    def sessions_q(self, person: PersonFacts, on: str) -> Rendered:
        return self._fold((p.sessions_q(person, on) for p in self.parts), self._q_join)

    def people_q(self, facts: Facts) -> Rendered:
        return self._fold((p.people_q(facts) for p in self.parts), self._q_join)

    def sessions_sql(self, person: PersonFacts, sql: Sql) -> Rendered:
        return self._fold((p.sessions_sql(person, sql) for p in self.parts), self._sql_join)

    def people_sql(self, facts: Facts, sql: Sql) -> Rendered:
        return self._fold((p.people_sql(facts, sql) for p in self.parts), self._sql_join)


class All(_Combination):
    is_all = True


class AnyOf(_Combination):
    is_all = False


# --- THE definitions --------------------------------------------------------------------------

ACTIVE, ADMIN = Active(), Admin()
HOST, INVITEE, ORGANISER = Host(), Invitee(), Organiser()
PERSONAL = AnyOf(HOST, INVITEE, ORGANISER)
SESSION_OPEN = AnyOf(
    SessionIs(Visibility.PUBLIC), All(SessionIs(Visibility.TEAMS), InSessionTeam())
)
PROGRAMME_OPEN = AnyOf(ProgrammeIs(ProgrammeVisibility.PUBLIC), InProgrammeTeam())
# Open without a personal link: the session and its programme both let the person's team in.
OPEN = All(SESSION_OPEN, PROGRAMME_OPEN)

SESSION_RULE = All(ACTIVE, AnyOf(ADMIN, PERSONAL, OPEN))

# Who may be invited: whoever may see the session without being invited, and for an invite-only
# session also those the programme lets in (the invitation is then what opens it). An invitation
# never opens a team-restricted session or programme to someone outside its teams.
INVITABLE_OPEN = All(AnyOf(SESSION_OPEN, SessionIs(Visibility.INVITE_ONLY)), PROGRAMME_OPEN)
INVITABLE_RULE = All(ACTIVE, AnyOf(ADMIN, HOST, ORGANISER, INVITABLE_OPEN))

# Who may see a programme, and so propose a session into it.
PROGRAMME_RULE = All(ACTIVE, AnyOf(ADMIN, ORGANISER, PROGRAMME_OPEN))


# --- renderings ------------------------------------------------------------------------------


def _person_facts(person: Any) -> PersonFacts | None:
    """``None`` for the anonymous user (nobody: sees nothing)."""
    if person is None or not getattr(person, "is_authenticated", False):
        return None
    return PersonFacts.of(person)


def _as_q(rendered: Rendered) -> Q:
    if rendered is True:
        return Q()
    if rendered is False:
        return Q(pk__in=[])
    return rendered if isinstance(rendered, Q) else Q(rendered)


def _filtered(queryset: QuerySet[Any], rendered: Rendered) -> QuerySet[Any]:
    if rendered is False:
        return queryset.none()
    if rendered is True:
        return queryset
    return queryset.filter(_as_q(rendered))


def sessions_q(*, person: Person, rule: Node = SESSION_RULE) -> Q:
    """The ``Q`` on ``Session`` for "sessions ``person`` may see" (``Q()`` for admins; matches
    nothing for an inactive or anonymous person)."""
    facts = _person_facts(person)
    return _as_q(False if facts is None else rule.sessions_q(facts, "session"))


def sessions_visible_to(*, person: Person) -> QuerySet[Session]:
    """Sessions ``person`` may see (``SESSION_RULE``)."""
    facts = _person_facts(person)
    rendered = False if facts is None else SESSION_RULE.sessions_q(facts, "session")
    return _filtered(Session.objects.all(), rendered)


def programmes_visible_to(*, person: Person) -> QuerySet[Programme]:
    """Programmes ``person`` may see and propose into (``PROGRAMME_RULE``)."""
    facts = _person_facts(person)
    rendered = False if facts is None else PROGRAMME_RULE.sessions_q(facts, "programme")
    return _filtered(Programme.objects.all(), rendered)


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
    return _filtered(Person.objects.all(), SESSION_RULE.people_q(_facts_of(session)))


def people_who_may_be_invited(*, session: Session) -> QuerySet[Person]:
    """Active people who may be invited to ``session`` (``INVITABLE_RULE``)."""
    return _filtered(Person.objects.all(), INVITABLE_RULE.people_q(_facts_of(session)))


def people_who_may_see_programme(*, programme: Programme) -> QuerySet[Person]:
    """Active people who may see (and propose into) ``programme`` (``PROGRAMME_RULE``)."""
    return _filtered(Person.objects.all(), PROGRAMME_RULE.people_q(_facts_of(programme)))


def may_see(person: Person, session: Session, *, facts: SessionFacts | None = None) -> bool:
    """Whether ``person`` may see ``session``, on the objects at hand (``facts``, e.g. from
    ``session_facts`` for many sessions; without them, a few small queries load this one's)."""
    person_facts = _person_facts(person)
    if person_facts is None:
        return False
    if facts is None:
        facts = session_facts([session])[session.pk]
    return SESSION_RULE.holds(person_facts, facts)


def may_see_programme(person: Person, programme: Programme) -> bool:
    person_facts = _person_facts(person)
    if person_facts is None:
        return False
    return PROGRAMME_RULE.holds(person_facts, programme_facts([programme])[programme.pk])


def sessions_sql(*, person: Person, sql: Sql, rule: Node = SESSION_RULE) -> str:
    """A SQL condition on the session alias ``sql.session`` (with its programme joined as
    ``sql.programme``): ``person`` may see it. Its parameters are added to ``sql.params``."""
    facts = _person_facts(person)
    return _sql_text(False if facts is None else rule.sessions_sql(facts, sql))


def people_sql(*, session: Session, sql: Sql, rule: Node = SESSION_RULE) -> str:
    """A SQL condition on the person alias ``sql.person``: may see ``session`` (or, with
    ``rule=INVITABLE_RULE``, may be invited to it). Its parameters are added to ``sql.params``."""
    return _sql_text(rule.people_sql(_facts_of(session), sql))


def _sql_text(rendered: Rendered) -> str:
    if rendered is True:
        return "1 = 1"
    if rendered is False:
        return "1 = 0"
    return f"({rendered})"


# --- who a session is open to, and search tokens ---------------------------------------------


def open_to_teams(facts: SessionFacts) -> frozenset[int] | None:
    """``None`` when ``OPEN`` lets everyone in, else the teams whose members it lets in
    (without a personal link). Read from ``OPEN`` itself, team by team."""
    if OPEN.holds(_NOBODY, facts):
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
    if INVITABLE_OPEN.holds(_NOBODY, facts):
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
    facts = _person_facts(person)
    assert facts is not None
    session_links = " UNION ".join(
        atom.grants_sql(facts, sql) for atom in _PERSONAL_ATOMS if isinstance(atom, _PersonalLink)
    )
    open_text = _sql_text(OPEN.sessions_sql(facts, sql))
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
    "search_grants",
    "search_grants_sql",
    "search_tokens",
    "session_facts",
    "sessions_q",
    "sessions_sql",
    "sessions_visible_to",
]
