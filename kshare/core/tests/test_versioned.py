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
