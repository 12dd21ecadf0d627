"""The demo's session library and the member login's catch-up feed."""

import itertools
from collections import Counter

import pytest
from django.db.models import Exists, OuterRef
from django.utils import timezone

from kshare.demo import MEMBER_EMAIL
from kshare.demo.content import FIRST_TALK_TITLE
from kshare.demo.generator import demo_organisation_create
from kshare.demo.tests.test_generator import wipe
from kshare.library.catchup import catchup_feed
from kshare.library.models import CatchUpSignal, Cue, Material, Transcript
from kshare.people.models import Person
from kshare.sessions.models import Attendance, Invitation, Session, State

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def library_fingerprint():
    materials = sorted(
        (m.session.title, m.kind, m.title, m.url.rsplit("/", 1)[-1], m.notes, m.created_at - NOW)
        for m in Material.objects.select_related("session")
    )
    cues = sorted(
        (c.transcript.material.session.title, c.position, c.start_ms, c.end_ms, c.text)
        for c in Cue.objects.select_related("transcript__material__session")
    )
    return materials, cues


def test_demo_gives_about_half_the_held_sessions_material():
    summary = demo_organisation_create(people=120, seed=3, now=NOW)

    held = Session.objects.filter(state=State.HELD)
    with_material = held.filter(materials__isnull=False).distinct().count()
    assert 0.35 < with_material / held.count() < 0.65, (with_material, held.count())
    assert Material.objects.exclude(session__state=State.HELD).count() == 0
    kinds = Counter(Material.objects.values_list("kind", flat=True))
    assert set(kinds) == {"notes", "recording", "link"}
    assert summary.counts["library.Material"] == sum(kinds.values())
    assert summary.counts["library.Transcript"] == Transcript.objects.count() > 0
    assert summary.counts["library.Cue"] == Cue.objects.count()
    # Recordings are hosted elsewhere; links all have a URL; notes are Markdown.
    assert Material.objects.filter(kind="recording", url="").count() == 0
    assert Material.objects.filter(kind="link", url="").count() == 0
    assert Material.objects.filter(kind="notes", notes__startswith="**").count() == kinds["notes"]
    assert Material.objects.filter(created_at__gt=NOW).count() == 0
    # Timed transcripts: cues in order, each ending after it starts, before the next one starts.
    for transcript in Transcript.objects.filter(source="vtt").prefetch_related("cues")[:20]:
        cues = list(transcript.cues.all())
        assert len(cues) >= 13
        assert all(c.start_ms < c.end_ms for c in cues)
        assert all(a.end_ms < b.start_ms for a, b in itertools.pairwise(cues))
        assert transcript.text == "\n".join(c.text for c in cues)
    pasted = Transcript.objects.filter(source="text")
    assert Cue.objects.filter(transcript__in=pasted, start_ms__isnull=False).count() == 0
    # Absentees' signals: only on sessions with material, never by someone who came.
    signals = CatchUpSignal.objects.all()
    assert summary.counts["library.CatchUpSignal"] == signals.count() > 0
    assert set(signals.values_list("kind", flat=True)) == {"watched", "not_interested"}
    assert signals.filter(session__materials__isnull=True).count() == 0
    came = Attendance.objects.filter(session=OuterRef("session"), person=OuterRef("person"))
    assert signals.filter(Exists(came)).count() == 0
    assert signals.filter(person__email=MEMBER_EMAIL).count() == 0
    assert signals.filter(at__gt=NOW).count() == 0


def test_the_first_talk_has_notes_but_no_recording():
    demo_organisation_create(people=60, seed=7, now=NOW)
    first = Session.objects.get(title=FIRST_TALK_TITLE)
    [notes] = first.materials.all()
    assert notes.kind == "notes"
    assert "Nobody recorded this one" in notes.notes


def test_the_member_login_has_a_catch_up_feed_with_invitations_and_interests():
    demo_organisation_create(people=300, seed=11, now=NOW)
    member = Person.objects.get(email=MEMBER_EMAIL)

    page = catchup_feed(person=member, page=1)
    items = page.object_list

    assert len(items) >= 3
    invited = [item for item in items if item.invited]
    assert len(invited) == 3
    assert any(kind == "transcript" for item in invited for kind, _ in item.materials)
    assert any(not item.invited and item.interests for item in items)
    for item in invited:
        assert not Attendance.objects.filter(session=item.session, person=member).exists()
        invitation = Invitation.objects.get(session=item.session, person=member)
        assert invitation.response in ("maybe", "no", "pending")


def test_same_seed_gives_the_same_library():
    demo_organisation_create(people=40, seed=5, now=NOW)
    first = library_fingerprint()
    wipe()
    demo_organisation_create(people=40, seed=5, now=NOW)
    assert library_fingerprint() == first
    assert len(first[0]) > 0
