"""The slot finder knows days off: public holidays of each person's office (the ``holidays``
package: Germany/Bavaria, the United States) and the company's closure days (by default 24,
25 and 31 December and 1 January), issue 14."""

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest

from kshare.people.tests.factories import PersonFactory
from kshare.scheduling.rhythm.models import ClosureDay
from kshare.scheduling.slots import Group, WorkingHours, slots_search
from kshare.scheduling.slots_loader import slots_find
from kshare.sessions.tests.factories import InvitationFactory, SessionFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NYC = zoneinfo.ZoneInfo("America/New_York")
HOURS = WorkingHours(time(9), time(17, 30))
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def berlin_days(first: date, days: int) -> tuple[datetime, datetime]:
    start = datetime(first.year, first.month, first.day, tzinfo=BERLIN)
    return start.astimezone(UTC), (start + timedelta(days=days)).astimezone(UTC)


def find(session, first: date, days: int, **kwargs):
    after, before = berlin_days(first, days)
    kwargs.setdefault("limit", 40)
    return slots_find(
        session=session,
        after=after,
        before=before,
        now=NOW,
        tz=BERLIN,
        duration=timedelta(minutes=45),
        **kwargs,
    )


def local_dates(slots) -> list[date]:
    return sorted({slot.start.astimezone(BERLIN).date() for slot in slots})


def test_the_plain_search_leaves_out_a_groups_holidays_and_the_closure_days():
    after, before = berlin_days(date(2027, 1, 4), 5)  # Monday 4 to Friday 8 January 2027
    slots = slots_search(
        after=after,
        before=before,
        duration=timedelta(minutes=45),
        groups={Group("Europe/Berlin", "DE-BY"): 3},
        holidays={"DE-BY": {date(2027, 1, 6)}},
        closed={date(2027, 1, 8)},
        now=NOW,
        hours=HOURS,
        day_tz=BERLIN,
        per_day=1,
    )
    assert local_dates(slots) == [date(2027, 1, 4), date(2027, 1, 5), date(2027, 1, 7)]
    # Without an office region only the closure day is off.
    slots = slots_search(
        after=after,
        before=before,
        duration=timedelta(minutes=45),
        groups={"Europe/Berlin": 3},
        holidays={"DE-BY": {date(2027, 1, 6)}},
        closed={date(2027, 1, 8)},
        now=NOW,
        hours=HOURS,
        day_tz=BERLIN,
        per_day=1,
    )
    assert local_dates(slots) == [date(2027, 1, d) for d in (4, 5, 6, 7)]


@pytest.mark.django_db
def test_epiphany_in_bavaria_leaves_only_the_new_york_office():
    munich = PersonFactory(timezone="Europe/Berlin", office_country="DE", office_subdivision="BY")
    session = SessionFactory(host=munich)
    InvitationFactory(
        session=session, person=PersonFactory(timezone="America/New_York", office_country="US")
    )
    # Tuesday 5 January 2027: both offices work; the best slot is in both working days.
    assert (find(session, date(2027, 1, 5), 1)[0].fits, 2) == (2, 2)
    # Wednesday 6 January: Epiphany in Bavaria. Only New York's working hours are left.
    slots = find(session, date(2027, 1, 6), 1)
    assert slots != []
    assert {(slot.fits, slot.total) for slot in slots} == {(1, 2)}
    for slot in slots:
        assert time(9) <= slot.start.astimezone(NYC).time()
        assert slot.end.astimezone(NYC).time() <= time(17, 30)


@pytest.mark.django_db
def test_epiphany_is_no_holiday_in_berlin_but_martin_luther_king_day_is_one_in_new_york():
    berlin = PersonFactory(timezone="Europe/Berlin", office_country="DE", office_subdivision="BE")
    session = SessionFactory(host=berlin)
    InvitationFactory(
        session=session, person=PersonFactory(timezone="America/New_York", office_country="US")
    )
    assert find(session, date(2027, 1, 6), 1)[0].fits == 2
    # Monday 18 January 2027, Martin Luther King Jr. Day: only Berlin works.
    slots = find(session, date(2027, 1, 18), 1)
    assert {(slot.fits, slot.total) for slot in slots} == {(1, 2)}
    for slot in slots:
        assert slot.end.astimezone(BERLIN).time() <= time(17, 30)


@pytest.mark.django_db
@pytest.mark.usefixtures("closure_days_as_installed")
def test_no_slot_on_the_default_christmas_closure_days_unless_the_company_works_then():
    session = SessionFactory(host=PersonFactory(timezone="Europe/Berlin"))
    # Monday 20 December 2027 to Tuesday 4 January 2028, one slot a day.
    workdays = [date(2027, 12, d) for d in (20, 21, 22, 23, 27, 28, 29, 30)]
    workdays += [date(2028, 1, 3), date(2028, 1, 4)]
    assert local_dates(find(session, date(2027, 12, 20), 16, per_day=1)) == workdays
    assert sorted((c.month, c.day, c.year, c.name) for c in ClosureDay.objects.all()) == [
        (1, 1, None, "New Year's Day"),
        (12, 24, None, "Christmas Eve"),
        (12, 25, None, "Christmas Day"),
        (12, 31, None, "New Year's Eve"),
    ]
    # The company works on Christmas Eve and New Year's Eve: remove those closure days.
    ClosureDay.objects.filter(month=12, day__in=[24, 31]).delete()
    assert local_dates(find(session, date(2027, 12, 20), 16, per_day=1)) == sorted(
        [*workdays, date(2027, 12, 24), date(2027, 12, 31)]
    )
