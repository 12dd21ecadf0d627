"""Check-in below the pages: the window (an injected clock), the signed token, the QR code, the
service (idempotent, history)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import PIL.Image
import pytest
import zxingcpp
from django.core import signing

from kshare.attendance.checkin import (
    CANCELLED,
    CHECKIN_OPENS_BEFORE,
    CHECKIN_SALT,
    HELD,
    NOT_SCHEDULED,
    NOT_YET,
    OPEN,
    OVER,
    CheckInClosed,
    CheckInLinkExpired,
    CheckInLinkInvalid,
    checkin,
    checkin_qr,
    checkin_qr_svg,
    checkin_state,
    checkin_token,
    checkin_token_read,
    checkin_url,
)
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.models import Attendance, AttendanceChange, State
from kshare.sessions.tests.factories import ScheduledSessionFactory, SessionFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
END = START + timedelta(minutes=45)


def scheduled(**kwargs):
    return ScheduledSessionFactory(start=START, end=END, **kwargs)


# -- the window -----------------------------------------------------------------------------------


def test_the_window_opens_fifteen_minutes_before_the_start_and_closes_at_the_end():
    session = scheduled()
    assert timedelta(minutes=15) == CHECKIN_OPENS_BEFORE
    second = timedelta(seconds=1)
    cases = [
        (START - timedelta(hours=3), NOT_YET),
        (START - CHECKIN_OPENS_BEFORE - second, NOT_YET),  # 15:01 before the start
        (START - CHECKIN_OPENS_BEFORE, OPEN),
        (START - timedelta(minutes=14, seconds=59), OPEN),
        (START, OPEN),
        (END - second, OPEN),
        (END, OVER),
        (END + timedelta(days=1), OVER),
    ]
    assert [(now, checkin_state(session, now=now)) for now, _ in cases] == cases


def test_a_session_marked_held_early_takes_check_ins_until_its_end():
    session = scheduled(state=State.HELD)
    assert checkin_state(session, now=START + timedelta(minutes=5)) == OPEN
    assert checkin_state(session, now=END) == OVER


def test_cancelled_and_proposed_sessions_take_no_check_in():
    assert checkin_state(scheduled(state=State.CANCELLED), now=START) == CANCELLED
    assert checkin_state(SessionFactory(start=START), now=START) == NOT_SCHEDULED
    assert checkin_state(SessionFactory(), now=START) == NOT_SCHEDULED


# -- the token ------------------------------------------------------------------------------------


def test_the_token_names_the_session_and_is_the_same_every_time():
    session = scheduled()
    token = checkin_token(session)
    assert token == checkin_token(session)
    assert checkin_token_read(token, now=START) == session.pk
    assert checkin_url(session) == f"http://127.0.0.1:8000/check-in/{token}/"


def test_a_changed_or_foreign_token_is_invalid():
    session = scheduled()
    other = scheduled()
    token = checkin_token(session)
    expiry = int(END.timestamp())
    forged_payload = signing.Signer(salt=CHECKIN_SALT).sign_object({"s": other.pk, "e": expiry})
    # Another session's id with the first token's signature: the signature no longer matches.
    swapped = forged_payload.split(":")[0] + ":" + token.split(":")[1]
    bad_tokens = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        token[:-5],
        token + "x",
        "nonsense",
        "",
        swapped,
        # Signed by kshare for another purpose (another salt): not a check-in token.
        signing.Signer(salt="kshare.rsvp").sign_object({"s": session.pk, "e": expiry}),
        signing.dumps({"s": session.pk, "e": expiry}, salt=CHECKIN_SALT),  # timestamped
        signing.Signer(salt=CHECKIN_SALT).sign_object([session.pk, expiry]),
        signing.Signer(salt=CHECKIN_SALT).sign_object({"s": session.pk}),
        signing.Signer(salt=CHECKIN_SALT).sign_object({"s": "1", "e": expiry}),
        signing.Signer(salt=CHECKIN_SALT).sign_object({"s": True, "e": expiry}),
    ]
    for bad in bad_tokens:
        with pytest.raises(CheckInLinkInvalid):
            checkin_token_read(bad, now=START)
    assert checkin_token_read(forged_payload, now=START) == other.pk


def test_the_token_expires_at_the_session_end():
    session = scheduled()
    token = checkin_token(session)
    assert checkin_token_read(token, now=END - timedelta(seconds=1)) == session.pk
    with pytest.raises(CheckInLinkExpired):
        checkin_token_read(token, now=END)


# -- the QR code ----------------------------------------------------------------------------------


def test_the_qr_code_encodes_the_signed_link():
    session = scheduled()
    url = checkin_url(session)
    png = io.BytesIO()
    checkin_qr(url).save(png, kind="png", scale=8, border=4)
    png.seek(0)
    decoded = zxingcpp.read_barcodes(PIL.Image.open(png))
    assert [code.text for code in decoded] == [url]


def test_the_qr_svg_is_black_on_white_without_size_or_inline_style():
    svg = checkin_qr_svg("https://kshare.example.com/check-in/x/", title="Check-in <link>")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ')
    assert 'class="qr-code"><title>Check-in &lt;link&gt;</title><path fill="#fff"' in svg
    assert 'stroke="#000"' in svg
    assert "style" not in svg
    assert "width=" not in svg and "height=" not in svg


# -- the service ----------------------------------------------------------------------------------


def test_checking_in_records_attendance_and_its_history():
    session = scheduled()
    person = PersonFactory()
    now = START - timedelta(minutes=10)

    attendance, created = checkin(session=session, person=person, method="check_in", now=now)

    assert created is True
    assert (attendance.session_id, attendance.person_id, attendance.method) == (
        session.pk,
        person.pk,
        "check_in",
    )
    change = AttendanceChange.objects.get()
    assert (change.session_id, change.person_id, change.action, change.method, change.by_id) == (
        session.pk,
        person.pk,
        "added",
        "check_in",
        person.pk,
    )
    assert change.after_held is False


def test_a_second_check_in_writes_nothing_and_returns_the_first():
    session = scheduled()
    person = PersonFactory()
    first, _ = checkin(session=session, person=person, method="check_in", now=START)
    again, created = checkin(session=session, person=person, method="remote", now=START)
    assert created is False
    assert (again.pk, again.method, again.recorded_at) == (
        first.pk,
        "check_in",
        first.recorded_at,
    )
    assert (Attendance.objects.count(), AttendanceChange.objects.count()) == (1, 1)


@pytest.mark.parametrize(
    ("state", "now", "expected"),
    [
        (State.SCHEDULED, START - timedelta(minutes=15, seconds=1), NOT_YET),
        (State.SCHEDULED, END, OVER),
        (State.CANCELLED, START, CANCELLED),
        (State.PROPOSED, START, NOT_SCHEDULED),
    ],
)
def test_checking_in_outside_the_window_records_nothing(state, now, expected):
    session = scheduled(state=state)
    with pytest.raises(CheckInClosed) as closed:
        checkin(session=session, person=PersonFactory(), method="check_in", now=now)
    assert closed.value.state == expected
    assert (Attendance.objects.count(), AttendanceChange.objects.count()) == (0, 0)


def test_the_window_is_checked_on_the_session_as_it_is_in_the_database():
    session = scheduled()
    stale = type(session).objects.get(pk=session.pk)
    type(session).objects.filter(pk=session.pk).update(state=State.CANCELLED)
    with pytest.raises(CheckInClosed) as closed:
        checkin(session=stale, person=PersonFactory(), method="check_in", now=START)
    assert closed.value.state == CANCELLED
    assert Attendance.objects.count() == 0


def test_a_check_in_after_held_is_refused_and_records_nothing():
    session = scheduled(state=State.HELD)
    with pytest.raises(CheckInClosed) as closed:
        checkin(session=session, person=PersonFactory(), method="remote", now=START)
    assert closed.value.state == HELD
    assert (Attendance.objects.count(), AttendanceChange.objects.count()) == (0, 0)
