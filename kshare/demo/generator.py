"""Build the demo organisation in bulk: people, teams, programmes, sessions and their history.

This module plans the company (who, what, when, the words) and hands the rows to the owning
apps' bulk paths, which apply the rules of their one-row services (docs/architecture.md, "The
demo organisation"): ``people_create_bulk``, ``sessions_create_bulk`` (host, default agenda,
length, history, SEQUENCE), ``invitations_create_bulk`` (visibility rule, waitlist),
``attendance_record_bulk`` (attendance history), ``materials_create_bulk``. They announce
nothing but the saved rows (no mail, no webhook), and search indexes those as they commit.
Feedback requests and responses are still written here with ``bulk_create``.

Determinism: everything the demo *says* (people, titles, hosts, tags, states, who was invited,
who answered what, who came) comes from ``random.Random(seed)`` and does not depend on the date.
Dates come from a second generator and are relative to today (midnight, Europe/Berlin), so that
there is always upcoming content.
"""

from __future__ import annotations

import math
import random
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from kshare.demo import ADMIN_EMAIL, DEMO_PASSWORD, MEMBER_EMAIL, ORGANISER_EMAIL
from kshare.demo import content as c
from kshare.feedback.bulk import (
    ResponseEntry,
    feedback_requests_create_bulk,
    feedback_responses_record_bulk,
)
from kshare.feedback.models import (
    Answer,
    FeedbackForm,
    FeedbackRequest,
    ProspectiveHost,
    Response,
)
from kshare.ideas.models import Idea, IdeaStatusChange, IdeaVote
from kshare.ideas.models import Status as IdeaStatus
from kshare.people.models import Person, Role, Skill, Team
from kshare.people.services import people_create_bulk
from kshare.programmes.models import Programme
from kshare.programmes.models import Visibility as ProgrammeVisibility
from kshare.scheduling.rhythm.models import RhythmEvent
from kshare.sessions.attendance import attendance_record_bulk
from kshare.sessions.invitations import invitations_create_bulk
from kshare.sessions.models import (
    DEFAULT_AGENDAS,
    Attendance,
    Format,
    Invitation,
    Level,
    Session,
    SessionChange,
    SessionHost,
    State,
    Visibility,
    format_minutes,
)
from kshare.sessions.services import NewSession, held_note, sessions_create_bulk
from kshare.tags.services import tags_get_or_create
from kshare.topics.models import TopicRequest, TopicVolunteer, TopicVote

MIN_PEOPLE = 10
MAX_PEOPLE = 100_000
EMPTY_DATABASE_MESSAGE = (
    "The database already has people; the demo organisation goes into an empty database."
)
BATCH_SIZE = 2_000
BERLIN = ZoneInfo(c.ORGANISATION_TIMEZONE)

DEFAULT_PROGRAMME = "Knowledge Sharing Sessions"
GUILD_PROGRAMME = "Data Guild"
UPCOMING_DAYS = 56  # eight weeks

# Half-hour start slots from 10:00; the last session ends by 17:00.
FIRST_SLOT = clock(10, 0)
SLOTS_PER_DAY = 14
THURSDAY_15 = 10  # slot index of 15:00
FIRST_FRIDAY_BLOCKED = {12, 13}  # Figure Friday, 16:00-17:00 on the first Friday of the month

# Share of all sessions per state; specials (first talk, the member's sessions) come out of these.
STATE_SHARES = ((State.HELD, 0.40), (State.CANCELLED, 0.10), (State.PROPOSED, 0.20))
AREA_WEIGHTS = {
    "data": 22,
    "engineering": 25,
    "design": 8,
    "product": 8,
    "sales": 12,
    "customer": 8,
    "finance": 5,
    "people": 12,
}
FORMAT_WEIGHTS = {Format.LIGHTNING: 25, Format.TALK: 45, Format.WORKSHOP: 15, Format.DISCUSSION: 15}
LEVEL_WEIGHTS = {Level.ALL: 40, Level.BEGINNER: 30, Level.INTERMEDIATE: 20, Level.ADVANCED: 10}
LOCATIONS = (
    "Berlin office, Spree room",
    "Berlin office, kitchen stage",
    "London office, Thames room",
    "New York office, Hudson room",
    "Bengaluru office, Banyan room",
    "Online",
    "Online",
)
RESPONSES = {
    # state: (yes, maybe, no, pending) weights
    State.HELD: (55, 15, 15, 15),
    State.SCHEDULED: (35, 10, 10, 45),
    State.CANCELLED: (40, 10, 15, 35),
}
ATTEND_CHANCE = {"yes": 0.85, "maybe": 0.4, "pending": 0.1, "no": 0.0}
CITY = {
    "Europe/Berlin": "Berlin",
    "Europe/London": "London",
    "America/New_York": "New York",
    "Asia/Kolkata": "Bengaluru",
    "Europe/Lisbon": "Lisbon",
    "Europe/Warsaw": "Warsaw",
    "Europe/Stockholm": "Stockholm",
    "America/Chicago": "Chicago",
    "America/Los_Angeles": "Los Angeles",
    "Asia/Singapore": "Singapore",
    "Africa/Lagos": "Lagos",
}
# Each city's office, for public holidays (``kshare.people.offices``): country and region.
OFFICE = {
    "Europe/Berlin": ("DE", "BE"),
    "Europe/London": ("GB", "ENG"),
    "America/New_York": ("US", "NY"),
    "Asia/Kolkata": ("IN", "KA"),
    "Europe/Lisbon": ("PT", ""),
    "Europe/Warsaw": ("PL", ""),
    "Europe/Stockholm": ("SE", ""),
    "America/Chicago": ("US", "IL"),
    "America/Los_Angeles": ("US", "CA"),
    "Asia/Singapore": ("SG", ""),
    "Africa/Lagos": ("NG", ""),
}


class DemoError(ValueError):
    """The demo cannot be created as asked; the message says why in one sentence."""


@dataclass
class DemoSummary:
    people: int
    sessions: int
    counts: dict[str, int]
    seconds: float


def demo_session_count(people: int) -> int:
    """About 40 sessions for 60 people, about 20,000 for 5,000 (4 per person at scale)."""
    return max(12, round(4.2 * people * people / (people + 300)))


@dataclass
class _Plan:
    """One session as decided by the content generator, before dates are placed."""

    title: str
    abstract: str
    format: str
    level: str
    programme: int  # 0 default, 1 guild
    area: str
    tags: list[int]
    host: int
    cohost: int | None
    state: str
    future: bool  # upcoming (scheduled, or cancelled before its date)
    visibility: str
    teams: list[int]
    capacity: int | None
    location: str
    rescheduled: bool
    cancel_reason: str = ""
    special: str = ""
    # Placed later:
    start: datetime | None = None
    end: datetime | None = None
    created_at: datetime | None = None
    scheduled_at: datetime | None = None
    old_start: datetime | None = None


@dataclass
class _World:
    person_ids: list[int] = field(default_factory=list)
    team_of: dict[int, int] = field(default_factory=dict)
    team_members: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    area_people: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    skilled: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    interested: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    email_of: dict[int, str] = field(default_factory=dict)


class _Writer:
    """Buffers rows per model and inserts them in batches, counting what was written."""

    def __init__(self) -> None:
        self.buffers: dict[type[models.Model], list[models.Model]] = {}
        self.counts: dict[str, int] = defaultdict(int)

    def add(self, obj: models.Model) -> None:
        rows = self.buffers.setdefault(type(obj), [])
        rows.append(obj)
        if len(rows) >= BATCH_SIZE * 5:
            self.flush(type(obj))

    def flush(self, model: type[models.Model] | None = None) -> None:
        for kind in [model] if model else list(self.buffers):
            rows = self.buffers.get(kind) or []
            if rows:
                kind.objects.bulk_create(rows, batch_size=BATCH_SIZE)
                self.counts[kind._meta.label] += len(rows)
                self.buffers[kind] = []


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _cap(subject: c.Subject) -> str:
    return subject.name if subject.brand else subject.name[:1].upper() + subject.name[1:]


def _weighted(rng: random.Random, weights: dict) -> Callable[[], object]:
    keys = list(weights)
    cum: list[float] = []
    total = 0.0
    for key in keys:
        total += weights[key]
        cum.append(total)
    return lambda: rng.choices(keys, cum_weights=cum)[0]


def _berlin(day: date, slot: int) -> datetime:
    local = datetime.combine(day, FIRST_SLOT, tzinfo=BERLIN) + timedelta(minutes=30 * slot)
    return local.astimezone(UTC)


def _first_friday(day: date) -> bool:
    return day.weekday() == 4 and day.day <= 7


def _slots_needed(format: str) -> int:
    return math.ceil(format_minutes(format) / 30)


def demo_organisation_create(
    *,
    people: int,
    seed: int,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Create the demo organisation in an empty database, in one transaction.

    Raises ``DemoError`` when the database already has people or ``people`` is out of range.
    """
    if people < MIN_PEOPLE:
        raise DemoError(f"A demo organisation needs at least {MIN_PEOPLE} people; got {people}.")
    if people > MAX_PEOPLE:
        raise DemoError(f"A demo organisation has at most {MAX_PEOPLE:,} people; got {people:,}.")
    report = progress or (lambda message: None)
    started = time.monotonic()
    with transaction.atomic():
        if Person.objects.exists():
            raise DemoError(EMPTY_DATABASE_MESSAGE)
        for name in (DEFAULT_PROGRAMME, GUILD_PROGRAMME):
            if Programme.objects.filter(slug=slugify(name)).exists():
                raise DemoError(
                    f"The database already has a programme called “{name}”; "
                    "the demo organisation goes into an empty database."
                )
        builder = _Builder(people=people, seed=seed, now=now or timezone.now(), report=report)
        builder.build()
    return DemoSummary(
        people=builder.writer.counts["people.Person"],
        sessions=builder.writer.counts["talks.Session"],
        counts=dict(builder.writer.counts),
        seconds=time.monotonic() - started,
    )


class _Builder:
    def __init__(
        self, *, people: int, seed: int, now: datetime, report: Callable[[str], None]
    ) -> None:
        self.people = people
        self.rng = random.Random(seed)  # content
        self.trng = random.Random(f"kshare-demo-dates:{seed}")  # dates only
        self.frng = random.Random(f"kshare-demo-feedback:{seed}")  # feedback answers only
        self.lrng = random.Random(f"kshare-demo-library:{seed}")  # session library only
        self.today = now.astimezone(BERLIN).date()
        # "Now", rounded: every past event happens before today's midnight in Berlin.
        self.anchor = datetime.combine(self.today, clock(0, 0), tzinfo=BERLIN).astimezone(UTC)
        self.report = report
        self.writer = _Writer()
        self.world = _World()
        # Written with each batch of sessions (the bulk paths check them against the sessions).
        self.invitations: list[Invitation] = []
        self.attendances: list[Attendance] = []
        self.password = make_password(DEMO_PASSWORD)  # hashed once, shared by every person
        self.n_sessions = demo_session_count(people)
        held_and_cancelled = self.n_sessions * 0.5
        self.past_weeks = min(104, max(26, math.ceil(held_and_cancelled / 2)))

    # -- reference data ------------------------------------------------------------------------

    def build(self) -> None:
        self._teams()
        self._tags()
        self._people()
        self._programmes()
        plans = self._plan_sessions()
        self._place(plans)
        self._write_sessions(plans)
        self.writer.flush()
        self._topic_requests()
        self._ideas()
        self._feedback()
        self._library()
        self._rhythm()
        for label, count in sorted(self.writer.counts.items()):
            self.report(f"  {label}: {count:,}")

    def _teams(self) -> None:
        existing = {t.slug: t for t in Team.objects.all()}
        missing = [
            Team(name=spec.name, slug=slugify(spec.name))
            for spec in c.TEAMS
            if slugify(spec.name) not in existing
        ]
        Team.objects.bulk_create(missing)
        by_slug = {t.slug: t.pk for t in Team.objects.all()}
        self.team_id = {spec.name: by_slug[slugify(spec.name)] for spec in c.TEAMS}
        self.report(f"teams: {len(c.TEAMS)}")

    def _tags(self) -> None:
        names: list[str] = []
        for spec in c.TEAMS:
            names += spec.skills
        names += c.COMMON_SKILLS
        for subjects in c.SUBJECTS.values():
            for subject in subjects:
                names += subject.tags
        names += c.FIRST_TALK_TAGS + c.MEMBER_UPCOMING_TAGS + c.MEMBER_PROPOSED_TAGS
        names += c.EXTRA_INTERESTS
        wanted = list(dict.fromkeys(names))
        tags = tags_get_or_create(names=wanted)
        self.tag_id = {name: tag.pk for name, tag in zip(wanted, tags, strict=True)}
        self.tag_name = {pk: name for name, pk in self.tag_id.items()}
        self.area_tags = {
            area: sorted({self.tag_id[t] for s in subjects for t in s.tags})
            for area, subjects in c.SUBJECTS.items()
        }
        self.extra_interest_ids = [self.tag_id[n] for n in c.EXTRA_INTERESTS]
        self.report(f"tags: {len(tags)}")

    # -- people --------------------------------------------------------------------------------

    def _people(self) -> None:
        rng, w = self.rng, self.world
        first_id = (Person.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        joined_before = self.anchor - timedelta(weeks=self.past_weeks + 8)
        pick_team = _weighted(rng, {spec: spec.weight for spec in c.TEAMS})
        pick_tz = _weighted(rng, dict(c.TIMEZONES))
        pick_level = _weighted(rng, {1: 35, 2: 45, 3: 20})
        spec_by_name = {spec.name: spec for spec in c.TEAMS}
        used_locals: set[str] = {"admin", "organiser", "member"}
        fixed = [
            (ADMIN_EMAIL, "Amara Okafor", "Platform", Role.ADMIN,
             {"kubernetes": 3, "terraform": 2, "security": 2, "python": 2},
             ("observability", "open source", "climate")),
            (ORGANISER_EMAIL, "Olivia Brandt", "People Ops", Role.ORGANISER,
             {"facilitation": 3, "public speaking": 3, "mentoring": 2, "feedback": 2},
             ("career growth", "writing", "recommender systems", "board games")),
            (MEMBER_EMAIL, "Mateo Silva", "Data Science", Role.MEMBER,
             {"python": 3, "pandas": 3, "sql": 2, "experimentation": 2, "statistics": 2},
             ("recommender systems", "machine learning", "dbt", "running")),
        ]  # fmt: skip
        rows: list[Person] = []
        skill_rows: list[Skill] = []
        interest_rows: list[tuple[int, int]] = []
        for offset in range(self.people):
            pid = first_id + offset
            if offset < len(fixed):
                email, name, team_name, role, skills, interests = fixed[offset]
                spec, tz = spec_by_name[team_name], c.ORGANISATION_TIMEZONE
                skill_levels = {self.tag_id[k]: v for k, v in skills.items()}
                interest_ids = [self.tag_id[n] for n in interests]
            else:
                # The first generated colleague is a data scientist: the first talk's host.
                spec = spec_by_name["Data Science"] if offset == len(fixed) else pick_team()
                first, last = rng.choice(c.FIRST_NAMES), rng.choice(c.LAST_NAMES)
                name = f"{first} {last}"
                local = base = f"{_ascii(first)}.{_ascii(last).replace("'", '')}"
                n = 2
                while local in used_locals:
                    local, n = f"{base}{n}", n + 1
                used_locals.add(local)
                email, role, tz = f"{local}@{c.COMPANY_DOMAIN}", Role.MEMBER, pick_tz()
                skill_levels = {}
                for skill in rng.sample(spec.skills, rng.randint(2, min(6, len(spec.skills)))):
                    skill_levels[self.tag_id[skill]] = pick_level()
                if rng.random() < 0.3:
                    skill_levels.setdefault(self.tag_id[rng.choice(c.COMMON_SKILLS)], 1)
                own_area = self.area_tags[rng.choice(spec.areas)]
                interest_ids = rng.sample(own_area, min(len(own_area), rng.randint(1, 3)))
                interest_ids.append(rng.choice(self.area_tags[rng.choice(list(c.SUBJECTS))]))
                if rng.random() < 0.5:
                    interest_ids.append(rng.choice(self.extra_interest_ids))
                interest_ids = list(dict.fromkeys(interest_ids))
            team_id = self.team_id[spec.name]
            bio = ""
            if offset < len(fixed) or rng.random() < 0.6:
                top = sorted(skill_levels, key=lambda t: -skill_levels[t])[:2]
                names = [self.tag_name[t] for t in top]
                bio = (
                    f"{spec.name} at {c.COMPANY_NAME}, based in {CITY[tz]}. "
                    f"Happy to talk about {' and '.join(names)}."
                )
            rows.append(
                Person(
                    id=pid,
                    email=email,
                    display_name=name,
                    team_id=team_id,
                    timezone=tz,
                    office_country=OFFICE[tz][0],
                    office_subdivision=OFFICE[tz][1],
                    role=role,
                    bio=bio,
                    password=self.password,
                    is_active=True,
                    is_staff=role == Role.ADMIN,
                    is_superuser=role == Role.ADMIN,
                    date_joined=joined_before - timedelta(days=self.trng.randint(0, 900)),
                )
            )
            w.person_ids.append(pid)
            w.team_of[pid] = team_id
            w.team_members[team_id].append(pid)
            w.email_of[pid] = email
            for area in spec.areas:
                w.area_people[area].append(pid)
            for tag, level in skill_levels.items():
                skill_rows.append(Skill(person_id=pid, tag_id=tag, level=level))
                if level >= 2:
                    w.skilled[tag].add(pid)
            for tag in interest_ids:
                interest_rows.append((pid, tag))
                w.interested[tag].append(pid)
        people_create_bulk(people=rows, skills=skill_rows, interests=interest_rows)
        counts = self.writer.counts
        counts["people.Person"] += len(rows)
        counts["people.Skill"] += len(skill_rows)
        counts["people.Person_interests"] += len(interest_rows)
        self.admin, self.organiser, self.member = w.person_ids[:3]
        self.first_host = w.person_ids[3]
        self.report(f"people: {len(rows):,}")

    def _programmes(self) -> None:
        w = self.world
        Programme.objects.filter(is_default=True).update(is_default=False)
        default = Programme.objects.create(
            name=DEFAULT_PROGRAMME,
            slug=slugify(DEFAULT_PROGRAMME),
            description=(
                f"Talks, workshops and lightning talks by {c.COMPANY_NAME} colleagues, for "
                "colleagues. Every other Thursday at 15:00 (Berlin), plus extra sessions "
                "whenever someone has something to share."
            ),
            cadence="Every other Thursday, 15:00",
            # The same in machine-readable form: the programme page lists its next open slots.
            cadence_rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
            cadence_starts=datetime.combine(
                self.today + timedelta(days=(3 - self.today.weekday()) % 7 - 8 * 7),
                clock(15, 0),
                tzinfo=BERLIN,
            ).astimezone(UTC),
            cadence_timezone="Europe/Berlin",
            cadence_minutes=45,
            lead_time_days=14,
            visibility=ProgrammeVisibility.PUBLIC,
            is_default=True,
        )
        guild = Programme.objects.create(
            name=GUILD_PROGRAMME,
            slug=slugify(GUILD_PROGRAMME),
            description=(
                "Deep dives for data scientists, data engineers and product people: methods, "
                "tools and the questions our data cannot answer yet."
            ),
            cadence="Twice a month, mid-week",
            lead_time_days=10,
            visibility=ProgrammeVisibility.TEAMS,
        )
        guild.teams.set([self.team_id[name] for name in c.GUILD_TEAMS])
        # A second organiser for each programme: a People Ops colleague, a data scientist.
        people_ops = [p for p in w.team_members[self.team_id["People Ops"]] if p > self.member]
        data = [p for p in w.team_members[self.team_id["Data Science"]] if p > self.first_host]
        default_orgs = [self.organiser, *people_ops[:1]]
        guild_orgs = [self.organiser, *data[:1]]
        default.organisers.set(default_orgs)
        guild.organisers.set(guild_orgs)
        Person.objects.filter(pk__in=default_orgs + guild_orgs, role=Role.MEMBER).update(
            role=Role.ORGANISER
        )
        # The programmes started a couple of months before their first session.
        Programme.objects.filter(pk__in=[default.pk, guild.pk]).update(
            created_at=self.anchor - timedelta(weeks=self.past_weeks + 8)
        )
        self.programmes = [default, guild]
        self.organisers = [default_orgs, guild_orgs]
        # Each programme starts with the default feedback form (5 questions: a few rows).
        from kshare.feedback.services import feedback_form_create_default

        for programme in self.programmes:
            feedback_form_create_default(programme=programme, by=None)
        self.report("programmes: 2")

    # -- sessions: content ---------------------------------------------------------------------

    def _plan_sessions(self) -> list[_Plan]:
        rng, w = self.rng, self.world
        n = self.n_sessions
        counts = {state: round(n * share) for state, share in STATE_SHARES}
        counts[State.HELD] -= 1  # the first talk
        counts[State.PROPOSED] -= 1  # the member's proposal
        counts[State.SCHEDULED] = n - 3 - sum(counts.values()) + 0  # the member's upcoming talk
        states: list[str] = []
        for state, count in counts.items():
            states += [state] * count
        rng.shuffle(states)

        plans = [self._special_first_talk()]
        pick_area = _weighted(rng, AREA_WEIGHTS)
        pick_format = _weighted(rng, FORMAT_WEIGHTS)
        pick_level = _weighted(rng, LEVEL_WEIGHTS)
        for i, state in enumerate(states):
            guild = rng.random() < 0.2
            area = rng.choice(("data", "data", "product")) if guild else pick_area()
            subject = rng.choice(c.SUBJECTS[area])
            format = pick_format()
            if rng.random() < 0.3:
                template = rng.choice(c.TITLES_BY_AREA[area])
            else:
                template = rng.choice(c.TITLES_ANY_AREA[format])
            title = template.format(s=subject.name, S=_cap(subject))
            shown = f"`{subject.name}`" if subject.brand else subject.name
            if rng.random() < 0.3:
                shown = f"**{subject.name}**"
            sentences = [rng.choice(c.ABSTRACT_OPENERS[format]).format(s=shown)]
            sentences += rng.sample(c.ABSTRACT_MIDDLES[area], rng.randint(1, 2))
            sentences.append(rng.choice(c.ABSTRACT_CLOSERS))
            tags = [self.tag_id[t] for t in subject.tags]
            if rng.random() < 0.25:
                extra = rng.choice(self.area_tags[area])
                if extra not in tags:
                    tags.append(extra)
            pool = w.area_people.get(area) or w.person_ids
            skilled = [p for p in pool if p in w.skilled[tags[0]]] if len(pool) < 400 else None
            if skilled is None:  # large company: sample instead of scanning the pool
                skilled = [
                    p for p in rng.sample(pool, min(40, len(pool))) if p in w.skilled[tags[0]]
                ]
            host = rng.choice(skilled) if skilled and rng.random() < 0.75 else rng.choice(pool)
            cohost = None
            if rng.random() < 0.12 and len(pool) > 1:
                cohost = rng.choice(pool)
                cohost = None if cohost == host else cohost
            if i % 12 == 5:
                visibility, teams = Visibility.TEAMS, [w.team_of[host]]
            elif i % 16 == 9:
                visibility, teams = Visibility.INVITE_ONLY, []
            else:
                visibility, teams = Visibility.PUBLIC, []
            if format == Format.WORKSHOP:
                capacity = rng.choice((12, 15, 20, 25))
            else:
                capacity = rng.choice((30, 50)) if rng.random() < 0.1 else None
            future = state == State.SCHEDULED or (state == State.CANCELLED and rng.random() < 0.3)
            plans.append(
                _Plan(
                    title=title[:200],
                    abstract=" ".join(sentences),
                    format=format,
                    level=pick_level(),
                    programme=1 if guild else 0,
                    area=area,
                    tags=tags,
                    host=host,
                    cohost=cohost,
                    state=state,
                    future=future,
                    visibility=visibility,
                    teams=teams,
                    capacity=capacity,
                    location=rng.choice(LOCATIONS),
                    rescheduled=rng.random() < 0.08,
                    cancel_reason=rng.choice(c.CANCEL_REASONS),
                )
            )
        # The member's own sessions sit among the others (after the first talk).
        plans.insert(min(len(plans), 3), self._special_member(State.SCHEDULED))
        plans.insert(min(len(plans), 5), self._special_member(State.PROPOSED))
        self.report(f"sessions planned: {len(plans):,}")
        return plans

    def _special_first_talk(self) -> _Plan:
        return _Plan(
            title=c.FIRST_TALK_TITLE,
            abstract=c.FIRST_TALK_ABSTRACT,
            format=Format.TALK,
            level=Level.ALL,
            programme=0,
            area="data",
            tags=[self.tag_id[t] for t in c.FIRST_TALK_TAGS],
            host=self.first_host,
            cohost=None,
            state=State.HELD,
            future=False,
            visibility=Visibility.PUBLIC,
            teams=[],
            capacity=None,
            location="Berlin office, kitchen stage",
            rescheduled=False,
            special="first",
        )

    def _special_member(self, state: str) -> _Plan:
        upcoming = state == State.SCHEDULED
        return _Plan(
            title=c.MEMBER_UPCOMING_TITLE if upcoming else c.MEMBER_PROPOSED_TITLE,
            abstract=c.MEMBER_UPCOMING_ABSTRACT if upcoming else c.MEMBER_PROPOSED_ABSTRACT,
            format=Format.TALK if upcoming else Format.LIGHTNING,
            level=Level.INTERMEDIATE if upcoming else Level.ALL,
            programme=0,
            area="data",
            tags=[
                self.tag_id[t]
                for t in (c.MEMBER_UPCOMING_TAGS if upcoming else c.MEMBER_PROPOSED_TAGS)
            ],
            host=self.member,
            cohost=None,
            state=state,
            future=upcoming,
            visibility=Visibility.PUBLIC,
            teams=[],
            capacity=None,
            location="Online",
            rescheduled=False,
            special="member",
        )

    # -- sessions: dates -----------------------------------------------------------------------

    def _place(self, plans: list[_Plan]) -> None:
        """Give every non-proposed session a slot on a weekday, 10:00-17:00 Berlin, clear of
        Figure Friday (first Friday, 16-17h) and the Monday huddle (before 10:00 anyway)."""
        trng, today = self.trng, self.today
        first_day = today - timedelta(weeks=self.past_weeks)
        first_day -= timedelta(days=(first_day.weekday() - 3) % 7)  # back to a Thursday
        past_days = [
            first_day + timedelta(days=d)
            for d in range(1, (today - first_day).days)
            if (first_day + timedelta(days=d)).weekday() < 5
        ]
        future_days = [
            today + timedelta(days=d)
            for d in range(1, UPCOMING_DAYS + 1)
            if (today + timedelta(days=d)).weekday() < 5
        ]
        thursdays = [first_day + timedelta(weeks=2 * k) for k in range(1, self.past_weeks // 2 + 6)]
        past_thursdays = [d for d in thursdays if d < today]
        future_thursdays = [d for d in thursdays if today < d <= today + timedelta(UPCOMING_DAYS)]
        taken: dict[date, set[int]] = defaultdict(set)

        def free(day: date, slot: int, need: int) -> bool:
            span = set(range(slot, slot + need))
            if slot + need > SLOTS_PER_DAY or (_first_friday(day) and span & FIRST_FRIDAY_BLOCKED):
                return False
            return not span & taken[day]

        def place(plan: _Plan) -> None:
            need = _slots_needed(plan.format)
            days = future_days if plan.future else past_days
            thursdays = future_thursdays if plan.future else past_thursdays
            choice: tuple[date, int] | None = None
            if plan.special == "first":
                choice = (first_day, THURSDAY_15)
            elif plan.programme == 0 and thursdays and trng.random() < 0.6:
                for _ in range(3):
                    day = trng.choice(thursdays)
                    if free(day, THURSDAY_15, need):
                        choice = (day, THURSDAY_15)
                        break
            for _ in range(8):
                if choice:
                    break
                day, slot = trng.choice(days), trng.randrange(SLOTS_PER_DAY - need + 1)
                if free(day, slot, need):
                    choice = (day, slot)
            if choice is None:  # a busy company: share the slot, still clear of rhythm events
                day, slot = trng.choice(days), trng.randrange(SLOTS_PER_DAY - need + 1)
                if _first_friday(day):
                    slot = min(slot, min(FIRST_FRIDAY_BLOCKED) - need)
                choice = (day, slot)
            day, slot = choice
            taken[day].update(range(slot, slot + need))
            plan.start = _berlin(day, slot)
            plan.end = plan.start + timedelta(minutes=format_minutes(plan.format))

        for plan in plans:
            if plan.state == State.PROPOSED:
                plan.created_at = self.anchor - timedelta(minutes=trng.randint(60, 60 * 24 * 60))
                continue
            place(plan)
            assert plan.start is not None
            horizon = min(plan.start, self.anchor)
            created = plan.start - timedelta(
                days=trng.randint(18, 45), minutes=trng.randint(0, 600)
            )
            plan.created_at = min(created, horizon - timedelta(hours=2))
            plan.scheduled_at = plan.created_at + (horizon - plan.created_at) * trng.uniform(
                0.05, 0.3
            )
            # Postponed by a week, decided at least a day before the original date.
            old_start = plan.start - timedelta(days=7)
            if (
                plan.rescheduled
                and plan.state == State.SCHEDULED
                and old_start > self.anchor + timedelta(days=2)
            ):
                plan.old_start = old_start
        self.report(f"sessions placed: {sum(1 for p in plans if p.start):,} with a date")

    # -- sessions: rows ------------------------------------------------------------------------

    def _write_sessions(self, plans: list[_Plan]) -> None:
        rng, trng, w = self.rng, self.trng, self.world
        first_id = (Session.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        programme_ids = [p.pk for p in self.programmes]
        all_people = w.person_ids
        guild_pool = [p for name in c.GUILD_TEAMS for p in w.team_members[self.team_id[name]]]
        pick = {
            state: _weighted(
                rng, dict(zip(("yes", "maybe", "no", "pending"), weights, strict=True))
            )
            for state, weights in RESPONSES.items()
        }
        member_attends = 0
        batch: list[NewSession] = []
        for index, plan in enumerate(plans):
            if len(batch) >= BATCH_SIZE:  # the previous session is complete (its "held" note)
                self._sessions_flush(batch)
            sid = first_id + index
            assert plan.created_at is not None
            session = Session(
                id=sid,
                programme_id=programme_ids[plan.programme],
                title=plan.title,
                abstract=plan.abstract,
                format=plan.format,
                level=plan.level,
                start=plan.start,
                end=plan.end,
                location=plan.location,
                call_url=f"https://meet.{c.COMPANY_DOMAIN}/ks-{sid}",
                capacity=plan.capacity,
                visibility=plan.visibility,
                state=plan.state,
                created_by_id=plan.host,
                created_at=plan.created_at,
            )
            changes = self._history(plan)
            batch.append(
                NewSession(
                    session=session,
                    host_id=plan.host,
                    cohost_ids=[plan.cohost] if plan.cohost is not None else [],
                    tag_ids=plan.tags,
                    team_ids=plan.teams,
                    changes=changes,
                )
            )
            if plan.state == State.PROPOSED:
                continue

            # Invitations: who (content generator), when (date generator).
            hosts = {plan.host, plan.cohost}
            if plan.special == "first":
                size = min(45, len(all_people) - 1)
            elif plan.state == State.HELD:
                size = rng.randint(10, 30)
            elif plan.state == State.SCHEDULED:
                size = rng.randint(8, 25)
            else:
                size = rng.randint(5, 15)
            if plan.visibility == Visibility.TEAMS:
                pool = [p for team in plan.teams for p in w.team_members[team]]
            elif plan.programme == 1:
                pool = guild_pool
            else:
                pool = all_people
            invitees = self._sample(pool, size + 2, plan.tags[0])
            invitees = [p for p in invitees if p not in hosts][:size]
            # The member login goes to the first talk and a few other sessions.
            if (
                plan.state == State.HELD
                and self.member not in hosts
                and (plan.special == "first" or (member_attends < 4 and pool is all_people))
                and plan.visibility == Visibility.PUBLIC
            ):
                if self.member not in invitees:
                    invitees.append(self.member)
                member_attends += 1
            invited_by = plan.host
            assert plan.scheduled_at is not None and plan.start is not None
            horizon = min(plan.start, self.anchor) - timedelta(minutes=1)
            yes = 0
            logged = len(self.attendances)  # this session's attendance rows start here
            for person in invitees:
                answer = pick[plan.state]()
                if plan.special == "first" and answer != "yes":
                    answer = pick[plan.state]()  # the first talk was popular
                if person == self.member and plan.state == State.HELD:
                    answer = "yes"
                if answer == "yes" and plan.capacity is not None and yes >= plan.capacity:
                    answer = "maybe"
                yes += answer == "yes"
                sent = min(plan.scheduled_at + timedelta(minutes=trng.randint(1, 180)), horizon)
                responded = None
                if answer != "pending":
                    responded = sent + (horizon - sent) * trng.random()
                self.invitations.append(
                    Invitation(
                        session_id=sid,
                        person_id=person,
                        invited_by_id=invited_by,
                        created_at=sent,
                        response=answer,
                        responded_at=responded,
                    )
                )
                if plan.state == State.HELD:
                    chance = ATTEND_CHANCE[answer]
                    if plan.special == "first" and answer == "yes":
                        chance = 0.95
                    attended = rng.random() < chance
                    if attended or person == self.member:
                        self._attend(sid, person, plan)
            if plan.state == State.HELD and plan.visibility == Visibility.PUBLIC:
                # A few walk-ins who never answered the invitation (or were not invited).
                seen = set(invitees) | hosts
                for person in self._sample(pool, rng.randint(0, 2), None):
                    if person not in seen:
                        seen.add(person)
                        self._attend(sid, person, plan)
            if plan.state == State.HELD:  # marked held by the host after the attendance log
                held_at = changes[-1].at
                on_log = sum(1 for a in self.attendances[logged:] if a.recorded_at <= held_at)
                changes[-1].note = held_note(attended=on_log)
            if index % 2000 == 1999:
                self.report(f"sessions written: {index + 1:,}")
        self._sessions_flush(batch)
        self.report(f"sessions written: {len(plans):,}")

    def _sessions_flush(self, batch: list[NewSession]) -> None:
        sessions_create_bulk(sessions=batch)
        counts = self.writer.counts
        counts["talks.Invitation"] += len(invitations_create_bulk(invitations=self.invitations))
        added = attendance_record_bulk(attendances=self.attendances)
        counts["talks.Attendance"] += len(added)
        counts["talks.AttendanceChange"] += len(added)
        self.invitations, self.attendances = [], []
        counts["talks.Session"] += len(batch)
        for new in batch:
            counts["talks.SessionHost"] += 1 + len(new.cohost_ids)
            counts["talks.AgendaItem"] += len(DEFAULT_AGENDAS[new.session.format])
            counts["talks.Session_tags"] += len(new.tag_ids)
            counts["talks.Session_teams"] += len(new.team_ids)
            counts["talks.SessionChange"] += 1 + len(new.changes)
        batch.clear()

    # (title, description, tags, requester e-mail or None for a data scientist, +1s, note)
    TOPIC_REQUESTS = (
        (
            "dbt for analysts",
            "From SQL queries to tested **dbt** models: how analysts can own their "
            "transformations.",
            ("dbt", "sql"),
            MEMBER_EMAIL,
            7,
            "I moved our marketing reports to dbt last year.",
        ),
        (
            "Kubernetes for data scientists",
            "Enough **Kubernetes** to run a notebook job or a model server without a ticket.",
            ("kubernetes",),
            None,
            4,
            "I run our clusters: happy to show the basics.",
        ),
    )

    def _topic_requests(self) -> None:
        """A few topic requests with +1s and a volunteer who knows the topic (deterministic)."""
        rng = self.rng
        people = list(Person.objects.order_by("pk").values_list("pk", "email"))
        ids = [pk for pk, _ in people]
        by_email = {email: pk for pk, email in people}
        data_people = sorted(self.world.area_people.get("data", [])) or ids
        for days, (title, text, tags, email, votes, note) in enumerate(self.TOPIC_REQUESTS):
            requester = by_email[email] if email else rng.choice(data_people)
            tag_ids = [self.tag_id[t] for t in tags if t in self.tag_id]
            request = TopicRequest.objects.create(
                title=title,
                description=text,
                requester_id=requester,
                created_at=self.anchor - timedelta(days=3 + 5 * days),
            )
            request.tags.set(tag_ids)
            others = [pk for pk in ids if pk != requester]
            voters = [requester, *sorted(rng.sample(others, min(votes, len(others))))]
            TopicVote.objects.bulk_create(
                TopicVote(request=request, person_id=pk, created_at=request.created_at)
                for pk in voters
            )
            experts = sorted(
                Skill.objects.filter(tag_id__in=tag_ids, level=Skill.Level.EXPERT)
                .exclude(person_id=requester)
                .values_list("person_id", flat=True)
                .distinct()
            )
            if experts:
                TopicVolunteer.objects.create(
                    request=request, person_id=rng.choice(experts), note=note
                )
                self.writer.counts[TopicVolunteer._meta.label] += 1
            self.writer.counts[TopicRequest._meta.label] += 1
            self.writer.counts[TopicVote._meta.label] += len(voters)

    # (title, description, status, votes): captured in the first talk's discussion.
    FIRST_TALK_IDEAS = (
        (
            "Recommend sessions to colleagues in kshare",
            "Suggest the next session from what people attended and rated, with the reason "
            "shown — the way the talk described it.",
            IdeaStatus.EXPLORING,
            6,
        ),
        (
            "Workshop: build a recommender with implicit",
            "Hands-on: train an ALS model on our own (anonymised) attendance data with the "
            "**implicit** library.",
            IdeaStatus.NEW,
            4,
        ),
        (
            "Show why a recommendation was made",
            "Every suggestion carries one short reason, so nobody wonders why.",
            IdeaStatus.NEW,
            2,
        ),
    )

    def _ideas(self) -> None:
        """Ideas from the first talk, voted by the people who attended it (no randomness: the
        attendees already depend on the seed)."""
        first = Session.objects.filter(title=c.FIRST_TALK_TITLE).order_by("pk").first()
        if first is None or first.end is None:
            return
        attendees = sorted(first.attendances.values_list("person_id", flat=True)) or [
            self.first_host
        ]
        for i, (title, text, status, votes) in enumerate(self.FIRST_TALK_IDEAS):
            author = attendees[i % len(attendees)]
            at = first.end + timedelta(minutes=5 + i)
            idea = Idea.objects.create(
                title=title,
                description=text,
                author_id=author,
                session=first,
                status=status,
                created_at=at,
            )
            IdeaStatusChange.objects.create(
                idea=idea, to_status=IdeaStatus.NEW, by_id=author, at=at
            )
            if status != IdeaStatus.NEW:
                IdeaStatusChange.objects.create(
                    idea=idea,
                    from_status=IdeaStatus.NEW,
                    to_status=status,
                    by_id=author,
                    at=at + timedelta(days=1),
                )
            voters = [author, *[pk for pk in attendees if pk != author]][:votes]
            IdeaVote.objects.bulk_create(
                IdeaVote(idea=idea, person_id=pk, created_at=at) for pk in voters
            )
            self.writer.counts[Idea._meta.label] += 1
            self.writer.counts[IdeaVote._meta.label] += len(voters)

    USEFUL = (
        "The live demo.",
        "Seeing the real numbers from our own product.",
        "The discussion at the end — lots of ideas.",
        "The worked example I can reuse tomorrow.",
        "Hearing what did not work.",
    )
    IMPROVE = (
        "More time for questions.",
        "Share the slides before the session.",
        "A little slower in the middle part.",
        "",
    )

    def _rhythm(self) -> None:
        """The information-sharing rhythm sessions are placed around (see ``_place``): the
        Weekly Huddle, Figure Friday and a 09:00 kick-off per team, in Berlin time, from half a
        year back; the huddle two Mondays ahead cancelled and the next Figure Friday moved an
        hour later, as examples. No randomness: only the date depends on ``now``."""
        from kshare.scheduling.rhythm import services as rhythm

        start = self.today - timedelta(weeks=26)
        start -= timedelta(days=start.weekday())  # a Monday
        organiser = Person.objects.filter(email=ORGANISER_EMAIL).first()
        tz = c.ORGANISATION_TIMEZONE

        def event(name: str, rrule: str, at: clock, minutes: int, **kwargs) -> RhythmEvent:
            return rhythm.rhythm_event_create(
                by=organiser,
                name=name,
                rrule=rrule,
                start_date=start,
                start_time=at,
                timezone=tz,
                duration_minutes=minutes,
                **kwargs,
            )

        huddle = event(
            "Weekly Huddle",
            "FREQ=WEEKLY;BYDAY=MO",
            clock(9, 30),
            30,
            location="Berlin office, kitchen stage, and online",
            description="Company news, numbers and announcements for everyone.",
            # No huddle on Berlin's public holidays (Easter Monday, Whit Monday …).
            skip_holidays=True,
            holiday_country="DE",
            holiday_subdivision="BE",
        )
        figure = event(
            "Figure Friday",
            "FREQ=MONTHLY;BYDAY=1FR",
            clock(16, 0),
            60,
            location="Online",
            description="The month's figures, presented by finance.",
        )
        for spec in c.TEAMS:
            event(
                f"{spec.name} kick-off",
                "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
                clock(9, 0),
                15,
                team=Team(pk=self.team_id[spec.name], name=spec.name),
                description="The team's daily stand-up.",
                skip_holidays=True,  # not on the company's closure days
            )
        offsite = self.today + timedelta(days=7 - self.today.weekday() + 7)  # Monday after next
        rhythm.rhythm_occurrence_cancel(
            event=huddle,
            original_start=datetime.combine(offsite, clock(9, 30), tzinfo=BERLIN),
            note="Company offsite: no huddle this week.",
        )
        friday = self.today + timedelta(days=1)
        while not _first_friday(friday):
            friday += timedelta(days=1)
        usual = datetime.combine(friday, clock(16, 0), tzinfo=BERLIN)
        rhythm.rhythm_occurrence_move(
            event=figure,
            original_start=usual,
            new_start=usual + timedelta(hours=1),
            new_end=usual + timedelta(hours=2),
            note="An hour later this month: the board meets until five.",
        )
        self.writer.counts["scheduling.RhythmEvent"] += 2 + len(c.TEAMS)
        self.writer.counts["scheduling.RhythmException"] += 2
        self.report(f"rhythm events: {2 + len(c.TEAMS)}")

    def _feedback(self) -> None:
        """Feedback on held sessions: a request per attendee, about 60 % answered, each session
        with its own typical rating; a few "I'd like to host" answers feed the host pipeline.
        Written through ``kshare.feedback.bulk`` (the dispatch's, ``response_submit``'s rules)."""
        rng, writer = self.frng, self.writer
        forms = {
            form.programme_id: (form, {q.purpose or q.position: q for q in form.questions.all()})
            for form in FeedbackForm.objects.filter(is_current=True).prefetch_related("questions")
        }
        rows = (
            Attendance.objects.filter(session__state=State.HELD)
            .order_by("session_id", "person_id")
            .values_list("session_id", "person_id", "session__programme_id", "session__end")
        )
        hosts = set(SessionHost.objects.values_list("session_id", "person_id"))
        quality: dict[int, float] = {}
        requests: list[FeedbackRequest] = []
        pending: list[ResponseEntry] = []

        def flush() -> None:
            feedback_requests_create_bulk(requests=requests)
            feedback_responses_record_bulk(responses=pending)
            writer.counts[FeedbackRequest._meta.label] += len(requests)
            writer.counts[Response._meta.label] += len(pending)
            writer.counts[Answer._meta.label] += sum(len(e.data) for e in pending)
            requests.clear()
            pending.clear()

        for session_id, person_id, programme_id, end in list(rows):
            if (session_id, person_id) in hosts:
                continue
            form, questions = forms[programme_id]
            answered = rng.random() < 0.6
            request = FeedbackRequest(
                session_id=session_id,
                person_id=person_id,
                form=form,
                sent_at=end + timedelta(hours=1),
                reminded_at=None if answered else end + timedelta(days=2, hours=1),
                closes_at=end + timedelta(days=14),
            )
            requests.append(request)
            if not answered:
                continue
            base = quality.setdefault(session_id, rng.choice((3.6, 4.0, 4.3, 4.6, 4.8)))
            rating = max(1, min(5, round(rng.gauss(base, 0.7))))
            # Answered within three days of the form (whose date the response carries).
            submitted_at = request.sent_at + timedelta(days=rng.randint(0, 3))
            data: dict[int, object] = {questions["overall"].pk: rating}
            if rng.random() < 0.5:
                data[questions[2].pk] = rng.choice(self.USEFUL)
            improve = rng.choice(self.IMPROVE)
            if improve and rng.random() < 0.4:
                data[questions[3].pk] = improve
            host = rng.choices(["Yes", "Maybe", "No"], weights=[1, 2, 17])[0]
            data[questions["host_interest"].pk] = host
            pending.append(ResponseEntry(request=request, data=data, submitted_at=submitted_at))
            if len(requests) >= BATCH_SIZE * 5:
                flush()
        flush()
        writer.counts[ProspectiveHost._meta.label] = ProspectiveHost.objects.count()

    def _library(self) -> None:
        """Materials for about half the held sessions, and a few absences for the member login
        (kshare/demo/library.py)."""
        from kshare.demo.library import LibraryWriter

        LibraryWriter(
            rng=self.lrng,
            anchor=self.anchor,
            member=self.member,
            first_talk_title=c.FIRST_TALK_TITLE,
            counts=self.writer.counts,
            report=self.report,
        ).write()

    def _sample(self, pool: Sequence[int], size: int, tag: int | None) -> list[int]:
        """About half from people interested in the session's main tag, the rest from the pool."""
        rng = self.rng
        chosen: list[int] = []
        if tag is not None:
            interested = self.world.interested.get(tag, [])
            if interested and pool is self.world.person_ids:
                chosen += rng.sample(interested, min(len(interested), size // 2))
        chosen += rng.sample(pool, min(len(pool), size))
        return list(dict.fromkeys(chosen))[:size]

    def _attend(self, sid: int, person: int, plan: _Plan) -> None:
        assert plan.start is not None and plan.end is not None
        if self.trng.random() < 0.6:
            method = Attendance.Method.CHECK_IN
            at = plan.start + timedelta(minutes=self.trng.randint(-5, 10))
        else:
            method = Attendance.Method.HOST_LIST
            at = plan.end + timedelta(minutes=self.trng.randint(5, 90))
        self.attendances.append(
            Attendance(session_id=sid, person_id=person, method=method, recorded_at=at)
        )

    def _history(self, plan: _Plan) -> list[SessionChange]:
        """The history after "created" that the services would have written for this session's
        life (``sessions_create_bulk`` checks it and adds the "created" row)."""
        trng = self.trng
        kind = SessionChange.Kind
        changes: list[SessionChange] = []
        if plan.state == State.PROPOSED:
            return changes
        assert plan.start is not None and plan.scheduled_at is not None and plan.end is not None
        organiser = self.rng.choice(self.organisers[plan.programme])
        changes.append(
            SessionChange(
                kind=kind.SCHEDULED,
                by_id=organiser,
                at=plan.scheduled_at,
                from_state=State.PROPOSED,
                to_state=State.SCHEDULED,
                new_start=plan.old_start or plan.start,
            )
        )
        horizon = min(plan.start, self.anchor) - timedelta(hours=1)
        if plan.old_start is not None:
            moved_at = plan.scheduled_at + (horizon - plan.scheduled_at) * trng.uniform(0.2, 0.6)
            changes.append(
                SessionChange(
                    kind=kind.RESCHEDULED,
                    by_id=plan.host,
                    at=moved_at,
                    from_state=State.SCHEDULED,
                    to_state=State.SCHEDULED,
                    old_start=plan.old_start,
                    new_start=plan.start,
                )
            )
        if plan.state == State.HELD:
            changes.append(
                SessionChange(
                    kind=kind.HELD,
                    by_id=plan.host,
                    at=plan.end + timedelta(minutes=trng.randint(5, 180)),
                    from_state=State.SCHEDULED,
                    to_state=State.HELD,
                )
            )
        elif plan.state == State.CANCELLED:
            changes.append(
                SessionChange(
                    kind=kind.CANCELLED,
                    by_id=plan.host,
                    at=plan.scheduled_at + (horizon - plan.scheduled_at) * trng.uniform(0.7, 0.95),
                    from_state=State.SCHEDULED,
                    to_state=State.CANCELLED,
                    note=plan.cancel_reason,
                )
            )
        return changes
