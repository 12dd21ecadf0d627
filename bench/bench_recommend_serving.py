"""Serving the recommender on the 5,000-person demo: feeds, invitees and hosts, per query.

Goals (issue 7, on 2 cores): a person's feed from the cache < 10 ms, invitees for a session
< 50 ms. Builds the same organisation as ``bench_recommend`` (``kshare demo --people 5000`` and
about 1,000,000 signal rows, reusing its generator), trains once (and fits the host finder), then
measures p50/p95 in ms of the first call per item (and, as ``*_quiet_*``, of the fastest of
three calls per item: on a shared, loaded machine that removes most of the scheduler's noise)
and the most queries of one call, of:

- ``recommended_for`` upcoming sessions and recordings for 200 members from the cache;
- ``recommended_for`` for 50 newcomers who are not in it (cold start);
- ``invitees_for`` for 50 upcoming sessions;
- ``hosts_for_topic`` for 50 topic requests (the fitted ExpertFinder, loaded once per process).

Run alone with ``.venv/bin/python bench/bench_recommend_serving.py`` (a fresh database in a child
process, as the other benches), or through ``bench/run.py -k recommend_serving``. To measure
again and again on one database while changing the serving code, run the child yourself with a
``KSHARE_HOME`` (SQLite) or ``DATABASE_URL`` of your own and ``BENCH_SERVING_REUSE=1``: the
organisation and the training are built the first time only.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_recommend  # found through the path above
from child import child_run

NAME = "recommend_serving_5000"


def run(bench=None) -> list[dict]:
    return child_run(
        Path(__file__),
        label="recommend_serving",
        bench=bench,
        echo=True,
        env_extra={"OPENBLAS_NUM_THREADS": "1"},
    )


_say = bench_recommend._say


def _build() -> None:
    import random
    import time

    from django.db import connection

    from kshare.demo.generator import demo_organisation_create
    from kshare.recommend.services import recommend_train

    started = time.perf_counter()
    demo_organisation_create(people=bench_recommend.PEOPLE, seed=1)
    _say(f"demo: {time.perf_counter() - started:.1f} s")
    before = bench_recommend._signal_rows()
    bench_recommend._generate(random.Random(7), max(0, bench_recommend.ROWS - before))
    _say(f"signal rows: {bench_recommend._signal_rows():,}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    started = time.perf_counter()
    recommend_train(reason="bench")
    _say(f"train: {time.perf_counter() - started:.1f} s")


def _child() -> list[dict]:
    import random
    import time

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kshare.people.models import Person, Role, Skill
    from kshare.recommend import experts_adapter
    from kshare.recommend.models import Recommendation, TrainingRun
    from kshare.recommend.selectors import hosts_for_topic, invitees_for, recommended_for
    from kshare.sessions.models import Session, State
    from kshare.tags.models import Tag
    from kshare.topics.models import TopicRequest

    rng = random.Random(7)
    call_command("migrate", verbosity=0)
    reuse = os.environ.get("BENCH_SERVING_REUSE") == "1"
    if not (reuse and TrainingRun.objects.filter(status=TrainingRun.Status.DONE).exists()):
        _build()
    if not experts_adapter.experts_stored():
        started = time.perf_counter()
        experts_adapter.experts_fit_and_store()
        _say(f"experts fit: {time.perf_counter() - started:.1f} s")
    fit_seconds = float(experts_adapter.experts_stored_details().get("seconds", 0.0))

    members = list(
        Recommendation.objects.filter(kind="session")
        .values_list("person_id", flat=True)
        .distinct()
        .order_by("person_id")[:2000]
    )
    sample = [Person.objects.get(pk=pk) for pk in rng.sample(members, min(200, len(members)))]
    tags = list(Tag.objects.order_by("pk").values_list("pk", flat=True))
    team_ids = list(
        Person.objects.exclude(team=None).order_by("team_id").values_list("team_id", flat=True)
    )
    team_ids = sorted(set(team_ids))
    newcomers = []
    for i in range(50):
        person, created = Person.objects.get_or_create(
            email=f"newcomer{i}@bench.example",
            defaults={
                "display_name": f"Newcomer {i}",
                "team_id": rng.choice(team_ids) if team_ids else None,
                "role": Role.MEMBER,
            },
        )
        if created:
            Skill.objects.create(person=person, tag_id=rng.choice(tags), level=rng.randint(1, 3))
        newcomers.append(person)
    upcoming = list(
        Session.objects.filter(state=State.SCHEDULED, start__gt=timezone.now())
        .select_related("programme")
        .order_by("pk")
    )
    upcoming = rng.sample(upcoming, min(50, len(upcoming)))
    if TopicRequest.objects.filter(title__startswith="Wanted: ").count() < 50:
        # The demo has a handful of requests: ask for more on what held sessions were about.
        held = list(Session.objects.filter(state=State.HELD).order_by("pk")[:5000])
        for session in rng.sample(held, 50):
            request = TopicRequest.objects.create(
                title=f"Wanted: {session.title}"[:120],
                description=session.abstract[:300],
                requester=rng.choice(sample),
            )
            request.tags.set(session.tags.all())
    topics = list(TopicRequest.objects.filter(title__startswith="Wanted: ").order_by("pk"))
    viewer = sample[0]

    def timed(func) -> tuple[float, int, float]:
        """(ms of the first call, its queries, ms of the fastest of three calls)."""
        runs = []
        for _ in range(3):
            with CaptureQueriesContext(connection) as queries:
                t = time.perf_counter()
                func()
                runs.append((time.perf_counter() - t) * 1000)
            if len(runs) == 1:
                count = len(queries.captured_queries)
        return runs[0], count, min(runs)

    # Warm up the connection, the statement caches and the finder's one load per process.
    for person in sample[:5]:
        recommended_for(person=person, kind="session")
    if topics:
        hosts_for_topic(viewer=viewer, topic=topics[0])
    reset_queries()
    paths = {
        "feed_cached": [
            timed(lambda p=p: recommended_for(person=p, kind="session")) for p in sample
        ],
        "recordings_cached": [
            timed(lambda p=p: recommended_for(person=p, kind="recording")) for p in sample
        ],
        "feed_cold_start": [
            timed(lambda p=p: recommended_for(person=p, kind="session")) for p in newcomers
        ],
        "invitees": [timed(lambda s=s: invitees_for(session=s)) for s in upcoming],
        "hosts": [timed(lambda t=t: hosts_for_topic(viewer=viewer, topic=t)) for t in topics],
    }
    out = [
        {"name": NAME, "metric": "experts_fit_seconds", "value": round(fit_seconds, 2), "unit": "s"}
    ]
    for label, measured in paths.items():
        if not measured:
            continue
        p50, p95 = bench_recommend._percentiles([ms for ms, _, _ in measured])
        quiet50, quiet95 = bench_recommend._percentiles([best for _, _, best in measured])
        most = max(n for _, n, _ in measured)
        out.append({"name": NAME, "metric": f"{label}_p50", "value": round(p50, 2), "unit": "ms"})
        out.append({"name": NAME, "metric": f"{label}_p95", "value": round(p95, 2), "unit": "ms"})
        for metric, value in ((f"{label}_quiet_p50", quiet50), (f"{label}_quiet_p95", quiet95)):
            out.append({"name": NAME, "metric": metric, "value": round(value, 2), "unit": "ms"})
        metric = f"{label}_queries_max"
        out.append({"name": NAME, "metric": metric, "value": float(most), "unit": "queries"})
        _say(
            f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms (fastest of 3: p50 {quiet50:.1f}, "
            f"p95 {quiet95:.1f}), at most {most} queries"
        )
    return out


if __name__ == "__main__":
    if "--child" in sys.argv:
        print(json.dumps(_child()))
    else:
        for row in run():
            print(f"{row['metric']:>28}: {row['value']} {row['unit']}")
