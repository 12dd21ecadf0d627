"""The culture dashboard of the 5,000-person demo: page render time, cold and warm cache.

Goal (issue 8): the dashboard page renders in < 300 ms. In one child process against a fresh
database of its own (a temporary SQLite file, or a throw-away database on the DATABASE_URL
server, as bench_demo does): ``kshare demo --people 5000`` (about 20,000 sessions), then
``GET /dashboard/`` (last 12 months, all programmes and teams) through the test client as an
organiser:

- cold: the cache emptied before each request (every figure computed), p50/p95 in ms;
- warm: the figures from the cache (the data-version check only), p50/p95 in ms;
- after a write: one attendance saved (the data version bumps), then the next render, p50;
- a filtered page (the default programme and one team), cold and warm p50;
- the query counts of a cold and a warm render.

Run alone with ``.venv/bin/python bench/bench_dashboard.py`` (SQLite, or PostgreSQL when
DATABASE_URL says so), or through ``bench/run.py -k dashboard``.
Smaller for a quick try: ``BENCH_DASHBOARD_PEOPLE=500``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from child import child_measure, child_run  # noqa: E402 - found through the path above

PEOPLE = int(os.environ.get("BENCH_DASHBOARD_PEOPLE", 5_000))
NAME = f"dashboard_demo_{PEOPLE}"
COLD_RUNS = 9
WARM_RUNS = 40


def measure(*, database: str) -> list[dict]:
    return child_measure(Path(__file__), label="dashboard", database=database, echo=True)


def run(bench=None) -> list[dict]:
    return child_run(Path(__file__), label="dashboard", bench=bench, echo=True)


# --- the child: build the demo, render the dashboard ---------------------------------------


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return p50, p95


def _child() -> list[dict]:
    import time

    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import (
        CaptureQueriesContext,
        override_settings,
        setup_test_environment,
    )
    from django.urls import reverse

    from kshare.demo.generator import demo_organisation_create
    from kshare.people.models import Person, Role, Team
    from kshare.programmes.models import Programme
    from kshare.sessions.models import Attendance, Session, State

    setup_test_environment()  # the test client's host, in-memory mail
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    demo_organisation_create(people=PEOPLE, seed=1)
    _say(f"demo: {time.perf_counter() - started:.1f} s, {Session.objects.count():,} sessions")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    organiser = Person.objects.create_user(
        "bench-dashboard@example.com", display_name="Bench Organiser", role=Role.ORGANISER
    )
    client = Client()
    client.force_login(organiser)
    page = reverse("dashboard:index")
    programme = Programme.objects.order_by("-is_default", "pk").first()
    team = Team.objects.order_by("pk").first()
    filtered = f"{page}?programme={programme.pk if programme else ''}"
    filtered += f"&team={team.pk if team else ''}"

    def timed(url: str, *, cold: bool) -> float:
        if cold:
            caches["dashboard"].clear()
        t = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - t) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        return elapsed

    def queries(url: str, *, cold: bool) -> int:
        if cold:
            caches["dashboard"].clear()
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        return len(ctx.captured_queries)

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        timed(page, cold=True)  # warm up: templates, connection, the data-version row
        cold = [timed(page, cold=True) for _ in range(COLD_RUNS)]
        warm = [timed(page, cold=False) for _ in range(WARM_RUNS)]
        after_write = []
        held = list(
            Session.objects.filter(state=State.HELD).order_by("-start").values_list("pk", flat=True)
        )[:5]
        people = list(Person.objects.order_by("-pk").values_list("pk", flat=True)[:5])
        for session_id, person_id in zip(held, people, strict=False):
            Attendance.objects.get_or_create(session_id=session_id, person_id=person_id)
            after_write.append(timed(page, cold=False))
        filtered_cold = [timed(filtered, cold=True) for _ in range(COLD_RUNS)]
        filtered_warm = [timed(filtered, cold=False) for _ in range(WARM_RUNS)]
        cold_queries = queries(page, cold=True)
        warm_queries = queries(page, cold=False)

    out = [
        {"name": NAME, "metric": "people", "value": float(PEOPLE), "unit": "rows"},
        {
            "name": NAME,
            "metric": "sessions",
            "value": float(Session.objects.count()),
            "unit": "rows",
        },
        {"name": NAME, "metric": "queries_cold", "value": float(cold_queries), "unit": "queries"},
        {"name": NAME, "metric": "queries_warm", "value": float(warm_queries), "unit": "queries"},
    ]
    for label, values in (
        ("page_cold", cold),
        ("page_warm", warm),
        ("page_after_write", after_write),
        ("filtered_cold", filtered_cold),
        ("filtered_warm", filtered_warm),
    ):
        p50, p95 = _percentiles(values)
        out.append({"name": NAME, "metric": f"{label}_p50", "value": round(p50, 2), "unit": "ms"})
        out.append({"name": NAME, "metric": f"{label}_p95", "value": round(p95, 2), "unit": "ms"})
        _say(f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    _say(f"queries: cold {cold_queries}, warm {warm_queries}")
    return out


if __name__ == "__main__":
    if "--child" in sys.argv:
        print(json.dumps(_child()))
    else:
        for row in run():
            print(f"{row['name']:<24} {row['metric']:<22} {row['value']:>10} {row['unit']}")
