"""Serving recommendations: reads of the cache, never a retraining.

The rules, in one place:

- A person's **upcoming sessions** and **recordings** come from the rows the last training stored
  (``Recommendation``), filtered again at read time: only sessions the person may see *now*
  (``sessions_visible_to``), upcoming ones that have not started, recordings of held sessions
  with material, none they attended, host, answered (yes or no) or dismissed ("not
  interested"), and no recording they marked as watched.
- **Cold start**: someone with nothing stored (new since the last training, or all of it is gone
  by now) gets sessions tagged with their skills (higher level first) and interests, then what
  their team (or everyone) said yes to or attended lately — computed in a few queries, no model.
- **Suggested invitees** for a session: the people who may see it and are not invited or hosting,
  ranked by their skills and interests matching the session's tags, by having attended the
  sessions most similar to it (stored by the training) and by their team's yeses; each with its
  reason.
- **Hosts for a topic request or idea**: the engine's ExpertFinder fitted after the last training
  (``experts_adapter``: talks given with their text and feedback, skills with level), with
  reasons; without a fitted finder, the database scorer ``hosts_for``.
- **Topics for a host**: open topic requests ranked by how well the person's skills, interests
  and the sessions they hosted match the request's tags and words, +1s breaking ties.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kshare.ideas.models import Idea
from kshare.library.models import CatchUpSignal, Material
from kshare.people.models import Person, Skill
from kshare.recommend import reasons as reason_texts
from kshare.recommend.models import Recommendation, SimilarSession, TrainingRun
from kshare.recommend.reasons import level_shown, one_decimal, reason_shown, reason_stored
from kshare.sessions.models import Attendance, Invitation, Session, SessionHost, State
from kshare.sessions.selectors import sessions_visible_to
from kshare.topics.models import TopicRequest
from kshare.visibility import rules

FEED_SIZE = 5
COLD_CANDIDATES = 60
POPULAR_DAYS = 90
INVITEES = 10
SHORTLIST_FACTOR = 3
TOPICS = 6
HOSTS = 5


@dataclass(frozen=True)
class Recommended:
    """One recommended session (or recording) and why."""

    session: Session
    reason: str


@dataclass(frozen=True)
class Invitee:
    person: Person
    score: float
    reasons: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def _mine(person_id: int, kind: str) -> list[Exists]:
    """What ``person`` is never shown, one correlated ``EXISTS`` each on a (session, person)
    index: attended, hosts, answered or dismissed (upcoming); for recordings anything signalled
    (watched, dismissed), invited, or tagged with an interest — already on the catch-up page's
    own list (kshare.library.catchup), not twice."""

    def on(model, **extra) -> Exists:
        return Exists(model.objects.filter(session_id=OuterRef("pk"), person_id=person_id, **extra))

    mine = [on(Attendance), on(SessionHost)]
    if kind == Recommendation.Kind.SESSION:
        mine.append(on(Invitation, response__in=[Invitation.Response.YES, Invitation.Response.NO]))
        mine.append(on(CatchUpSignal, kind=CatchUpSignal.Kind.NOT_INTERESTED))
    else:
        mine.append(on(CatchUpSignal))
        mine.append(on(Invitation))
        mine.append(
            Exists(
                Session.tags.through.objects.filter(
                    session_id=OuterRef("pk"),
                    tag_id__in=Person.interests.through.objects.filter(person_id=person_id).values(
                        "tag_id"
                    ),
                )
            )
        )
    return mine


def _showable(person: Person, kind: str) -> QuerySet[Session]:
    """The sessions ``person`` may be shown as ``kind`` now, every rule in SQL: may see it,
    upcoming and not started (or held with material, for recordings), none of ``_mine``.
    Meant to be narrowed by primary key or by the person's stored rows, never scanned."""
    sessions = sessions_visible_to(person=person)
    if kind == Recommendation.Kind.SESSION:
        sessions = sessions.filter(state=State.SCHEDULED, start__gt=timezone.now())
    else:
        sessions = sessions.filter(
            Exists(Material.objects.filter(session_id=OuterRef("pk"))), state=State.HELD
        )
    for condition in _mine(person.pk, kind):
        sessions = sessions.filter(~condition)
    return sessions


def _cached(person: Person, kind: str, limit: int) -> list[Recommended]:
    """The last training's list for ``person`` as cards, best first, filtered as ``_showable``
    says: ONE hand-written query driven by the (person, kind, rank) index, every rule an indexed
    ``EXISTS`` on the few stored rows, the hosts joined in. Written by hand because building the
    same query through the ORM costs more than running it (``test_serving_queries`` checks that
    both agree)."""
    found = _raw_cards(*_cards_sql(person, kind, limit=limit))
    return [Recommended(session=s, reason=reason_shown(reason)) for s, reason in found.values()]


def _raw_cards(sql: str, params: dict) -> dict[int, tuple[Session, str]]:
    """Run a ``_cards_sql`` query: session pk -> (the session as a card, its stored reason), in
    the query's order, each with its hosts as ``prefetch_related`` would leave them."""
    sessions: dict[int, tuple[Session, str]] = {}
    links: dict[int, list[SessionHost]] = defaultdict(list)
    db = Session.objects.db
    for row in Session.objects.raw(sql, params):
        if row.pk not in sessions:
            sessions[row.pk] = (row, row.recommended_reason or "")  # type: ignore[attr-defined]
        if row.host_link_id is not None:  # type: ignore[attr-defined]
            link = SessionHost.from_db(
                db,
                ["id", "session_id", "person_id", "role"],
                [row.host_link_id, row.pk, row.host_person_id, row.host_role],  # type: ignore[attr-defined]
            )
            link.person = Person.from_db(
                db,
                ["id", "display_name"],
                [row.host_person_id, row.host_display_name],  # type: ignore[attr-defined]
            )
            links[row.pk].append(link)
    for pk, (session, _reason) in sessions.items():
        # As prefetch_related leaves it: session.host_links.all() reads these, no query.
        hosts = SessionHost.objects.all()
        hosts._result_cache = links[pk]
        hosts._prefetch_done = True  # type: ignore[attr-defined]
        session._prefetched_objects_cache = {"host_links": hosts}  # type: ignore[attr-defined]
    return sessions


def _cards_sql(
    person: Person, kind: str, *, limit: int, ids: list[int] | None = None
) -> tuple[str, dict]:
    """The SQL of ``_cached`` — or, given ``ids``, of the same cards for those sessions (cold
    start candidates) — see ``_showable`` and ``sessions_visible_to`` for the rules.
    Only table and column names from the models' meta are put in the text (``noqa: S608``);
    every value is a parameter."""
    from django.db import connection

    from kshare.programmes.models import Programme

    q = connection.ops.quote_name

    def table(model) -> str:
        return q(model._meta.db_table)

    def select(model, column: str = "session_id", extra: str = "") -> str:
        return (
            f"SELECT 1 FROM {table(model)} x WHERE x.{q(column)} = "  # noqa: S608
            f"{'s.' + q('programme_id') if column == 'programme_id' else 's.' + q('id')} "
            f"AND x.{q('person_id')} = %(me)s{extra}"
        )

    def on(model, column: str = "session_id") -> str:
        return f"EXISTS ({select(model, column)})"

    params: dict = {"me": person.pk, "kind": kind, "limit": limit}
    if ids is None:
        where = [f"r.{q('person_id')} = %(me)s", f"r.{q('kind')} = %(kind)s"]
        source = (
            f"r.{q('rank')} AS recommended_rank, r.{q('reason')} AS recommended_reason "
            f"FROM {table(Recommendation)} r "
            f"JOIN {table(Session)} s ON s.{q('id')} = r.{q('session_id')} "
        )
        order = f"r.{q('rank')}"
    else:
        params.update({f"id{n}": pk for n, pk in enumerate(ids)})
        where = [f"s.{q('id')} IN ({', '.join(f'%(id{n})s' for n in range(len(ids)))})"]
        source = (
            f"s.{q('id')} AS recommended_rank, NULL AS recommended_reason FROM {table(Session)} s "
        )
        order = f"s.{q('id')}"
    if kind == Recommendation.Kind.SESSION:
        params["scheduled"], params["now"] = (
            State.SCHEDULED,
            connection.ops.adapt_datetimefield_value(timezone.now()),
        )
        where.append(f"s.{q('state')} = %(scheduled)s AND s.{q('start')} > %(now)s")
    else:
        params["held"] = State.HELD
        where.append(
            f"s.{q('state')} = %(held)s AND EXISTS (SELECT 1 FROM {table(Material)} x "  # noqa: S608
            f"WHERE x.{q('session_id')} = s.{q('id')})"
        )
    # Who may see it: the one rule (kshare.visibility.rules), rendered as SQL on s and g.
    where.append(rules.sessions_sql(person=person, sql=rules.Sql(params=params)))
    # One NOT EXISTS over a UNION ALL, not one per rule: PostgreSQL then checks it per stored row
    # (a few) instead of planning an anti-join for each rule, which cost more than running it.
    mine = [select(Attendance), select(SessionHost)]
    if kind == Recommendation.Kind.SESSION:
        params["yes"], params["no"] = Invitation.Response.YES, Invitation.Response.NO
        params["not_interested"] = CatchUpSignal.Kind.NOT_INTERESTED
        mine.append(select(Invitation, extra=f" AND x.{q('response')} IN (%(yes)s, %(no)s)"))
        mine.append(select(CatchUpSignal, extra=f" AND x.{q('kind')} = %(not_interested)s"))
    else:
        mine += [select(CatchUpSignal), select(Invitation)]
        mine.append(
            f"SELECT 1 FROM {table(Session.tags.through)} x JOIN "  # noqa: S608
            f"{table(Person.interests.through)} i ON i.{q('tag_id')} = x.{q('tag_id')} "
            f"WHERE x.{q('session_id')} = s.{q('id')} AND i.{q('person_id')} = %(me)s"
        )
    where.append(f"NOT EXISTS ({' UNION ALL '.join(mine)})")
    columns = ", ".join(f"s.{q(c)}" for c in ("id", "title", "format", "start", "end", "state"))
    sql = (
        f"SELECT c.*, h.{q('id')} AS host_link_id, h.{q('role')} AS host_role, "  # noqa: S608
        f"p.{q('id')} AS host_person_id, p.{q('display_name')} AS host_display_name "
        f"FROM (SELECT {columns}, {source}"
        f"JOIN {table(Programme)} g ON g.{q('id')} = s.{q('programme_id')} "
        f"WHERE {' AND '.join(where)} "
        f"ORDER BY {order} LIMIT %(limit)s) c "
        f"LEFT JOIN {table(SessionHost)} h ON h.{q('session_id')} = c.{q('id')} "
        f"LEFT JOIN {table(Person)} p ON p.{q('id')} = h.{q('person_id')} "
        f"ORDER BY c.recommended_rank, h.{q('role')} DESC, h.{q('id')}"
    )
    return sql, params


def _checked(person: Person, kind: str, ids: list[int]) -> dict[int, Session]:
    """The sessions of ``ids`` that may still be shown to ``person`` now, as cards: one query
    driven by the primary keys (``_cards_sql``)."""
    if not ids:
        return {}
    found = _raw_cards(*_cards_sql(person, kind, limit=len(ids), ids=ids))
    return {pk: session for pk, (session, _) in found.items()}


def _stored_popular(kind: str, team_id: int | None) -> tuple[list[int], bool]:
    """The last training's most popular sessions of ``kind`` in the team (else overall), and
    whether they are the team's."""
    details = (
        TrainingRun.objects.filter(status=TrainingRun.Status.DONE)
        .order_by("-started_at")
        .values_list("details", flat=True)
        .first()
    ) or {}
    popular = details.get("popular", {}).get(kind, {})
    if team_id is not None and popular.get(str(team_id)):
        return list(popular[str(team_id)]), True
    return list(popular.get("all", [])), False


def _skill_tags(person: Person) -> tuple[dict[int, tuple[int, str]], dict[int, str]]:
    skills = {
        tag_id: (level, name)
        for tag_id, level, name in Skill.objects.filter(person=person).values_list(
            "tag_id", "level", "tag__name"
        )
    }
    interests = dict(
        Person.interests.through.objects.filter(person_id=person.pk).values_list(
            "tag_id", "tag__name"
        )
    )
    return skills, interests


def _cold(person: Person, kind: str, skip: set[int]) -> dict[int, str]:
    """Candidates for someone the cache does not cover (session pk -> reason, best first):
    sessions tagged with their skills (higher level first) and interests, then what their team
    (or everyone) liked lately as the last training stored it. No model runs here."""
    skills, interests = _skill_tags(person)
    upcoming = kind == Recommendation.Kind.SESSION
    tag_ids = set(skills) | set(interests)
    by_session: dict[int, list[int]] = defaultdict(list)
    if tag_ids:
        links = Session.tags.through.objects.filter(tag_id__in=tag_ids)
        if upcoming:
            links = links.filter(
                session__state=State.SCHEDULED, session__start__gt=timezone.now()
            ).order_by("session__start", "session_id")
        else:
            links = links.filter(session__state=State.HELD).order_by(
                "-session__start", "-session_id"
            )
        for session_id, tag_id in links.values_list("session_id", "tag_id")[: COLD_CANDIDATES * 4]:
            if session_id not in skip:
                by_session[session_id].append(tag_id)

    def rank(session_id: int) -> tuple:
        own = [skills[t][0] for t in by_session[session_id] if t in skills]
        liked = [t for t in by_session[session_id] if t in interests]
        return (-max(own, default=0), -len(own), -len(liked))

    found: dict[int, str] = {}
    for session_id in sorted(by_session, key=rank)[: COLD_CANDIDATES // 2]:  # stable: soonest
        own = sorted((skills[t] for t in by_session[session_id] if t in skills), reverse=True)
        if own:
            found[session_id] = reason_stored(reason_texts.SKILL, name=own[0][1])
        else:
            names = sorted(interests[t] for t in by_session[session_id] if t in interests)
            found[session_id] = reason_stored(reason_texts.INTEREST, name=names[0])
    popular, in_team = _stored_popular(kind, person.team_id)
    text = reason_texts.POPULAR_IN_TEAM if in_team else reason_texts.POPULAR
    for session_id in popular:
        if session_id not in skip:
            found.setdefault(session_id, text)
    return found


def recommended_for(*, person: Person, kind: str, limit: int = FEED_SIZE) -> list[Recommended]:
    """``person``'s recommended upcoming sessions (``kind="session"``) or recordings
    (``"recording"``), best first, each with its reason (see the module for the rules).

    From the cache: two queries (the stored rows joined with the sessions, every rule applied in
    SQL; the hosts). When fewer than ``limit`` are left, the cold-start candidates fill the rest."""
    if not person.is_authenticated or not person.is_active:
        return []
    found = _cached(person, kind, limit)
    if len(found) >= limit:
        return found
    shown = {r.session.pk for r in found}
    candidates = _cold(person, kind, skip=shown)
    checked = _checked(person, kind, list(candidates))
    found += [
        Recommended(session=checked[pk], reason=reason_shown(reason))
        for pk, reason in candidates.items()
        if pk in checked
    ]
    return found[:limit]


# --- suggested invitees -------------------------------------------------------------------


def invitees_for(*, session: Session, limit: int = INVITEES) -> list[Invitee]:
    """People to invite to ``session``, best first, with reasons (see the module).

    Hand-written SQL, as the feed's (building these through the ORM cost more than running them),
    only of people who may see the session and are neither invited nor hosting: every signal and
    the yeses per team in one query (``_invitee_sql``); when a team said yes, the first few of
    each such team (``_team_members_sql``: they all score the same; reading all of them was most
    of the time); then the best ``limit`` as people. The best are chosen by score then by who
    joined first, and shown by score then by name."""
    from django.db import connection

    scores: dict[int, float] = defaultdict(float)
    reasons: dict[int, list[tuple[float, str]]] = defaultdict(list)
    teams: dict[int, int | None] = {}
    attended: dict[int, tuple[float, str]] = {}
    team_yes: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(*_invitee_sql(session, _invitee_tags(session)))
        rows = cursor.fetchall()
        for kind, person_id, team_id, value, label in rows:
            if kind == "y":
                team_yes[team_id] = int(value)
                continue
            teams[person_id] = team_id
            if kind == "s":
                points = 1.0 + value
                scores[person_id] += points
                reasons[person_id].append(
                    (
                        points,
                        _("skill: %(name)s (%(level)s)")
                        % {"name": label, "level": level_shown(int(value))},
                    )
                )
            elif kind == "i":
                scores[person_id] += 1.5
                reasons[person_id].append((1.5, _("interested in %(name)s") % {"name": label}))
            else:  # "a": attended one of the sessions most similar to this one
                points = 2.0 * value
                scores[person_id] += points
                if points > attended.get(person_id, (0.0, ""))[0]:
                    attended[person_id] = (points, label)
        if team_yes:
            # A team's members with a signal of their own outrank the rest of it: among its
            # first ``limit`` are all of it that can make the list.
            cursor.execute(*_team_members_sql(session, sorted(team_yes), limit))
            for person_id, team_id in cursor.fetchall():
                teams.setdefault(person_id, team_id)
    for person_id, (points, title) in attended.items():
        reasons[person_id].append((points, _("attended '%(title)s'") % {"title": title}))
    for person_id, team_id in teams.items():
        n = team_yes.get(team_id, 0) if team_id is not None else 0
        if n:
            points = min(n, 5) * 0.4
            scores[person_id] += points
            going = ngettext(
                "%(count)d from your team is going", "%(count)d from your team are going", n
            ) % {"count": n}
            reasons[person_id].append((points, going))
    best = sorted(scores, key=lambda pk: (-scores[pk], pk))[:limit]
    if not best:
        return []
    people = Person.objects.select_related("team").in_bulk(best)
    ranked = [
        Invitee(
            person=people[pk],
            score=scores[pk],
            reasons=[r for _, r in sorted(reasons[pk], key=lambda r: -r[0])[:2]],
        )
        for pk in best
        if pk in people
    ]
    ranked.sort(key=lambda i: (-i.score, i.person.display_name, i.person.pk))
    return ranked


def _q(name: str) -> str:
    from django.db import connection

    return connection.ops.quote_name(name)


def _table(model) -> str:
    return _q(model._meta.db_table)


def _may_be_invited(session: Session, params: dict) -> str:
    """SQL on person ``p``: may be invited to ``session`` (``rules.INVITABLE_RULE``, the rule of
    ``rules.people_who_may_be_invited``) and is neither invited nor hosting. Adds its values
    (and ``session``, which the callers' SQL uses too) to ``params``."""
    q, table = _q, _table
    params.update({"session": session.pk})
    return " AND ".join(
        [
            rules.people_sql(
                session=session, sql=rules.Sql(params=params), rule=rules.INVITABLE_RULE
            ),
            f"NOT EXISTS (SELECT 1 FROM {table(Invitation)} x WHERE x.{q('session_id')} = "  # noqa: S608
            f"%(session)s AND x.{q('person_id')} = p.{q('id')})",
            f"NOT EXISTS (SELECT 1 FROM {table(SessionHost)} x WHERE x.{q('session_id')} = "  # noqa: S608
            f"%(session)s AND x.{q('person_id')} = p.{q('id')})",
        ]
    )


def _invitee_tags(session: Session) -> list[int]:
    """The session's tags; for a session without tags, the known tags its title and abstract
    name (``tags_in_text``), so that skills and interests still find the people for it."""
    from kshare.tags.selectors import tags_in_text

    tagged = [tag.pk for tag in session.tags.all()]  # prefetched by the session page
    if tagged:
        return tagged
    return [tag.pk for tag in tags_in_text(text=f"{session.title}\n{session.abstract or ''}")]


def _invitee_sql(session: Session, tag_ids: list[int]) -> tuple[str, dict]:
    """The first SQL of ``invitees_for``: rows of (kind, person, team, value, label), kind "s" a
    skill on one of ``tag_ids`` (value: level, label: tag), "i" an interest (label: tag),
    "a" an attendance of one of the 10 sessions the training stored as most similar (value:
    similarity, label: title), each only of people ``_may_be_invited``; "y" a team's yeses
    (value: how many). Only table and column names from the models' meta are put in the text
    (``noqa: S608``); every value is a parameter."""
    from kshare.tags.models import Tag

    q, table = _q, _table
    similar = table(SimilarSession)
    params: dict = {"yes": Invitation.Response.YES}
    visible = _may_be_invited(session, params)
    person = f"p.{q('id')}, p.{q('team_id')}"
    params.update({f"tag{n}": tag_id for n, tag_id in enumerate(tag_ids)})
    in_tags = ", ".join(f"%(tag{n})s" for n in range(len(tag_ids)))

    def on_tags(kind: str, through: str, value: str) -> str:
        return (
            f"SELECT '{kind}', {person}, {value}, t.{q('name')} FROM {through} k "  # noqa: S608
            f"JOIN {table(Tag)} t ON t.{q('id')} = k.{q('tag_id')} "
            f"JOIN {table(Person)} p ON p.{q('id')} = k.{q('person_id')} "
            f"WHERE k.{q('tag_id')} IN ({in_tags}) AND {visible}"
        )

    parts = [
        *(
            [
                on_tags("s", table(Skill), f"k.{q('level')}"),
                on_tags("i", table(Person.interests.through), "0"),
            ]
            if tag_ids
            else []
        ),
        f"SELECT 'a', {person}, ss.{q('score')}, o.{q('title')} FROM {similar} ss "  # noqa: S608
        f"JOIN {table(Attendance)} a ON a.{q('session_id')} = ss.{q('other_id')} "
        f"JOIN {table(Session)} o ON o.{q('id')} = ss.{q('other_id')} "
        f"JOIN {table(Person)} p ON p.{q('id')} = a.{q('person_id')} "
        f"WHERE ss.{q('session_id')} = %(session)s AND ss.{q('other_id')} IN ("
        f"SELECT x.{q('other_id')} FROM {similar} x WHERE x.{q('session_id')} = %(session)s "
        f"ORDER BY x.{q('score')} DESC, x.{q('other_id')} LIMIT 10) AND {visible}",
        f"SELECT 'y', NULL, p.{q('team_id')}, COUNT(*), NULL "  # noqa: S608
        f"FROM {table(Invitation)} i JOIN {table(Person)} p ON p.{q('id')} = i.{q('person_id')} "
        f"WHERE i.{q('session_id')} = %(session)s AND i.{q('response')} = %(yes)s "
        f"AND p.{q('team_id')} IS NOT NULL GROUP BY p.{q('team_id')}",
    ]
    return " UNION ALL ".join(parts), params


def _team_members_sql(session: Session, teams: list[int], limit: int) -> tuple[str, dict]:
    """The second SQL of ``invitees_for``: (person, team) of the first ``limit`` (by primary key)
    people ``_may_be_invited`` of each of ``teams``, one index range each."""
    q, table = _q, _table
    params: dict = {"limit": limit}
    visible = _may_be_invited(session, params)
    parts = []
    for n, team_id in enumerate(teams):
        params[f"team{n}"] = team_id
        parts.append(
            f"SELECT * FROM (SELECT p.{q('id')}, p.{q('team_id')} FROM {table(Person)} p "  # noqa: S608
            f"WHERE p.{q('team_id')} = %(team{n})s AND {visible} "
            f"ORDER BY p.{q('id')} LIMIT %(limit)s) m{n}"
        )
    return " UNION ALL ".join(parts), params


# --- hosts for a topic request ------------------------------------------------------------


@dataclass(frozen=True)
class Host:
    person: Person
    score: float
    reasons: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def hosts_for_topic(*, viewer: Person, topic: TopicRequest, limit: int = HOSTS) -> list[Host]:
    """People who could host ``topic``, best first, with reasons: from the host finder fitted
    after the last training (``experts_adapter``), else from the database (``hosts_for``). The
    requester and people who already volunteered are left out (the page lists volunteers
    itself)."""
    tags = dict(topic.tags.values_list("pk", "name"))
    left_out = {topic.requester_id, *topic.volunteers.values_list("person_id", flat=True)}
    found = _hosts_from_finder(
        viewer=viewer,
        title=topic.title,
        text=topic.description,
        tags=tags,
        left_out=left_out,
        limit=limit,
    )
    if found is not None:
        return found
    return hosts_for(
        viewer=viewer, title=topic.title, tags=tags, exclude=Q(pk__in=left_out), limit=limit
    )


def hosts_for_idea(*, viewer: Person, idea: Idea, limit: int = HOSTS) -> list[Host]:
    """People who could run ``idea`` as a session (as ``hosts_for_topic``): its words, and the
    tags of the session it came from; its author is left out."""
    tags = (
        dict(
            Session.tags.through.objects.filter(session_id=idea.session_id).values_list(
                "tag_id", "tag__name"
            )
        )
        if idea.session_id
        else {}
    )
    found = _hosts_from_finder(
        viewer=viewer,
        title=idea.title,
        text=idea.description,
        tags=tags,
        left_out={idea.author_id},
        limit=limit,
    )
    if found is not None:
        return found
    return hosts_for(
        viewer=viewer, title=idea.title, tags=tags, exclude=Q(pk=idea.author_id), limit=limit
    )


def _hosts_from_finder(
    *,
    viewer: Person,
    title: str,
    text: str,
    tags: dict[int, str],
    left_out: set[int],
    limit: int,
) -> list[Host] | None:
    """The fitted host finder's ranking (``None`` when there is no fitted finder or it finds
    nobody, e.g. for words no talk or skill has: the database scorer answers then). Four
    queries: the index's id, the people, the talks ``viewer`` may see, the skills."""
    from kshare.recommend import experts_adapter

    fitted = experts_adapter.experts_loaded()
    if fitted is None:
        return None
    query = "\n".join([title, *tags.values(), text or ""])
    ranked = experts_adapter.hosts_ranked(
        fitted, query=query, tags=list(tags.values()), exclude=left_out, limit=limit
    )
    if not ranked:
        return None
    people = {
        p.pk: p
        for p in Person.objects.filter(is_active=True, pk__in=[h.person_id for h in ranked])
        .exclude(pk__in=left_out)
        .select_related("team")
    }
    ranked = [h for h in ranked if h.person_id in people][:limit]
    reasons = experts_adapter.host_reasons(
        fitted,
        viewer=viewer,
        ranked=ranked,
        tag_ids=tags,
        words=set(_WORD.findall(title.lower())) - _STOP,
    )
    return [
        Host(person=people[h.person_id], score=h.score, reasons=reasons[h.person_id])
        for h in ranked
    ]


def hosts_for(
    *, viewer: Person, title: str, tags: dict[int, str], exclude: Q, limit: int = HOSTS
) -> list[Host]:
    """People who could host a topic, best first: their declared skills on its ``tags``, the held
    sessions they hosted on its tags or the longest words of its ``title`` (only sessions
    ``viewer`` may see count; a talk given weighs more than a declared skill) and those sessions'
    overall feedback. Six queries whatever the number of people."""
    from kshare.feedback.models import Answer, Question

    words = sorted(_title_words(title) - _STOP, key=len, reverse=True)[:3]
    scores: dict[int, float] = defaultdict(float)
    reasons: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for person_id, tag_id, level in Skill.objects.filter(tag_id__in=tags).values_list(
        "person_id", "tag_id", "level"
    ):
        points = 1.0 + level
        scores[person_id] += points
        reasons[person_id].append(
            (
                points,
                _("skill: %(name)s (%(level)s)")
                % {"name": tags[tag_id], "level": level_shown(level)},
            )
        )
    on_topic = Q(session__tags__in=tags) if tags else Q(pk__in=[])
    for word in words:
        on_topic |= Q(session__title__icontains=word)
    held = sessions_visible_to(person=viewer).filter(state=State.HELD)
    tagged = (
        set(
            Session.tags.through.objects.filter(tag_id__in=tags, session__in=held)
            .values_list("session_id", flat=True)
            .order_by()
        )
        if tags
        else set()
    )
    hosted: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for person_id, session_id, title in (
        SessionHost.objects.filter(on_topic, session__in=held)
        .distinct()
        .order_by("-session__start", "-session_id")
        .values_list("person_id", "session_id", "session__title")[:2000]
    ):
        # ``icontains`` finds "go" in "Django": only a whole word of the title counts.
        if session_id in tagged or _title_words(title) & set(words):
            hosted[person_id].append((session_id, title))
    sessions = {sid for talks in hosted.values() for sid, _ in talks}
    ratings = dict(
        Answer.objects.filter(
            question__purpose=Question.Purpose.OVERALL,
            number__isnull=False,
            response__released=True,
            response__session_id__in=sessions,
        )
        .values_list("response__session_id")
        .annotate(mean=Avg("number"))
        .order_by()
    )
    for person_id, talks in hosted.items():
        points = 3.0 * min(len(talks), 3)  # a talk given says more than a declared skill
        scores[person_id] += points
        n = len(talks)
        text = (
            ngettext(
                "hosted '%(title)s' and %(count)d more on it",
                "hosted '%(title)s' and %(count)d more on it",
                n - 1,
            )
            % {"title": talks[0][1], "count": n - 1}
            if n > 1
            else _("hosted '%(title)s'") % {"title": talks[0][1]}
        )
        reasons[person_id].append((points, text))
        rated = [ratings[sid] for sid, _ in talks if sid in ratings]
        if rated:
            mean = sum(rated) / len(rated)
            scores[person_id] += (mean - 3) * 0.75
            if mean >= 4:
                rated_text = _("rated %(rating)s/5 by attendees") % {"rating": one_decimal(mean)}
                reasons[person_id].append((0.1, rated_text))
    if not scores:
        return []
    people = (
        Person.objects.filter(is_active=True, pk__in=list(scores))
        .exclude(exclude)
        .select_related("team")
    )
    ranked = [
        Host(
            person=p,
            score=scores[p.pk],
            reasons=[r for _, r in sorted(reasons[p.pk], key=lambda r: -r[0])[:2]],
        )
        for p in people
    ]
    ranked.sort(key=lambda h: (-h.score, h.person.display_name, h.person.pk))
    return ranked[:limit]


# --- topics for a host --------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9][a-z0-9+#.-]{1,}")


def _title_words(title: str) -> set[str]:
    """Lower-case words of a title, a sentence's full stop not part of the last one."""
    return {word.rstrip(".-") for word in _WORD.findall(title.lower())} - {""}


@dataclass(frozen=True)
class TopicSuggestion:
    title: str
    reason: str
    url: str


def topics_for_host(*, person: Person, limit: int = TOPICS) -> list[TopicSuggestion]:
    """ "Topics you could host": open topic requests ranked for ``person`` (see the module),
    then the skills nobody has presented on yet (``topics.selectors.topic_suggestions_for``)."""
    skills, interests = _skill_tags(person)
    hosted_words: set[str] = set()
    for title in SessionHost.objects.filter(person=person).values_list("session__title", flat=True)[
        :200
    ]:
        hosted_words.update(_WORD.findall(title.lower()))
    open_requests = (
        TopicRequest.objects.filter(status=TopicRequest.Status.OPEN, session__isnull=True)
        .exclude(requester=person)
        .annotate(n_votes=Count("votes", distinct=True))
        .prefetch_related("tags")
        .order_by("-n_votes", "-created_at", "-id")[:300]
    )
    ranked = []
    for request in open_requests:
        score = 0.0
        why: list[tuple[float, str]] = []
        for tag in request.tags.all():
            if tag.pk in skills:
                level, name = skills[tag.pk]
                score += 2.0 + level
                why.append((2.0 + level, _(reason_texts.SKILL) % {"name": name}))
            elif tag.pk in interests:
                score += 1.0
                why.append((1.0, _(reason_texts.INTEREST) % {"name": interests[tag.pk]}))
        words = set(_WORD.findall(request.title.lower()))
        shared = sorted(words & hosted_words - _STOP)
        if shared:
            score += 0.5 * len(shared)
            hosted_on = _("you hosted sessions on %(words)s") % {"words": ", ".join(shared[:2])}
            why.append((0.5 * len(shared), hosted_on))
        if score <= 0:
            continue
        score += 0.1 * request.n_votes
        why.sort(key=lambda r: -r[0])
        votes = request.n_votes
        reason = why[0][1]
        if votes:
            reason = ngettext(
                "Requested by %(count)d person · %(reason)s",
                "Requested by %(count)d people · %(reason)s",
                votes,
            ) % {"count": votes, "reason": reason}
        ranked.append((score, request.pk, request.title, reason))
    ranked.sort(key=lambda r: (-r[0], -r[1]))
    found = [
        TopicSuggestion(
            title=title, reason=reason, url=reverse("sessions:propose") + f"?request={pk}"
        )
        for _, pk, title, reason in ranked[:limit]
    ]
    # Then the expertise directory's own suggestions (skills nobody has presented on yet).
    from kshare.topics.selectors import topic_suggestions_for

    urls = {f.url for f in found}
    for extra in topic_suggestions_for(person=person, limit=limit):
        if len(found) >= limit:
            break
        if extra.url not in urls:
            found.append(TopicSuggestion(title=extra.title, reason=extra.reason, url=extra.url))
    return found


_STOP = frozenset(
    {"a", "an", "and", "the", "of", "for", "to", "in", "on", "with", "from", "how", "what"}
    | {"why", "your", "our", "into", "about", "intro", "introduction", "session", "talk"}
)


__all__ = [
    "Invitee",
    "Recommended",
    "TopicSuggestion",
    "invitees_for",
    "recommended_for",
    "topics_for_host",
]
