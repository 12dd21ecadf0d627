"""Upgrading a database from before rhythm events and reminders moved into ``scheduling``: rows
written through the old apps' models are found through the new ones, in the same tables, and
the content types (with their permissions) are renamed, not duplicated."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.scheduling.models import (
    CadenceNudge,
    ClosureDay,
    OrganiserDigest,
    Reminder,
    RhythmEvent,
    RhythmException,
)
from kshare.sessions.tests.factories import SessionFactory

BEFORE = [("rhythm", "0002_closure_days_skip_holidays"), ("reminders", "0001_initial")]
MOVED = {
    "rhythm": ["rhythmevent", "rhythmexception", "closureday"],
    "reminders": ["reminder", "organiserdigest", "cadencenudge"],
}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    return executor


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_rows_from_before_the_move_are_found_through_the_scheduling_models():
    person, team = PersonFactory(), TeamFactory()
    programme = ProgrammeFactory()
    session = SessionFactory(programme=programme)
    type_ids = {
        model: ContentType.objects.get(app_label="scheduling", model=model).pk
        for models in MOVED.values()
        for model in models
    }
    permission = Permission.objects.get(codename="change_rhythmevent")
    try:
        # Back to the last state with the models in the rhythm and reminders apps.
        executor = _migrate([("scheduling", None)])
        for label, models in MOVED.items():
            for model in models:
                row = ContentType.objects.get(app_label=label, model=model)
                assert row.pk == type_ids[model]
        old = executor.loader.project_state(BEFORE).apps
        event = old.get_model("rhythm", "RhythmEvent").objects.create(
            name="Weekly Huddle",
            rrule="FREQ=WEEKLY;BYDAY=MO",
            starts=datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
            timezone="Europe/Berlin",
            team_id=team.pk,
            created_by_id=person.pk,
        )
        old.get_model("rhythm", "RhythmException").objects.create(
            event=event, original_start=datetime(2026, 3, 9, 8, 30, tzinfo=UTC), cancelled=True
        )
        old.get_model("rhythm", "ClosureDay").objects.create(
            month=5, day=4, year=2026, name="Bridge day"
        )
        old.get_model("reminders", "Reminder").objects.create(
            session_id=session.pk,
            kind="nudge",
            offset_minutes=7200,
            due_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
        )
        old.get_model("reminders", "OrganiserDigest").objects.create(
            person_id=person.pk, day=date(2026, 3, 2), sessions=3
        )
        old.get_model("reminders", "CadenceNudge").objects.create(
            programme_id=programme.pk, slot_start=datetime(2026, 3, 5, 15, tzinfo=UTC)
        )
    finally:
        _migrate(_leaves())

    found = RhythmEvent.objects.get(name="Weekly Huddle")
    assert (found.pk, found.team_id, found.created_by_id, found.rrule) == (
        event.pk,
        team.pk,
        person.pk,
        "FREQ=WEEKLY;BYDAY=MO",
    )
    assert RhythmException.objects.get().event == found
    assert ClosureDay.objects.filter(name="Bridge day", year=2026).exists()
    assert Reminder.objects.get().session == session
    assert session.reminders.count() == 1
    assert OrganiserDigest.objects.get().person == person
    assert CadenceNudge.objects.get().programme == programme
    assert RhythmEvent._meta.db_table == "rhythm_rhythmevent"
    assert Reminder._meta.db_table == "reminders_reminder"
    # The content types moved with their ids, so permissions still point at them.
    for models in MOVED.values():
        for model in models:
            assert (
                ContentType.objects.get(app_label="scheduling", model=model).pk == (type_ids[model])
            )
    assert not ContentType.objects.filter(app_label__in=list(MOVED)).exists()
    permission.refresh_from_db()
    assert permission.content_type.app_label == "scheduling"
