"""A figure cached under a version token is computed once, and again after every change."""

import pytest
from django.db import transaction

from kshare.core.versioned import Versioned

pytestmark = pytest.mark.django_db


def _counter():
    calls = []

    def compute() -> int:
        calls.append(1)
        return len(calls) * 10

    return compute, calls


def test_a_figure_is_computed_once_until_something_changes():
    figures = Versioned("test:figures")
    compute, calls = _counter()

    first, again = figures.get(compute), figures.get(compute)
    figures.changed()
    after = figures.get(compute)

    assert (first, again, after) == (10, 10, 20)
    assert len(calls) == 2


def test_names_keep_figures_apart():
    figures = Versioned("test:named")

    assert figures.get(lambda: "a", "one") == "a"
    assert figures.get(lambda: "b", "two") == "b"
    assert figures.get(lambda: "c", "one") == "a"


def test_a_change_is_seen_at_once_and_again_after_commit(django_capture_on_commit_callbacks):
    figures = Versioned("test:commit")
    compute, _ = _counter()
    figures.get(compute)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        figures.changed()
        inside = figures.get(compute)  # the writer reads its own change
    after_commit = figures.get(compute)  # a figure cached before the commit is not kept

    assert (inside, after_commit) == (20, 30)


def test_a_process_reads_a_value_once_and_then_only_the_version():
    # Two instances with one prefix are two processes sharing the cache (here the test cache).
    here, there = Versioned("test:processes"), Versioned("test:processes")
    compute, calls = _counter()
    assert here.get(compute) == 10
    assert there.get(compute) == 10  # read from the shared cache, not computed again
    from django.core.cache import cache

    reads = []
    real_get = cache.get

    def counted(key, *args, **kwargs):
        reads.append(key)
        return real_get(key, *args, **kwargs)

    cache.get = counted  # type: ignore[method-assign]
    try:
        assert there.get(compute) == 10
    finally:
        del cache.get
    assert reads == ["test:processes:version"]  # the value came from the process's own copy
    assert len(calls) == 1


def test_another_processs_change_is_seen_by_every_process():
    here, there = Versioned("test:seen"), Versioned("test:seen")
    compute, calls = _counter()
    here.get(compute), there.get(compute)

    here.changed()  # e.g. a web process saved feedback

    assert there.get(compute) == 20  # the other process does not keep its own copy
    assert here.get(compute) == 20
    assert len(calls) == 2


def test_a_value_past_its_timeout_is_computed_again_in_every_process(monkeypatch):
    import time

    figures = Versioned("test:timeout", timeout=60)
    compute, calls = _counter()
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    assert figures.get(compute) == 10
    monkeypatch.setattr(time, "time", lambda: now + 59)
    assert figures.get(compute) == 10
    monkeypatch.setattr(time, "time", lambda: now + 61)
    assert figures.get(compute) == 20  # an unannounced change (raw SQL) is seen after the timeout
    assert len(calls) == 2


def test_none_is_a_value_too():
    figures = Versioned("test:none")
    calls = []

    def compute() -> None:
        calls.append(1)

    assert figures.get(compute) is None
    assert Versioned("test:none").get(compute) is None
    assert len(calls) == 1
