"""catchup_signals_create_bulk: catchup_mark's rules for many signals at once."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from kshare.core.signals import rows_saved
from kshare.library.catchup import catchup_mark, catchup_signals_create_bulk
from kshare.library.models import CatchUpSignal
from kshare.library.tests.test_catchup import held, missed
from kshare.people.tests.factories import AdminFactory
from kshare.sessions.models import Visibility

pytestmark = pytest.mark.django_db


def signal(person, session, kind="watched", **kwargs) -> CatchUpSignal:
    return CatchUpSignal(person=person, session=session, kind=kind, **kwargs)


def test_one_row_per_person_session_and_kind_at_its_time_and_announced(
    person, django_capture_on_commit_callbacks
):
    session = missed(person, "Pandas")
    catchup_mark(person=person, session=session, kind="not_interested")  # already there
    at = (timezone.now() - timedelta(days=3)).replace(microsecond=0)
    heard = []

    def receiver(sender, model, ids, **kwargs):
        heard.append((model, ids))

    rows_saved.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            created = catchup_signals_create_bulk(
                signals=[
                    signal(person, session, at=at),
                    signal(person, session, at=at + timedelta(hours=1)),
                    signal(person, session, "not_interested"),
                ]
            )
    finally:
        rows_saved.disconnect(receiver)
    assert [(s.kind, s.at) for s in created] == [("watched", at)]
    assert sorted(CatchUpSignal.objects.values_list("kind", flat=True)) == [
        "not_interested",
        "watched",
    ]
    assert heard == [(CatchUpSignal, [created[0].pk])]


def test_refuses_what_catchup_mark_refuses(person):
    private = held("Private", visibility=Visibility.INVITE_ONLY)
    with pytest.raises(Http404):
        catchup_mark(person=person, session=private, kind="watched")
    with pytest.raises(ValidationError, match="may see"):
        catchup_signals_create_bulk(signals=[signal(person, private)])
    visible = missed(person, "x")
    with pytest.raises(ValueError, match="Unknown catch-up signal"):
        catchup_signals_create_bulk(signals=[signal(person, visible, "loved")])
    assert CatchUpSignal.objects.count() == 0


def test_visibility_is_the_rule_sessions_visible_to_applies(person):
    """An invitee and an admin may mark an invite-only session, as catchup_mark lets them."""
    private = missed(person, "Invited", visibility=Visibility.INVITE_ONLY)
    admin = AdminFactory()
    catchup_signals_create_bulk(signals=[signal(person, private), signal(admin, private)])
    assert CatchUpSignal.objects.filter(session=private).count() == 2
