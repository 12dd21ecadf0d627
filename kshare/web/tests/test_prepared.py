"""On PostgreSQL a statement a kept connection runs again and again is prepared on the server
(kshare/config.py): PostgreSQL then neither parses nor plans it again."""

from __future__ import annotations

import pytest
from django.db import connection

from kshare.config import PG_PREPARE_THRESHOLD
from kshare.people.models import Person

pytestmark = pytest.mark.django_db


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_a_statement_run_again_and_again_is_prepared_with_its_parameters_on_the_server():
    def read() -> list[str]:
        return list(Person.objects.filter(email="nobody@example.com").values_list("email"))

    for _ in range(PG_PREPARE_THRESHOLD):
        read()
    assert [s for s in _prepared_statements() if '"people_person"."email" = $1' in s] == []
    read()
    assert len([s for s in _prepared_statements() if '"people_person"."email" = $1' in s]) == 1
