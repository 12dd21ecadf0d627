"""The programme's part of the visibility rule: who may see a programme (and so propose into it).

The one visibility rule is read in ``kshare/visibility/rules.py``: who may see a session, who may
be invited to one, who may see a programme. The session rule is built from the conditions here
(active, admin, organiser of the programme, programme open) and adds the session's own (host,
invitee, session open). This part lives with programmes because it reads nothing of sessions:
``programmes`` (layer 3) answers "which programmes may this person see" without importing
the layer above it, and ``kshare/visibility/rules.py`` (layer 4) builds on this module rather
than beside it. The machinery (conditions that render as a ``Q``, a predicate and SQL, folded
with ``All``/``AnyOf``) is here for the same reason; the module docstring of ``rules.py``
describes it, and ``kshare/visibility/tests/test_parity.py`` checks every rendering.

    PROGRAMME_RULE = active AND (admin OR organiser OR programme open)
    programme open = public OR the person's team is one of the programme's teams
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from kshare.people.models import Person, Role
from kshare.programmes.models import Programme
from kshare.programmes.models import Visibility as ProgrammeVisibility

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

    @property
    def programme(self) -> ProgrammeFacts:
        # A programme is its own programme: the programme atoms read ``facts.programme`` alike
        # for a session's facts and a programme's.
        return self


class Facts(Protocol):
    """What a rule is asked about: a programme, or a session (``visibility.rules.SessionFacts``)."""

    @property
    def pk(self) -> int: ...

    @property
    def visibility(self) -> str: ...

    @property
    def programme(self) -> ProgrammeFacts: ...


def _programme_of(facts: Facts) -> ProgrammeFacts:
    return facts.programme


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


def programme_ref(on: str) -> str:
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
                programme_id=OuterRef(programme_ref(on)), person_id=person.pk
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
        return self.holds(NOBODY, facts)

    def sessions_sql(self, person: PersonFacts, sql: Sql) -> Rendered:
        return (
            f"{sql.col(sql.programme, 'visibility')} = "
            f"{sql.param('programme_' + self.value, self.value)}"
        )

    def people_sql(self, facts: Facts, sql: Sql) -> Rendered:
        return self.holds(NOBODY, facts)


class InTeams(Atom):
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


class InProgrammeTeam(InTeams):
    name = "in programme team"
    through = Programme.teams.through
    owner = "programme_id"

    def _teams(self, facts: Facts) -> frozenset[int]:
        return _programme_of(facts).teams

    def _owner_pk(self, facts: Facts) -> int:
        return _programme_of(facts).pk

    def _owner_ref(self, on: str) -> str:
        return programme_ref(on)

    def _owner_sql(self, sql: Sql) -> str:
        return sql.col(sql.session, "programme_id")


# A person with no team and no link: "is it open to everyone?"
NOBODY = PersonFacts(pk=0, team_id=None, is_active=True, is_admin=False)


# --- combining: constants fold away, so no empty Q ever vanishes inside an OR ------------------


class Node(Protocol):
    def __hash__(self) -> int: ...  # rules are module constants, memoised by identity
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


# --- THE definitions of the programme's part ----------------------------------------------------


ACTIVE, ADMIN, ORGANISER = Active(), Admin(), Organiser()
PROGRAMME_OPEN = AnyOf(ProgrammeIs(ProgrammeVisibility.PUBLIC), InProgrammeTeam())

# Who may see a programme, and so propose a session into it.
PROGRAMME_RULE = All(ACTIVE, AnyOf(ADMIN, ORGANISER, PROGRAMME_OPEN))


# --- renderings ------------------------------------------------------------------------------


def facts_of_person(person: Any) -> PersonFacts | None:
    """``None`` for the anonymous user (nobody: sees nothing)."""
    if person is None or not getattr(person, "is_authenticated", False):
        return None
    return PersonFacts.of(person)


@functools.lru_cache(maxsize=1024)
def rule_q(rule: Node, person: PersonFacts, on: str) -> Rendered:
    """``rule.sessions_q(person, on)``, built once per process for each person's facts.

    A rule's ``Q`` depends on nothing but ``person`` (a frozen dataclass: id, team, active,
    admin) and ``on``; everything else is in the database, inside its subqueries. Building it
    walks the whole tree and makes a dozen ``Exists``, about 0.8 ms each time, several times on
    one page; a ``Q`` is never changed in place (``filter``, ``&`` and ``|`` make new ones, and
    resolving a subquery copies it), so one object serves every request and thread.
    """
    return rule.sessions_q(person, on)


def as_q(rendered: Rendered) -> Q:
    if rendered is True:
        return Q()
    if rendered is False:
        return Q(pk__in=[])
    return rendered if isinstance(rendered, Q) else Q(rendered)


def filtered_by(queryset: QuerySet[Any], rendered: Rendered) -> QuerySet[Any]:
    if rendered is False:
        return queryset.none()
    if rendered is True:
        return queryset
    return queryset.filter(as_q(rendered))


def programmes_visible_to(*, person: Person) -> QuerySet[Programme]:
    """Programmes ``person`` may see and propose into (``PROGRAMME_RULE``)."""
    facts = facts_of_person(person)
    rendered = False if facts is None else rule_q(PROGRAMME_RULE, facts, "programme")
    return filtered_by(Programme.objects.all(), rendered)


def people_who_may_see_programme(*, programme: Programme) -> QuerySet[Person]:
    """Active people who may see (and propose into) ``programme`` (``PROGRAMME_RULE``)."""
    facts = ProgrammeFacts(pk=programme.pk, visibility=programme.visibility)
    return filtered_by(Person.objects.all(), PROGRAMME_RULE.people_q(facts))


def may_see_programme(person: Person, programme: Programme) -> bool:
    person_facts = facts_of_person(person)
    if person_facts is None:
        return False
    return PROGRAMME_RULE.holds(person_facts, programme_facts([programme])[programme.pk])


def sql_text(rendered: Rendered) -> str:
    if rendered is True:
        return "1 = 1"
    if rendered is False:
        return "1 = 0"
    return f"({rendered})"
