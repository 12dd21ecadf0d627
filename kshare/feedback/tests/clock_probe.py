"""A task for the clock test: it only counts its runs."""

from django.tasks import task

calls: list[float] = []


@task
def probe() -> None:
    import time

    calls.append(time.monotonic())
