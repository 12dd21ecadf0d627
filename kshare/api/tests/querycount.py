"""Counting the queries of one API call, for "constant query count" tests.

Django's ``request_started`` signal resets the connection's query log, which makes a capture
opened before a test-client request unreliable; this disconnects it while counting.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.signals import request_started
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext


def queries_of(call: Callable[[], object]) -> int:
    request_started.disconnect(reset_queries)
    try:
        with CaptureQueriesContext(connection) as context:
            call()
    finally:
        request_started.connect(reset_queries)
    return len(context)
