"""The recommender on the 5,000-person demo: full retrain, memory, serving from the cache, invitees.

Goals (issue 7, on 2 cores): full retrain < 30 s, peak memory < 1 GB, a person's feed from the
cache < 10 ms, invitees for a session < 50 ms.

``kshare demo --people 5000`` gives about 20,000 sessions and some 450,000 interaction rows
(invitations, attendance, feedback, votes, hosts); stars and catch-up signals ("watched", "not
interested") are generated on top, each person's drawn mostly from sessions on their own skills and
interests, until the signal tables hold about 1,000,000 rows. Then, in one child process against a
fresh database of its own (a temporary SQLite file, or a throw-away database on the DATABASE_URL
server, as bench_demo does):

- ``recommend_train`` once, timed: wall seconds, the CPU seconds of the process (the machine is
  shared: the load average before training is recorded too) and each step (load, tune, fit,
  rank, similar, store); its peak memory is the child's peak resident set size (which also
  covers building the demo, so it is an upper bound for training);
- ``recommended_for`` (upcoming sessions and recordings) for 200 members from the cache, and for 50
  newcomers who are not in it (cold start: skills and team popularity), p50/p95 in ms;
- ``invitees_for`` for 50 upcoming sessions, p50/p95 in ms.

Run alone with ``.venv/bin/python bench/bench_recommend.py`` (SQLite, then PostgreSQL when
DATABASE_URL says so), or through ``bench/run.py -k recommend``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from child import child_measure, child_run  # noqa: E402 - found through the path above

# Smaller sizes for a quick try: BENCH_RECOMMEND_PEOPLE=500 BENCH_RECOMMEND_ROWS=100000.
PEOPLE = int(os.environ.get("BENCH_RECOMMEND_PEOPLE", 5_000))
ROWS = int(os.environ.get("BENCH_RECOMMEND_ROWS", 1_000_000))
NAME = "recommend_demo_5000"


def measure(*, database: str) -> list[dict]:
    return child_measure(
        Path(__file__),
        label="recommend",
        database=database,
        echo=True,
        env_extra={"OPENBLAS_NUM_THREADS": "1"},
    )


def run(bench=None) -> list[dict]:
    return child_run(
        Path(__file__),
        label="recommend",
        bench=bench,
        echo=True,
        env_extra={"OPENBLAS_NUM_THREADS": "1"},
    )


# --- the child: build, train, serve ----------------------------------------------------------


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _signal_rows() -> int:
    from kshare.feedback.models import Answer
    from kshare.ideas.models import IdeaVote
    from kshare.library.models import CatchUpSignal
    from kshare.sessions.models import Attendance, Invitation, SessionHost, Star
    from kshare.topics.models import TopicVote

    return sum(
        m.objects.count()
        for m in (
            Invitation,
            Attendance,
            Star,
            CatchUpSignal,
            SessionHost,
            IdeaVote,
            TopicVote,
            Answer,
        )
    )


def _generate(rng, missing: int) -> int:
    """Stars (upcoming and past sessions) and catch-up signals (held sessions), about half each,
    mostly on the person's own skills and interests; returns the rows written."""
    from collections import defaultdict

    from django.db import transaction

    from kshare.library.models import CatchUpSignal
    from kshare.people.models import Person, Skill
    from kshare.sessions.models import Session, Star, State

    people = list(Person.objects.filter(is_active=True).values_list("pk", flat=True))
    sessions = list(
        Session.objects.filter(state__in=["scheduled", "held"]).values_list("pk", "state")
    )
    held = [pk for pk, state in sessions if state == State.HELD]
    by_tag: dict[int, list[int]] = defaultdict(list)
    for session_id, tag_id in Session.tags.through.objects.values_list("session_id", "tag_id"):
        by_tag[tag_id].append(session_id)
    held_set = set(held)
    likes: dict[int, list[int]] = defaultdict(list)
    for person_id, tag_id in Skill.objects.values_list("person_id", "tag_id"):
        likes[person_id].append(tag_id)
    for person_id, tag_id in Person.interests.through.objects.values_list("person_id", "tag_id"):
        likes[person_id].append(tag_id)
    per_person = max(1, missing // (2 * len(people)))
    stars: list[Star] = []
    signals: list[CatchUpSignal] = []
    written = 0

    def pick(person: int, pool_all: list[int], only_held: bool) -> set[int]:
        chosen: set[int] = set()
        tags = likes.get(person) or []
        for _ in range(per_person * 3):
            if len(chosen) >= per_person:
                break
            if tags and rng.random() < 0.7:
                pool = by_tag.get(rng.choice(tags)) or pool_all
                candidate = rng.choice(pool)
                if only_held and candidate not in held_set:
                    continue
            else:
                candidate = rng.choice(pool_all)
            chosen.add(candidate)
        return chosen

    all_ids = [pk for pk, _ in sessions]
    with transaction.atomic():
        for person in people:
            stars.extend(Star(person_id=person, session_id=s) for s in pick(person, all_ids, False))
            for s in pick(person, held, True):
                kind = "not_interested" if rng.random() < 0.15 else "watched"
                signals.append(CatchUpSignal(person_id=person, session_id=s, kind=kind))
            if len(stars) + len(signals) >= 20_000:
                Star.objects.bulk_create(stars, batch_size=5_000, ignore_conflicts=True)
                CatchUpSignal.objects.bulk_create(signals, batch_size=5_000, ignore_conflicts=True)
                written += len(stars) + len(signals)
                stars, signals = [], []
        Star.objects.bulk_create(stars, batch_size=5_000, ignore_conflicts=True)
        CatchUpSignal.objects.bulk_create(signals, batch_size=5_000, ignore_conflicts=True)
        written += len(stars) + len(signals)
    return written


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return p50, p95


def _child() -> list[dict]:
    import random
    import resource
    import time

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from kshare.demo.generator import demo_organisation_create
    from kshare.people.models import Person, Role, Skill
    from kshare.recommend.models import Recommendation
    from kshare.recommend.selectors import invitees_for, recommended_for
    from kshare.recommend.services import recommend_train
    from kshare.sessions.models import Session, State
    from kshare.tags.models import Tag

    rng = random.Random(7)
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    demo_organisation_create(people=PEOPLE, seed=1)
    _say(f"demo: {time.perf_counter() - started:.1f} s")
    before = _signal_rows()
    started = time.perf_counter()
    _generate(rng, max(0, ROWS - before))
    rows = _signal_rows()
    generated = rows - before
    _say(
        f"signal rows: {before:,} from the demo + {generated:,} generated = {rows:,} "
        f"({time.perf_counter() - started:.1f} s)"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    cpu_started = time.process_time()
    run = recommend_train(reason="bench")
    train_seconds = time.perf_counter() - started
    # The CPU time this process used: what the wall time would be on an idle machine, less the
    # waits for the database (the demo machine is shared, so wall times vary with its load).
    train_cpu = time.process_time() - cpu_started
    load_after = os.getloadavg()[0]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    steps = run.details.get("timings", {})
    _say(
        f"train: {train_seconds:.1f} s ({train_cpu:.1f} s CPU), {steps}, peak RSS {peak_mb:.0f} MB "
        f"(before training {rss_before:.0f} MB), {run.recommendations:,} recommendations, "
        f"load average {load_before:.1f} before, {load_after:.1f} after"
    )

    members = list(
        Recommendation.objects.filter(kind="session")
        .values_list("person_id", flat=True)
        .distinct()
        .order_by("person_id")[:2000]
    )
    sample = [Person.objects.get(pk=pk) for pk in rng.sample(members, min(200, len(members)))]

    def timed(func) -> float:
        t = time.perf_counter()
        func()
        return (time.perf_counter() - t) * 1000

    for person in sample[:5]:  # warm up connections and caches
        recommended_for(person=person, kind="session")
    feed = [timed(lambda p=p: recommended_for(person=p, kind="session")) for p in sample]
    recordings = [timed(lambda p=p: recommended_for(person=p, kind="recording")) for p in sample]

    tags = list(Tag.objects.values_list("pk", flat=True))
    team_ids = list(Person.objects.exclude(team=None).values_list("team_id", flat=True).distinct())
    newcomers = []
    for i in range(50):
        person = Person.objects.create_user(
            email=f"newcomer{i}@bench.example",
            display_name=f"Newcomer {i}",
            team_id=rng.choice(team_ids) if team_ids else None,
            role=Role.MEMBER,
        )
        Skill.objects.create(person=person, tag_id=rng.choice(tags), level=rng.randint(1, 3))
        newcomers.append(person)
    cold = [timed(lambda p=p: recommended_for(person=p, kind="session")) for p in newcomers]

    upcoming = list(
        Session.objects.filter(state=State.SCHEDULED, start__gt=timezone.now())
        .select_related("programme")
        .order_by("?")[:50]
    )
    invitees_for(session=upcoming[0])
    invitees = [timed(lambda s=s: invitees_for(session=s)) for s in upcoming]

    out = [
        {"name": NAME, "metric": "signal_rows", "value": float(rows), "unit": "rows"},
        {"name": NAME, "metric": "people", "value": float(run.people), "unit": "rows"},
        {"name": NAME, "metric": "sessions", "value": float(run.items), "unit": "rows"},
        {
            "name": NAME,
            "metric": "interactions",
            "value": float(run.interactions),
            "unit": "pairs",
        },
        {"name": NAME, "metric": "train_seconds", "value": round(train_seconds, 2), "unit": "s"},
        {"name": NAME, "metric": "train_cpu_seconds", "value": round(train_cpu, 2), "unit": "s"},
        *(
            {"name": NAME, "metric": f"train_{step}_seconds", "value": round(value, 2), "unit": "s"}
            for step, value in steps.items()
        ),
        {"name": NAME, "metric": "load_average_1min", "value": round(load_before, 2), "unit": ""},
        {"name": NAME, "metric": "peak_rss", "value": round(peak_mb, 1), "unit": "MB"},
        {
            "name": NAME,
            "metric": "recommendations",
            "value": float(run.recommendations),
            "unit": "rows",
        },
    ]
    for label, values in (
        ("feed_cached", feed),
        ("recordings_cached", recordings),
        ("feed_cold_start", cold),
        ("invitees", invitees),
    ):
        p50, p95 = _percentiles(values)
        out.append({"name": NAME, "metric": f"{label}_p50", "value": round(p50, 2), "unit": "ms"})
        out.append({"name": NAME, "metric": f"{label}_p95", "value": round(p95, 2), "unit": "ms"})
        _say(f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    return out


if __name__ == "__main__":
    if "--child" in sys.argv:
        print(json.dumps(_child()))
    else:
        for row in run():
            print(f"{row['metric']:>24}: {row['value']} {row['unit']}")
