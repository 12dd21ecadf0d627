"""The periodic-task registry: every app's ticks.py is found, the clock enqueues what is
registered, and ``kshare tick`` (and the older per-feature commands) run or queue them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.tasks import Task

from kshare.cli import build_parser
from kshare.core.ticks import Tick, periodic_tasks, tick_get, tick_register, ticks_all

pytestmark = pytest.mark.django_db

REGISTERED = {
    "feedback": "kshare.feedback.tasks.feedback_tick_task",
    "outbox": "kshare.outbox.tasks.outbox_tick_task",
    "invitations": "kshare.sessions.tasks.invitations_sweep_task",
    "mail_in": "kshare.calendars.tasks.mail_in_tick_task",
    "reminders": "kshare.scheduling.reminders.tasks.reminders_tick_task",
    "cadence": "kshare.scheduling.reminders.cadence.cadence_nudge_task",
    "catchup_weekly": "kshare.library.tasks.catchup_weekly_task",
    "recommend": "kshare.recommend.tasks.recommend_tick_task",
    "webhooks": "kshare.webhooks.tasks.webhooks_tick_task",
    "dashboard": "kshare.dashboard.tasks.dashboard_tick_task",
    "attendance_auto_held": "kshare.attendance.tasks.attendance_auto_held_task",
    "auth_attempts_prune": "kshare.people.tasks.auth_attempts_prune_task",
    "retention_purge": "kshare.web.tasks.retention_purge_task",
}


def test_every_app_registers_its_ticks_and_each_is_a_task_without_arguments():
    ticks = {tick.name: tick.path for tick in ticks_all()}
    # The thirteen periodic tasks the clock listed by hand before the registry.
    assert {name: ticks[name] for name in REGISTERED} == REGISTERED
    assert sorted(periodic_tasks()) == sorted(ticks.values())
    for tick in ticks_all():
        assert isinstance(tick.task(), Task), tick.name


def test_registering_a_name_twice_for_another_task_is_refused():
    tick_register("outbox", "kshare.outbox.tasks.outbox_tick_task")  # the same: harmless
    with pytest.raises(ValueError, match="Two ticks are named 'outbox'"):
        tick_register("outbox", "kshare.webhooks.tasks.webhooks_tick_task")


def test_an_unknown_tick_names_the_known_ones():
    with pytest.raises(KeyError, match=r"known: .*outbox"):
        tick_get("nope")
    with pytest.raises(CommandError, match="No tick is called 'nope'"):
        call_command("tick", "nope")


def test_the_report_formats_the_answer():
    tick = Tick(name="n", path="p", report="{sent} sent of {result[sent]}")
    assert tick.describe({"sent": 2}) == "2 sent of 2"
    assert Tick(name="n", path="p", report="{result} sent.").describe(3) == "3 sent."
    assert Tick(name="n", path="p").describe(3) == "n: 3"


def test_tick_runs_the_named_ticks_now_and_the_old_commands_are_the_same():
    out = StringIO()
    call_command("tick", "outbox", "catchup_weekly", stdout=out)
    assert out.getvalue() == (
        "Outbox: 0 sent, 0 to retry later, 0 failed, 0 taken back from stopped workers.\n"
        "Weekly catch-up e-mails: 0 sent.\n"
    )
    for alias, tick in [("outbox_tick", "outbox"), ("catchup_weekly", "catchup_weekly")]:
        old, new = StringIO(), StringIO()
        call_command(alias, stdout=old)
        call_command("tick", tick, stdout=new)
        assert old.getvalue() == new.getvalue()


def test_tick_enqueue_queues_them():
    out = StringIO()
    call_command("tick", "feedback", "reminders", "--enqueue", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(" (task ")[0] for line in lines] == [
        "Queued the feedback tick",
        "Queued the reminders tick",
    ]


def test_tick_list_names_every_tick():
    out = StringIO()
    call_command("tick", "--list", stdout=out)
    names = [line.split()[0] for line in out.getvalue().splitlines()]
    assert names == [tick.name for tick in ticks_all()]


def test_the_cli_has_kshare_tick():
    args = build_parser().parse_args(["tick", "outbox", "webhooks", "--enqueue"])
    assert (args.command, args.names, args.enqueue, args.list) == (
        "tick",
        ["outbox", "webhooks"],
        True,
        False,
    )


def test_every_tick_is_named_task_and_old_task_names_still_run():
    from django_tasks_db.models import DBTaskResult, get_date_max

    assert [tick.path for tick in ticks_all() if not tick.path.endswith("_task")] == []
    # Rows queued before the rename name the old path: the database backend imports it.
    for old, new in [
        ("kshare.outbox.tasks.outbox_send", "outbox_send_task"),
        ("kshare.scheduling.reminders.tasks.reminders_tick", "reminders_tick_task"),
    ]:
        row = DBTaskResult.objects.create(
            task_path=old,
            args_kwargs={"args": [0] if "outbox" in old else [], "kwargs": {}},
            backend_name="default",
            run_after=get_date_max(),
        )
        assert row.task.name == new
