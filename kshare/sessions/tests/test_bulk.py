"""``sessions_create_bulk``: many sessions with the rows and history the one-session services
write, and nothing announced but the saved rows."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kshare.core.tests.daytime import daytime_zone
from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.programmes.services import programme_default
from kshare.search.models import Kind, SearchDocument
from kshare.sessions import services, signals
from kshare.sessions.models import Format, Session, SessionChange, SessionHost, State, Visibility
from kshare.sessions.services import NewSession, sessions_create_bulk
from kshare.tags.services import tags_get_or_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(settings):
    """Sessions here start whole days from now at this time of day, and a session may not cross
    midnight in the installation's zone: run in a zone where now is morning (at 23:55 UTC in
    UTC a 45-minute session from now would end the next day and be refused)."""
    settings.TIME_ZONE = daytime_zone(0)


NOW = timezone.now().replace(microsecond=0)


def _rows(session: Session) -> dict:
    return {
        "hosts": [(h.person_id, h.role) for h in session.host_links.order_by("role", "id")],
        "agenda": list(session.agenda.values_list("position", "title", "minutes", "is_discussion")),
        "history": list(session.changes.values_list("kind", "from_state", "to_state", "by_id")),
        "tags": sorted(session.tags.values_list("name", flat=True)),
        "end": session.end - session.start if session.start else None,
        "sequence": session.sequence,
        "state": session.state,
    }


def _change(kind, from_state, to_state, at, by, **fields) -> SessionChange:
    return SessionChange(
        kind=kind, from_state=from_state, to_state=to_state, at=at, by=by, **fields
    )


def test_a_bulk_proposal_has_the_rows_session_propose_gives(person):
    tags = tags_get_or_create(names=["SQL", "data"])
    single = services.session_propose(
        by=person, title="Intro", format=Format.WORKSHOP, tags=tags, start=NOW + timedelta(days=9)
    )
    [bulk] = sessions_create_bulk(
        sessions=[
            NewSession(
                session=Session(
                    programme=programme_default(),
                    title="Intro",
                    format=Format.WORKSHOP,
                    start=NOW + timedelta(days=9),
                ),
                host_id=person.pk,
                tag_ids=[t.pk for t in tags],
            )
        ]
    )
    bulk.refresh_from_db()
    assert _rows(bulk) == _rows(single)
    assert _rows(bulk)["history"] == [("created", "", "proposed", person.pk)]
    assert bulk.created_by_id == person.pk


def test_bulk_history_gives_the_sequence_and_rows_of_schedule_and_cancel(person, organiser):
    single = services.session_propose(by=person, title="Talk")
    services.session_schedule(session=single, start=NOW + timedelta(days=20), by=organiser)
    services.session_schedule(session=single, start=NOW + timedelta(days=27), by=organiser)
    services.session_cancel(session=single, by=organiser, reason="x" * 600)
    single.refresh_from_db()
    created = NOW - timedelta(days=3)
    [bulk] = sessions_create_bulk(
        sessions=[
            NewSession(
                session=Session(
                    programme=programme_default(),
                    title="Talk",
                    start=NOW + timedelta(days=27),
                    state=State.CANCELLED,
                    created_at=created,
                ),
                host_id=person.pk,
                changes=[
                    _change(
                        "scheduled", State.PROPOSED, State.SCHEDULED, created, organiser,
                        new_start=NOW + timedelta(days=20),
                    ),
                    _change(
                        "rescheduled", State.SCHEDULED, State.SCHEDULED, created, organiser,
                        old_start=NOW + timedelta(days=20), new_start=NOW + timedelta(days=27),
                    ),
                    _change(
                        "cancelled", State.SCHEDULED, State.CANCELLED, created, organiser,
                        note="x" * 600,
                    ),
                ],
            )
        ]
    )  # fmt: skip
    bulk.refresh_from_db()
    assert _rows(bulk) == _rows(single)
    assert bulk.sequence == 2
    notes = [len(c.note) for c in (bulk.changes.last(), single.changes.last())]
    assert notes == [500, 500]
    assert bulk.changes.first().at == created


def test_a_bulk_held_session_carries_the_attendance_note_of_session_mark_held(person):
    start = NOW - timedelta(days=2)
    [bulk] = sessions_create_bulk(
        sessions=[
            NewSession(
                session=Session(
                    programme=programme_default(),
                    title="Held",
                    start=start,
                    state=State.HELD,
                    created_at=start - timedelta(days=20),
                ),
                host_id=person.pk,
                changes=[
                    _change(
                        "scheduled", State.PROPOSED, State.SCHEDULED, start - timedelta(days=19),
                        person, new_start=start,
                    ),
                    _change(
                        "held", State.SCHEDULED, State.HELD, start + timedelta(hours=2), person,
                        note=services.held_note(attended=12),
                    ),
                ],
            )
        ]
    )  # fmt: skip
    assert list(bulk.changes.values_list("kind", "note")) == [
        ("created", ""),
        ("scheduled", ""),
        ("held", "12 attended"),
    ]
    assert (bulk.end - bulk.start, bulk.sequence) == (timedelta(minutes=45), 0)


@pytest.mark.parametrize(
    ("state", "changes", "message"),
    [
        (State.HELD, [("held", State.PROPOSED, State.HELD, -1, None)], "cannot be held"),
        (State.SCHEDULED, [], "history ends proposed"),
        (
            State.SCHEDULED,
            [("scheduled", State.PROPOSED, State.HELD, -9, 5)],
            "scheduled leaves the session scheduled",
        ),
        (
            State.SCHEDULED,
            [("scheduled", State.PROPOSED, State.SCHEDULED, 6, 5)],
            "start before the decision",
        ),
        (
            State.HELD,
            [
                ("scheduled", State.PROPOSED, State.SCHEDULED, -9, 5),
                ("held", State.SCHEDULED, State.HELD, 4, None),
            ],
            "held before it started",
        ),
    ],
)
def test_bulk_refuses_a_history_the_services_could_not_write(person, state, changes, message):
    start = NOW + timedelta(days=5)
    rows = [
        _change(kind, a, b, NOW + timedelta(days=at), person, new_start=(
            NOW + timedelta(days=new)) if new is not None else None)
        for kind, a, b, at, new in changes
    ]  # fmt: skip
    session = Session(programme=programme_default(), title="Bad", start=start, state=state)
    with pytest.raises(ValidationError) as error:
        sessions_create_bulk(
            sessions=[NewSession(session=session, host_id=person.pk, changes=rows)]
        )
    assert message in error.value.messages[0]
    assert Session.objects.count() == 0


def test_bulk_refuses_a_session_longer_than_its_format(person):
    # 10 o'clock in the installation's zone, which the rule reads (not whatever zone an earlier
    # test left active in this thread).
    zone = timezone.get_default_timezone()
    start = timezone.localtime(NOW + timedelta(days=5), zone).replace(hour=10, minute=0, second=0)
    session = Session(
        programme=programme_default(),
        title="Long",
        format=Format.LIGHTNING,
        start=start,
        end=start + timedelta(hours=3),
    )
    with pytest.raises(ValidationError) as error:
        sessions_create_bulk(sessions=[NewSession(session=session, host_id=person.pk)])
    assert error.value.message_dict == {
        "end": ["A lightning talk lasts at most 30 minutes: choose an earlier end."]
    }


def test_bulk_sessions_with_planned_ids_move_the_sequence_past_them(person):
    sessions_create_bulk(
        sessions=[
            NewSession(
                session=Session(pk=300, programme=programme_default(), title="Planned"),
                host_id=person.pk,
            )
        ]
    )
    later = services.session_propose(by=person, title="Later")
    assert later.pk == 301


def test_bulk_sessions_are_searchable_and_send_no_domain_signal(
    person, django_capture_on_commit_callbacks
):
    team = TeamFactory()
    heard = []

    def listener(sender, **kwargs):
        heard.append(kwargs["session_id"])

    signals.session_proposed.connect(listener, dispatch_uid="test-bulk")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            [bulk] = sessions_create_bulk(
                sessions=[
                    NewSession(
                        session=Session(
                            programme=programme_default(),
                            title="Quantum cooking",
                            visibility=Visibility.TEAMS,
                        ),
                        host_id=person.pk,
                        cohost_ids=[PersonFactory().pk],
                        tag_ids=[t.pk for t in tags_get_or_create(names=["food"])],
                        team_ids=[team.pk],
                    )
                ]
            )
            single = services.session_propose(
                by=person,
                title="Quantum cooking",
                visibility=Visibility.TEAMS,
                tags=tags_get_or_create(names=["food"]),
                teams=[team],
            )
    finally:
        signals.session_proposed.disconnect(dispatch_uid="test-bulk")
    assert heard == [single.pk]
    documents = {
        d.object_id: (d.title, d.tags, d.body, d.meta.replace(f"sess{d.object_id}", "sess"))
        for d in SearchDocument.objects.filter(kind=Kind.SESSION)
    }
    assert documents[bulk.pk] == documents[single.pk]
    assert documents[bulk.pk][1] == "food"
    assert sorted(bulk.host_links.values_list("role", flat=True)) == [
        SessionHost.Role.COHOST,
        SessionHost.Role.HOST,
    ]
