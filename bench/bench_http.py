"""The pages people open, measured from outside: `kshare serve` on the 5,000-person demo, with wrk.

For each database (SQLite, and PostgreSQL when a server answers) the benchmark

1. builds the demo once (``kshare migrate``, ``kshare demo --people 5000 --seed 1``, ``kshare
   reindex`` and one recommender training, as the worker's clock would run it) and keeps it,
   keyed by the migrations and the demo generator's source: SQLite under
   ``.cache/bench/demo5000-<key>/``, PostgreSQL as the template database
   ``kshare_benchhttp_demo5000_<key>``. Each run measures a fresh copy (a file copy; ``CREATE
   DATABASE … TEMPLATE …``), so nothing a run writes (sign-ins, tokens) reaches the next one;
2. starts the production server exactly as docs/configuration.md documents it: ``kshare serve``
   (DEBUG off, collected static files) with ``KSHARE_INSECURE_HTTP=1`` because no TLS proxy stands
   in front of it here, and ``KSHARE_API_RATE`` raised so that the API's per-token limit (600 a
   minute) does not turn the API page into 429s after two seconds. With a ``kshare serve`` that
   offers ``--workers`` the server's own defaults are used unless ``KSHARE_BENCH_SERVE_ARGS`` says
   otherwise; the server kind and size are recorded in every row (``"waitress 8 threads"``,
   ``"gunicorn 4x4"``);
3. signs the demo member and the demo organiser in through the real sign-in form, creates the
   member's calendar feed and a read-only personal access token, and checks that every page
   answers 200 with what it should show (a 302 to the sign-in page measured as fast would be a
   lie);
4. per page: 5 s of warm-up, then wrk for ``KSHARE_BENCH_SECONDS`` (default 20) with 32
   connections (throughput) and again with 8 (latency), browser headers (Accept,
   Accept-Language, Accept-Encoding: gzip) and the signed-in cookies. Non-2xx answers and socket
   errors count as ``errors``; so does every connection of a measurement in which nothing
   answered (wrk does not report requests still waiting when it stops).

Rows (bench/results/bench_http.json): ``req_per_s``, ``p50_ms``, ``p95_ms``, ``p99_ms``,
``errors`` and ``ratio_to_floor`` (the page's req/s ÷ ``healthz``'s req/s at the same concurrency
in the same run: the number that survives a shared, noisy machine) per page and concurrency, each
with ``database``, ``server``, ``concurrency`` and ``loadavg`` (the 1-minute load average when the
measurement ended, the benchmark's own load included).

Run it through ``make bench`` / ``bench/run.py -k http``, or alone::

    .venv/bin/python bench/bench_http.py                     # every page, SQLite (+ PostgreSQL)
    .venv/bin/python bench/bench_http.py -k session -k home --seconds 5 --no-save
    KSHARE_BENCH_PAGES=session,home KSHARE_BENCH_SECONDS=5 \\
        .venv/bin/python bench/run.py -k http --no-save

``healthz`` (the floor) is always measured; ``your_data`` is the lightest signed-in page, the floor
of every page behind the sign-in. See bench/README.md for every option.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import html
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

MODULE = "bench_http"
FLOOR = "healthz"
PAGES = (
    "healthz",
    "your_data",
    "session",
    "upcoming",
    "home",
    "calendar_feed",
    "people",
    "experts",
    "search",
    "feedback_results",
    "dashboard",
    "api_sessions",
)
THROUGHPUT_CONNECTIONS = 32
LATENCY_CONNECTIONS = 8
WARMUP_SECONDS = 5
DEFAULT_SECONDS = 20


# wrk keeps only latencies below its --timeout (its histogram ends there), so the timeout must
# be longer than any request of the measurement can take; the 2 s default would drop a slow
# page's tail from the percentiles. wrk 4.1 does not count a request still unanswered when the
# measurement ends as an error: page_rows counts a measurement in which nothing answered.
def wrk_timeout(seconds: int) -> int:
    return seconds + 10  # wrk takes whole seconds only


DEMO_PEOPLE = 5_000
DEMO_SEED = 1
# Bump when the build steps below change: the cached demos are then built again.
BUILD_VERSION = 1
CACHE_DIR = Path(os.environ.get("KSHARE_BENCH_CACHE") or ROOT / ".cache" / "bench")
PG_PREFIX = "kshare_benchhttp"
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"

BROWSER_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-GB,en;q=0.9",
    "Accept-Encoding": "gzip, deflate",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) kshare-bench-http",
}

# wrk's Lua hooks: count every answer that is not 2xx (wrk itself counts only >= 400) and print
# one machine-readable line at the end. Each wrk thread has its own Lua state, so the counts are
# collected from the threads in done().
WRK_SCRIPT = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local non2xx_total = 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + (thread:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'KSHARE_WRK {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "status": %d, "timeout": %d, "non2xx": %d, "p50_us": %d, "p95_us": %d, '
    .. '"p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, non2xx_total, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max))
end
"""


# --- what wrk says ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def req_per_s(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def parse_wrk(output: str) -> WrkResult:
    """Read the ``KSHARE_WRK {...}`` line that WRK_SCRIPT's done() prints.

    ``errors`` = answers that were not 2xx + connect, read, write errors and timeouts (wrk's own
    ``status`` count is a subset of the non-2xx answers, so it is not added again).
    """
    for line in reversed(output.splitlines()):
        if line.startswith("KSHARE_WRK "):
            data = json.loads(line.removeprefix("KSHARE_WRK "))
            break
    else:
        raise ValueError(f"wrk printed no KSHARE_WRK line:\n{output[-2000:]}")
    errors = data["non2xx"] + data["connect"] + data["read"] + data["write"] + data["timeout"]
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=errors,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )


def ratio_to_floor(page_req_per_s: float, floor_req_per_s: float) -> float:
    """The page's throughput as a fraction of the floor's (``healthz``) in the same run."""
    if floor_req_per_s <= 0:
        raise ValueError("the floor (healthz) served nothing: no ratio can be computed")
    return page_req_per_s / floor_req_per_s


def page_rows(
    page: str, concurrency: int, result: WrkResult, floor: WrkResult | None
) -> list[tuple[str, float, str]]:
    """(metric, value, unit) of one page at one concurrency.

    Percentiles of a measurement in which nothing answered would read 0 ms, which is a lie: they
    are left out then, and ``req_per_s`` 0 with ``errors`` tell what happened. When nothing
    answered and wrk saw no error either, every connection waited for the whole measurement:
    each counts as one error.
    """
    rows: list[tuple[str, float, str]] = [("req_per_s", round(result.req_per_s, 2), "req/s")]
    errors = result.errors
    if result.requests == 0 and errors == 0:
        errors = concurrency
    if result.requests > 0:
        rows += [
            ("p50_ms", round(result.p50_ms, 2), "ms"),
            ("p95_ms", round(result.p95_ms, 2), "ms"),
            ("p99_ms", round(result.p99_ms, 2), "ms"),
        ]
    rows.append(("errors", float(errors), "requests"))
    if floor is not None and floor.req_per_s > 0:
        ratio = ratio_to_floor(result.req_per_s, floor.req_per_s)
        rows.append(("ratio_to_floor", round(ratio, 4), "ratio"))
    return rows


def format_table(rows: Iterable[object]) -> str:
    """Page x database: req/s and ratio to the floor at 32 connections, p95 at 8, errors."""
    cells: dict[tuple[str, str], dict[str, float]] = {}
    databases: list[str] = []
    servers: dict[str, str] = {}
    loads: dict[str, list[float]] = {}
    for raw in rows:
        row = raw.as_dict() if hasattr(raw, "as_dict") else dict(raw)  # type: ignore[call-overload]
        database = str(row["database"])
        if database not in databases:
            databases.append(database)
        servers.setdefault(database, str(row.get("server", "?")))
        if row.get("loadavg") is not None:
            loads.setdefault(database, []).append(float(row["loadavg"]))
        cell = cells.setdefault((str(row["name"]), database), {})
        key = f"{row['metric']}@{row.get('concurrency')}"
        cell[key] = float(row["value"])
        if row["metric"] == "errors":
            cell["errors"] = cell.get("errors", 0.0) + float(row["value"])
    pages = [p for p in PAGES if any((p, d) in cells for d in databases)]
    pages += sorted({name for name, _ in cells} - set(pages))

    def fmt(value: float | None, spec: str) -> str:
        return "—" if value is None else format(value, spec)

    t, lat = THROUGHPUT_CONNECTIONS, LATENCY_CONNECTIONS
    header = ["page"]
    for database in databases:
        header += [f"{database} req/s", f"p95 ms@{lat}", "ratio", "errors"]
    lines = [header]
    for page in pages:
        line = [page]
        for database in databases:
            cell = cells.get((page, database), {})
            line += [
                fmt(cell.get(f"req_per_s@{t}"), ",.1f"),
                fmt(cell.get(f"p95_ms@{lat}"), ",.1f"),
                fmt(cell.get(f"ratio_to_floor@{t}"), ".3f"),
                fmt(cell.get("errors"), ".0f"),
            ]
        lines.append(line)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        out.append(
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(line)
            )
        )
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    notes = []
    for database in databases:
        load = loads.get(database)
        shown = f"load average {min(load):.1f}-{max(load):.1f}" if load else "load average ?"
        notes.append(f"{database}: {servers[database]}, {shown}")
    out.append(
        f"req/s and ratio (÷ healthz req/s) at {t} connections, p95 at {lat}; " + "; ".join(notes)
    )
    return "\n".join(out)


# --- the demo, built once and copied per run -------------------------------------------------


def demo_key() -> str:
    """What the built demo depends on: every migration, the demo generator and the build steps."""
    digest = hashlib.sha256(f"build {BUILD_VERSION} {DEMO_PEOPLE} {DEMO_SEED}\n".encode())
    package = ROOT / "kshare"
    files = sorted(package.glob("*/migrations/*.py")) + sorted((package / "demo").rglob("*.py"))
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


def _kshare() -> list[str]:
    """The `kshare` command of this environment (the console script beside this interpreter)."""
    script = Path(sys.executable).with_name("kshare")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kshare.cli"]


def _base_env(home: Path, database_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "KSHARE_HOME": str(home),
        "DJANGO_SETTINGS_MODULE": "kshare.settings",
        "DEBUG": "0",
        "KSHARE_INSECURE_HTTP": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    for name in ("KSHARE_TESTING", "DATABASE_URL"):
        env.pop(name, None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _say(message: str) -> None:
    print(f"   {message}", flush=True)


def _run_logged(command: Sequence[str], env: dict[str, str], log: Path, what: str) -> None:
    with log.open("ab") as out:
        out.write(f"\n$ {shlex.join(command)}\n".encode())
        out.flush()
        done = subprocess.run(  # noqa: S603 - our own interpreter and commands
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {done.returncode}):\n{log.read_text()[-3000:]}")


BUILD_EXTRA = """
import django
django.setup()
from django.db import connection
from kshare.recommend.services import recommend_train_if_due
run = recommend_train_if_due()
print("recommender trained:", run.pk if run is not None else "not due")
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum would have done on a live server
"""


def _build_demo(home: Path, database_url: str | None, log: Path) -> None:
    """The demo as an organisation would have it after `kshare up` and a first worker tick."""
    env = _base_env(home, database_url)
    started = time.perf_counter()
    _say(f"building the {DEMO_PEOPLE:,}-person demo (a few minutes, once; log: {log})")
    _run_logged([*_kshare(), "migrate"], env, log, "kshare migrate")
    demo = [*_kshare(), "demo", "--people", str(DEMO_PEOPLE), "--seed", str(DEMO_SEED)]
    _run_logged(demo, env, log, "kshare demo")
    _run_logged([*_kshare(), "reindex"], env, log, "kshare reindex")
    _run_logged([sys.executable, "-c", BUILD_EXTRA], env, log, "the recommender's training")
    _say(f"demo built in {time.perf_counter() - started:.0f} s")


def _sqlite_demo(key: str) -> Path:
    """The cached demo's SQLite file, built first when missing."""
    import sqlite3

    cached = CACHE_DIR / f"demo{DEMO_PEOPLE}-{key}"
    database = cached / "var" / "kshare.sqlite3"
    if (cached / "READY").exists():
        return database
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f"demo{DEMO_PEOPLE}-{key}-building-", dir=CACHE_DIR))
    try:
        _build_demo(building, None, CACHE_DIR / f"demo{DEMO_PEOPLE}-{key}.log")
        # One self-contained file: fold the write-ahead log in before it is copied around.
        with contextlib.closing(sqlite3.connect(building / "var" / "kshare.sqlite3")) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.execute("PRAGMA journal_mode=DELETE")
        (building / "READY").write_text(f"{key}\n")
        try:
            building.rename(cached)
        except OSError:  # another run built it meanwhile
            if not (cached / "READY").exists():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return database


def _admin(server_url: str):
    import psycopg

    parts = urllib.parse.urlsplit(server_url)
    url = urllib.parse.urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


def _database_url(server_url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(server_url)
    return urllib.parse.urlunsplit(("postgres", parts.netloc, f"/{name}", parts.query, ""))


def _postgres_demo(server_url: str, key: str) -> str:
    """The name of the cached demo's template database, built first when missing."""
    template = f"{PG_PREFIX}_demo{DEMO_PEOPLE}_{key}"
    with _admin(server_url) as db:
        if db.execute("SELECT 1 FROM pg_database WHERE datname = %s", (template,)).fetchone():
            return template
    building = f"{PG_PREFIX}_building_{os.getpid()}"
    home = Path(tempfile.mkdtemp(prefix="kshare-bench-http-build-"))
    with _admin(server_url) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{building}"')
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        log = CACHE_DIR / f"{template}.log"
        _build_demo(home, _database_url(server_url, building), log)
        with _admin(server_url) as db:
            try:
                db.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
            except Exception:  # another run built it meanwhile
                if not db.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (template,)
                ).fetchone():
                    raise
            else:
                # Nobody connects to (and so nobody writes into) the template by mistake.
                db.execute(
                    f'ALTER DATABASE "{template}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false'
                )
    finally:
        with _admin(server_url) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        shutil.rmtree(home, ignore_errors=True)
    return template


@contextlib.contextmanager
def demo_copy(database: str, server_url: str | None) -> Iterator[tuple[Path, str | None]]:
    """A fresh copy of the cached demo: (KSHARE_HOME, DATABASE_URL or None for SQLite)."""
    key = demo_key()
    home = Path(tempfile.mkdtemp(prefix=f"kshare-bench-http-{database}-"))
    (home / "var").mkdir()
    name = None
    try:
        if database == "sqlite":
            cached = _sqlite_demo(key)
            shutil.copyfile(cached, home / "var" / "kshare.sqlite3")
            if (cached.parent / "media").exists():  # uploads, should the demo ever have any
                shutil.copytree(cached.parent / "media", home / "var" / "media")
            url = None
        else:
            assert server_url is not None
            template = _postgres_demo(server_url, key)
            name = f"{PG_PREFIX}_run_{os.getpid()}"
            with _admin(server_url) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                db.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            url = _database_url(server_url, name)
        yield home, url
    finally:
        if name is not None and server_url is not None:
            with _admin(server_url) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(home, ignore_errors=True)


def clean(server_url: str | None) -> None:
    """Remove every cached demo (SQLite folders and PostgreSQL templates)."""
    if CACHE_DIR.exists():
        for path in CACHE_DIR.glob(f"demo{DEMO_PEOPLE}-*"):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            print(f"removed {path}")
    if server_url is None:
        return
    with _admin(server_url) as db:
        pattern = f"{PG_PREFIX}\\_demo{DEMO_PEOPLE}\\_%"
        names = [
            r[0]
            for r in db.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (pattern,))
        ]
        for name in names:
            db.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false')
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"dropped database {name}")


# --- the pages ------------------------------------------------------------------------------


def prepare() -> dict:
    """Who signs in, which session, skill and results page, the member's feed and API token.

    Runs in the demo copy (``bench_http.py --prepare`` before the server starts, or in-process
    in profile_page.py) once Django is set up; writes only the feed and a read-only token.
    """
    from django.db.models import Count

    from kshare.api.services import token_create
    from kshare.calendars.models import CalendarFeed
    from kshare.calendars.services import feed_create
    from kshare.demo import DEMO_PASSWORD, MEMBER_EMAIL, ORGANISER_EMAIL
    from kshare.library.models import Material
    from kshare.people.models import Person, Skill
    from kshare.sessions.models import Session, State

    member = Person.objects.get(email=MEMBER_EMAIL)
    organiser = Person.objects.get(email=ORGANISER_EMAIL)
    held = Session.objects.filter(state=State.HELD)
    # A held session the member attended, with materials, and ideas and feedback where any.
    session = (
        held.filter(attendances__person=member)
        .annotate(
            n_materials=Count("materials", distinct=True),
            n_ideas=Count("ideas", distinct=True),
            n_responses=Count("feedback_responses", distinct=True),
        )
        .filter(n_materials__gt=0)
        .order_by("-n_ideas", "-n_responses", "-n_materials", "pk")
        .first()
    )
    if session is None:
        raise RuntimeError("the demo has no held session with materials that the member attended")
    material = Material.objects.filter(session=session).order_by("pk").first()
    assert material is not None
    # A held session of a programme the organiser organises, with the most feedback.
    results = (
        held.filter(programme__organisers=organiser)
        .annotate(n_responses=Count("feedback_responses"))
        .filter(n_responses__gt=0)
        .order_by("-n_responses", "pk")
        .first()
    )
    if results is None:
        raise RuntimeError("the demo has no held session with feedback the organiser organises")
    # The skill most people have: the longest list of experts.
    skill = (
        Skill.objects.values("tag_id", "tag__slug", "tag__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "tag_id")
        .first()
    )
    assert skill is not None
    feed = CalendarFeed.objects.filter(person=member).first() or feed_create(person=member)
    _, token = token_create(person=member, name="bench_http", scope="read")
    return {
        "password": DEMO_PASSWORD,
        "member": {
            "email": member.email,
            "name": member.display_name,
            "short_name": member.get_short_name(),
        },
        "organiser": {"email": organiser.email, "name": organiser.display_name},
        "session": {
            "pk": session.pk,
            "title": session.title,
            "material": material.title,
            "materials": session.n_materials,
            "ideas": session.n_ideas,
            "responses": session.n_responses,
        },
        "results": {"pk": results.pk, "title": results.title, "responses": results.n_responses},
        "skill": {"slug": skill["tag__slug"], "name": skill["tag__name"], "people": skill["n"]},
        "feed_token": feed.token,
        "api_token": token,
    }


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    who: str  # "member", "organiser", "anonymous" (healthz) or "token" (the API)
    expect: tuple[str, ...]  # texts the answer must contain (HTML-escaped where it is HTML)


def pages_for(prepared: dict) -> dict[str, Page]:
    esc = html.escape
    member_menu = f"Account menu for {esc(prepared['member']['name'])}"
    organiser_menu = f"Account menu for {esc(prepared['organiser']['name'])}"
    session = prepared["session"]
    results = prepared["results"]
    skill = prepared["skill"]
    skill_query = urllib.parse.urlencode({"skill": skill["slug"]})
    pages = [
        Page(FLOOR, "/healthz", "anonymous", ('"status": "ok"',)),
        # The lightest page a signed-in person opens (the site's layout, the navigation and a
        # few sentences, no list): the floor of every signed-in page, whose ratio to healthz
        # bounds what any richer page can reach.
        Page("your_data", "/people/me/data/", "member", (member_menu, "<h1")),
        Page(
            "session",
            f"/sessions/{session['pk']}/",
            "member",
            (member_menu, esc(session["title"]), esc(session["material"])),
        ),
        Page("upcoming", "/sessions/upcoming/", "member", (member_menu, "<h1")),
        Page(
            "home", "/", "member", (member_menu, f"Hello {esc(prepared['member']['short_name'])}")
        ),
        Page(
            "calendar_feed",
            f"/calendar/feed/{prepared['feed_token']}.ics",
            "anonymous",
            ("BEGIN:VCALENDAR", "BEGIN:VEVENT"),
        ),
        Page("people", "/people/", "member", (member_menu, "<h1")),
        Page("experts", f"/people/experts/?{skill_query}", "member", (member_menu, "<h1")),
        Page("search", "/search/?q=python", "member", (member_menu, "ython")),
        Page(
            "feedback_results",
            f"/feedback/sessions/{results['pk']}/",
            "organiser",
            (organiser_menu, esc(results["title"])),
        ),
        Page("dashboard", "/dashboard/", "organiser", (organiser_menu, "<h1")),
        Page("api_sessions", "/api/v1/sessions", "token", ('"items": [{',)),
    ]
    return {page.name: page for page in pages}


# --- HTTP -----------------------------------------------------------------------------------


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
    """One GET without following redirects: (status, headers, body as text, gunzipped)."""
    conn = HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        got = {k.lower(): v for k, v in response.getheaders()}
        if got.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return response.status, got, body.decode("utf-8", "replace")
    finally:
        conn.close()


def sign_in(port: int, email: str, password: str) -> str:
    """Sign in through the real form; the Cookie header a browser would send afterwards."""
    conn = HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", "/signin/", headers=BROWSER_HEADERS)
        response = conn.getresponse()
        form = response.read().decode()
        cookies = SimpleCookie()
        for value in response.headers.get_all("Set-Cookie") or []:
            cookies.load(value)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        if response.status != 200 or match is None or "csrftoken" not in cookies:
            raise RuntimeError(f"GET /signin/ answered {response.status} without a sign-in form")
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": match.group(1), "username": email, "password": password}
        )
        conn.request(
            "POST",
            "/signin/",
            body=body,
            headers={
                **BROWSER_HEADERS,
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookies['csrftoken'].value}",
                "Origin": f"http://127.0.0.1:{port}",
                "Referer": f"http://127.0.0.1:{port}/signin/",
            },
        )
        response = conn.getresponse()
        response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            cookies.load(value)
        if response.status != 302 or "sessionid" not in cookies:
            raise RuntimeError(f"signing in as {email} answered {response.status}, no session")
    finally:
        conn.close()
    return "; ".join(f"{name}={cookies[name].value}" for name in ("csrftoken", "sessionid"))


def check_page(port: int, page: Page, headers: dict[str, str]) -> None:
    """The page answers 200 with what it should show, or the benchmark stops here."""
    status, got, body = _get(port, page.path, headers)
    if status != 200:
        where = f" to {got.get('location')}" if "location" in got else ""
        raise RuntimeError(f"{page.name}: GET {page.path} answered {status}{where}, not 200")
    missing = [text for text in page.expect if text not in body]
    if missing:
        raise RuntimeError(
            f"{page.name}: GET {page.path} answered 200 without {missing!r}:\n{body[:1500]}"
        )


# --- the server -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_help() -> str:
    done = subprocess.run(  # noqa: S603 - our own command
        [*_kshare(), "serve", "--help"], capture_output=True, text=True, check=False, cwd=ROOT
    )
    return " ".join(done.stdout.split())


def _option(args: Sequence[str], name: str) -> str | None:
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _default(help_text: str, option: str) -> str | None:
    """The ``(default: N)`` argparse shows for ``option`` in `kshare serve --help`."""
    match = re.search(re.escape(option) + r"\b[^-]*?default:?\s*(\d+)", help_text)
    return match.group(1) if match else None


def server_kind(help_text: str, args: Sequence[str], processes: int) -> str:
    """``"waitress 8 threads"``, ``"gunicorn 4x4"``: what served, from the options and /proc."""
    lowered = help_text.lower()
    threads = _option(args, "--threads") or _default(help_text, "--threads") or "?"
    if "--workers" in help_text:
        workers = _option(args, "--workers") or _default(help_text, "--workers")
        kind = next((k for k in ("gunicorn", "granian", "uvicorn") if k in lowered), "server")
        return f"{kind} {workers or processes}x{threads}"
    kind = "waitress" if "waitress" in lowered else "server"
    return f"{kind} {threads} threads"


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


class Server:
    """`kshare serve` on a free loopback port, in its own process group."""

    def __init__(self, home: Path, database_url: str | None, extra_args: Sequence[str]) -> None:
        self.port = _free_port()
        self.log = home / "serve.log"
        env = _base_env(home, database_url)
        # The API allows 600 requests a minute per token by default: far above what one person
        # sends, far below what a benchmark sends. The limit's check still runs on every request.
        env["KSHARE_API_RATE"] = "1000000/second"
        env["SITE_URL"] = f"http://127.0.0.1:{self.port}"  # where links in pages and feeds point
        self.args = [*_kshare(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.args += list(extra_args)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own command
                self.args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"kshare serve exited:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                if _get(self.port, "/healthz", {})[0] == 200:
                    break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"kshare serve did not answer:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.25)
        time.sleep(1)  # let every worker process of a pre-forking server come up
        self.processes = max(1, len(_children(self.process.pid)))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# --- measuring ------------------------------------------------------------------------------


def drain(port: int) -> None:
    """Wait until the requests wrk left behind are answered: a slow page's queue would otherwise
    still be served while the next measurement runs. The server answers in order, so one
    ``healthz`` answering means the queue before it is done."""
    status = _get(port, "/healthz", {})[0]
    if status != 200:
        raise RuntimeError(f"healthz answered {status} between two measurements")


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError(
            "wrk is missing: `make bench` installs it (apt-get install wrk), or install it."
        )
    return found


def run_wrk(
    url: str, headers: dict[str, str], *, connections: int, seconds: int, script: Path
) -> WrkResult:
    command = [
        wrk_path(),
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={wrk_timeout(seconds)}s",
        "-s",
        str(script),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(  # noqa: S603 - wrk with our arguments
        [*command, url], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        output = (done.stderr.strip() or done.stdout.strip())[-2000:]
        raise RuntimeError(f"wrk failed ({done.returncode}): {output}")
    return parse_wrk(done.stdout)


@dataclass
class Measured:
    page: str
    concurrency: int
    result: WrkResult
    loadavg: float | None


def measure_database(
    database: str,
    *,
    server_url: str | None,
    pages: Sequence[str],
    seconds: int,
    serve_args: Sequence[str],
) -> tuple[str, list[Measured]]:
    """Measure ``pages`` (healthz first) on a fresh demo copy; (server kind, measurements)."""
    from results import load_average

    print(f"-- {database}: load average {load_average()} before the run", flush=True)
    with demo_copy(database, server_url) as (home, database_url):
        env = _base_env(home, database_url)
        _run_logged(
            [*_kshare(), "manage", "collectstatic", "--noinput", "--verbosity", "0"],
            env,
            home / "prepare.log",
            "collectstatic",
        )
        prepare = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, str(Path(__file__).resolve()), "--prepare"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if prepare.returncode != 0:
            raise RuntimeError(f"preparing the pages failed:\n{prepare.stderr[-3000:]}")
        prepared = json.loads(prepare.stdout.strip().splitlines()[-1])
        _say(
            f"session {prepared['session']['pk']} ({prepared['session']['materials']} materials,"
            f" {prepared['session']['ideas']} ideas, {prepared['session']['responses']} "
            f"feedback), results of {prepared['results']['pk']} "
            f"({prepared['results']['responses']} answers), experts in "
            f"{prepared['skill']['slug']} ({prepared['skill']['people']} people)"
        )
        server = Server(home, database_url, serve_args)
        try:
            kind = server_kind(serve_help(), server.args, server.processes)
            _say(f"server: {kind} on port {server.port}")
            cookies = {
                "member": sign_in(server.port, prepared["member"]["email"], prepared["password"]),
                "organiser": sign_in(
                    server.port, prepared["organiser"]["email"], prepared["password"]
                ),
            }
            all_pages = pages_for(prepared)
            chosen = [all_pages[name] for name in pages]
            headers_of = {}
            for page in chosen:
                headers = dict(BROWSER_HEADERS)
                if page.who in cookies:
                    headers["Cookie"] = cookies[page.who]
                elif page.who == "token":
                    headers["Accept"] = "application/json"
                    headers["Authorization"] = f"Bearer {prepared['api_token']}"
                check_page(server.port, page, headers)
                headers_of[page.name] = headers
            script = home / "report.lua"
            script.write_text(WRK_SCRIPT)
            measured: list[Measured] = []
            for page in chosen:
                url = f"http://127.0.0.1:{server.port}{page.path}"
                headers = headers_of[page.name]
                run_wrk(
                    url,
                    headers,
                    connections=LATENCY_CONNECTIONS,
                    seconds=WARMUP_SECONDS,
                    script=script,
                )
                for connections in (THROUGHPUT_CONNECTIONS, LATENCY_CONNECTIONS):
                    drain(server.port)
                    result = run_wrk(
                        url, headers, connections=connections, seconds=seconds, script=script
                    )
                    measured.append(Measured(page.name, connections, result, load_average()))
                    _say(
                        f"{page.name:<17} c={connections:<2} {result.req_per_s:8.1f} req/s  "
                        f"p50 {result.p50_ms:7.1f}  p95 {result.p95_ms:7.1f}  "
                        f"p99 {result.p99_ms:7.1f} ms  errors {result.errors}  "
                        f"load {measured[-1].loadavg}"
                    )
        finally:
            server.stop()
    return kind, measured


def rows_of(measured: Sequence[Measured]) -> list[tuple[Measured, str, float, str]]:
    """Every row of one database's run: (measurement, metric, value, unit)."""
    floors = {m.concurrency: m.result for m in measured if m.page == FLOOR}
    out = []
    for m in measured:
        for metric, value, unit in page_rows(
            m.page, m.concurrency, m.result, floors.get(m.concurrency)
        ):
            out.append((m, metric, value, unit))
    return out


# --- options --------------------------------------------------------------------------------


def selected_pages(names: Iterable[str] | None) -> list[str]:
    """The pages to measure, in PAGES order, healthz always (it is the floor of the ratio)."""
    wanted = {FLOOR}
    for chunk in names or PAGES:
        for name in chunk.split(","):
            name = name.strip()
            if not name:
                continue
            if name not in PAGES:
                raise ValueError(f"unknown page {name!r}; pages: {', '.join(PAGES)}")
            wanted.add(name)
    return [page for page in PAGES if page in wanted]


def postgres_server() -> str | None:
    """DATABASE_URL when it names PostgreSQL, else the local server when it answers."""
    from bench_demo import _postgres_url

    configured = _postgres_url(os.environ.get("DATABASE_URL", ""))
    if configured:
        return configured
    try:
        import psycopg

        psycopg.connect(LOCAL_POSTGRES, connect_timeout=3).close()
    except Exception:
        return None
    return LOCAL_POSTGRES


def selected_databases(value: str | None, server_url: str | None) -> list[str]:
    """KSHARE_BENCH_DATABASES, else the run's database with DATABASE_URL, else both (if any)."""
    from bench_demo import _postgres_url

    if value:
        databases = [d.strip() for d in value.split(",") if d.strip()]
        unknown = set(databases) - {"sqlite", "postgresql"}
        if unknown:
            raise ValueError(f"unknown database {sorted(unknown)}; use sqlite and/or postgresql")
    elif _postgres_url(os.environ.get("DATABASE_URL", "")):
        databases = ["postgresql"]
    else:
        databases = ["sqlite", "postgresql"]
    if "postgresql" in databases and server_url is None:
        if value:
            raise RuntimeError("PostgreSQL asked for, but no server answers on 127.0.0.1:5432")
        print("PostgreSQL does not answer on 127.0.0.1:5432: SQLite only.", flush=True)
        databases.remove("postgresql")
    return databases


def run(
    bench=None,
    *,
    pages: Iterable[str] | None = None,
    seconds: int | None = None,
    databases: str | None = None,
) -> list:
    """Measure; with the runner's recorder (``bench/run.py``), record the rows in it."""
    import results

    env_pages = os.environ.get("KSHARE_BENCH_PAGES")
    chosen = selected_pages(pages or ([env_pages] if env_pages else None))
    seconds = seconds or int(os.environ.get("KSHARE_BENCH_SECONDS") or DEFAULT_SECONDS)
    if seconds < 1:
        raise ValueError("the measurement lasts at least 1 s (whole seconds: wrk takes no others)")
    server_url = postgres_server()
    which = selected_databases(databases or os.environ.get("KSHARE_BENCH_DATABASES"), server_url)
    serve_args = shlex.split(os.environ.get("KSHARE_BENCH_SERVE_ARGS", ""))
    wrk_path()
    if bench is None:
        bench = results.Recorder(
            database="sqlite", commit=results.current_commit(), date=results.now_iso()
        )
    recorded = []
    for database in which:
        kind, measured = measure_database(
            database, server_url=server_url, pages=chosen, seconds=seconds, serve_args=serve_args
        )
        for m, metric, value, unit in rows_of(measured):
            recorded.append(
                bench.record(
                    m.page,
                    metric,
                    value,
                    unit,
                    database=database,
                    loadavg=m.loadavg,
                    concurrency=m.concurrency,
                    server=kind,
                )
            )
    return recorded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/bench_http.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "-k",
        dest="pages",
        action="append",
        help=f"measure only this page (repeatable, or comma-separated): {', '.join(PAGES)}",
    )
    parser.add_argument(
        "--seconds",
        type=int,
        help=f"seconds per page and concurrency (default {DEFAULT_SECONDS})",
    )
    parser.add_argument(
        "--databases", help="sqlite, postgresql or both, comma-separated (default: what answers)"
    )
    parser.add_argument("--no-save", action="store_true", help="print, do not record")
    parser.add_argument(
        "--clean", action="store_true", help="remove the cached demos (folders and templates)"
    )
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    import results

    if args.prepare:  # in the demo copy, before the server starts
        import django

        django.setup()
        print(json.dumps(prepare()))
        return 0
    if args.clean:
        clean(postgres_server())
        return 0
    try:
        rows = run(pages=args.pages, seconds=args.seconds, databases=args.databases)
    except (RuntimeError, ValueError) as exc:
        print(f"bench_http: {exc}", file=sys.stderr)
        return 1
    if rows and not args.no_save:
        path = results.append(MODULE, rows)
        print(f"   {len(rows)} rows added to {path.relative_to(ROOT)}")
    print()
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
