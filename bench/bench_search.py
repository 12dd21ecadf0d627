"""Search over 100,000 documents: p50/p95 latency of 200 mixed queries (goal: p95 < 30 ms).

The documents come from ``kshare demo --people 5000`` (about 20,000 sessions, their notes,
transcripts and ideas, 5,000 people) plus generated recordings with transcripts (sentences drawn
from the demo's abstracts) until the index holds 100,000 documents. The demo is written in bulk,
so the index is built with ``search_reindex`` (timed too). The queries are run through
``kshare.search.selectors.search`` (permissions, count and page) as ordinary members: single
words (from the distinct vocabulary, and separately the 50 most frequent ones), two words,
phrases, prefixes, filters (type, tag, programme, date range) and a few that find nothing.

Everything runs in a child process against a fresh database of its own (a temporary SQLite file,
or a throw-away database on the DATABASE_URL server), as bench_demo does. Run alone with
``.venv/bin/python bench/bench_search.py`` (SQLite, then PostgreSQL when DATABASE_URL says so),
or through ``bench/run.py -k search``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from child import child_measure, child_run  # noqa: E402 - found through the path above

# Smaller sizes for a quick try: BENCH_SEARCH_PEOPLE=200 BENCH_SEARCH_DOCUMENTS=5000.
PEOPLE = int(os.environ.get("BENCH_SEARCH_PEOPLE", 5_000))
DOCUMENTS = int(os.environ.get("BENCH_SEARCH_DOCUMENTS", 100_000))
QUERIES = 200
NAME = "search_100k_documents"


def measure(*, database: str) -> list[dict]:
    return child_measure(Path(__file__), label="search", database=database, echo=False)


def run(bench=None) -> list[dict]:
    return child_run(Path(__file__), label="search", bench=bench, echo=False)


# --- the child: build, index, query ---------------------------------------------------------


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _child() -> list[dict]:
    import random
    import statistics
    import time
    from collections import Counter
    from datetime import timedelta

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from kshare.demo.generator import demo_organisation_create
    from kshare.library.models import Material, Transcript
    from kshare.people.models import Person, Role
    from kshare.programmes.models import Programme
    from kshare.search.models import Kind, SearchDocument
    from kshare.search.selectors import search
    from kshare.search.services import search_reindex, search_reindex_count
    from kshare.sessions.models import Session, State
    from kshare.tags.models import Tag

    rng = random.Random(5)
    call_command("migrate", verbosity=0)
    # Development only: BENCH_SEARCH_REUSE=1 with a kept KSHARE_HOME queries what is there.
    reuse = os.environ.get("BENCH_SEARCH_REUSE") == "1" and SearchDocument.objects.exists()
    started = time.perf_counter()
    if not reuse:
        demo_organisation_create(people=PEOPLE, seed=1)
    _say(f"demo: {time.perf_counter() - started:.1f} s")

    # Sentences of the demo's abstracts: the generated transcripts talk like the sessions do.
    sentences = [
        sentence.strip()
        for abstract in Session.objects.values_list("abstract", flat=True)[:3000]
        for sentence in abstract.replace("\n", " ").split(". ")
        if len(sentence.split()) >= 4
    ]
    held = list(
        Session.objects.filter(state=State.HELD).values_list("pk", flat=True).order_by("pk")
    )
    missing = 0 if reuse else max(0, DOCUMENTS - search_reindex_count())
    pairs = missing // 2  # a recording and its transcript are two documents
    started = time.perf_counter()
    with transaction.atomic():
        for first in range(0, pairs, 1000):
            batch = range(first, min(first + 1000, pairs))
            materials = Material.objects.bulk_create(
                Material(
                    session_id=held[i % len(held)],
                    kind=Material.Kind.RECORDING,
                    title=f"Recording, part {i // len(held) + 1}",
                    url=f"https://video.example.com/{i}",
                )
                for i in batch
            )
            Transcript.objects.bulk_create(
                Transcript(
                    material=material,
                    source=Transcript.Source.TEXT,
                    language="en",
                    text=". ".join(rng.choices(sentences, k=rng.randint(8, 20))) + ".",
                )
                for material in materials
            )
    _say(f"generated {pairs} recordings with transcripts: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    documents = SearchDocument.objects.count() if reuse else search_reindex()
    reindex_seconds = time.perf_counter() - started
    _say(f"reindexed {documents} documents: {reindex_seconds:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    # Single words are drawn from the distinct vocabulary (people search for topics, and most
    # words of a vocabulary are rare); "common_word" draws from the 50 most frequent ones, the
    # worst case (each matches a quarter of the documents or more).
    tokens = [
        w.strip(".,:;()\"'").lower()
        for s in rng.sample(sentences, min(2000, len(sentences)))
        for w in s.split()
    ]
    frequency = Counter(w for w in tokens if len(w) >= 4 and w.isalpha())
    words = sorted(frequency)
    common = [w for w, _ in frequency.most_common(50)]
    tags = list(Tag.objects.values_list("slug", flat=True))
    programmes = list(Programme.objects.values_list("pk", flat=True))
    now = timezone.now()
    members = list(
        Person.objects.filter(role=Role.MEMBER, is_active=True).values_list("pk", flat=True)
    )

    def phrase() -> str:
        tokens = rng.choice(sentences).split()
        at = rng.randrange(0, max(1, len(tokens) - 2))
        return '"' + " ".join(tokens[at : at + 2]) + '"'

    makers = {
        "word": lambda: ({"query": rng.choice(words)}),
        "common_word": lambda: ({"query": rng.choice(common)}),
        "two_words": lambda: ({"query": f"{rng.choice(words)} {rng.choice(words)}"}),
        "phrase": lambda: ({"query": phrase()}),
        "prefix": lambda: ({"query": rng.choice(words)[:4] + "*"}),
        "kind": lambda: (
            {"query": rng.choice(words), "kind": rng.choice([Kind.SESSION, Kind.TRANSCRIPT])}
        ),
        "tag": lambda: ({"query": rng.choice(words), "tag": rng.choice(tags)}),
        "programme": lambda: ({"query": rng.choice(words), "programme": rng.choice(programmes)}),
        "dates": lambda: (
            {
                "query": rng.choice(words),
                "after": now - timedelta(days=rng.randint(30, 365)),
                "before": now,
            }
        ),
        "page_3": lambda: ({"query": rng.choice(words), "page": 3}),
        "no_hits": lambda: ({"query": "".join(rng.choices("qxzvjk", k=9))}),
    }
    kinds = list(makers)
    queries = [(kinds[i % len(kinds)], makers[kinds[i % len(kinds)]]()) for i in range(QUERIES)]
    rng.shuffle(queries)
    people = {pk: Person.objects.get(pk=pk) for pk in rng.sample(members, 10)}
    viewers = list(people.values())

    # Warm-up (connection, caches), not measured.
    for _kind, arguments in queries[:10]:
        search(person=viewers[0], **arguments)
    timings: dict[str, list[float]] = {k: [] for k in kinds}
    hits = []
    # The machine's load while measuring (a shared 2-core machine: latencies grow with it).
    load_before = os.getloadavg()[0]
    for i, (kind, arguments) in enumerate(queries):
        viewer = viewers[i % len(viewers)]
        started = time.perf_counter()
        page = search(person=viewer, **arguments)
        timings[kind].append((time.perf_counter() - started) * 1000)
        hits.append(page.total)
    every = sorted(t for values in timings.values() for t in values)

    def pct(values: list[float], p: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]

    rows = [
        {
            "name": NAME,
            "metric": "documents",
            "value": SearchDocument.objects.count(),
            "unit": "rows",
        },
        {"name": NAME, "metric": "reindex", "value": round(reindex_seconds, 1), "unit": "s"},
        {"name": NAME, "metric": "queries", "value": len(every), "unit": "queries"},
        {"name": NAME, "metric": "p50", "value": round(statistics.median(every), 2), "unit": "ms"},
        {"name": NAME, "metric": "p95", "value": round(pct(every, 95), 2), "unit": "ms"},
        {"name": NAME, "metric": "max", "value": round(every[-1], 2), "unit": "ms"},
        {
            "name": NAME,
            "metric": "load average",
            "value": round(max(load_before, os.getloadavg()[0]), 2),
            "unit": "1 min",
        },
        {
            "name": NAME,
            "metric": "median hits",
            "value": statistics.median(hits),
            "unit": "documents",
        },
    ]
    for kind in kinds:
        for label, value in (
            ("p50", statistics.median(timings[kind])),
            ("p95", pct(timings[kind], 95)),
        ):
            rows.append(
                {"name": NAME, "metric": f"{label} {kind}", "value": round(value, 2), "unit": "ms"}
            )
    for row in rows:
        _say(f"{row['metric']}: {row['value']} {row['unit']}")
    return rows


if __name__ == "__main__":
    if "--child" in sys.argv:
        print(json.dumps(_child()))
        sys.exit(0)
    from bench_demo import _postgres_url

    databases = ["sqlite"]
    if _postgres_url(os.environ.get("DATABASE_URL", "")):
        databases.append("postgresql")
    for database in databases:
        for row in measure(database=database):
            print(json.dumps({**row, "database": database}))
