"""The automatic transcription's page part: status, polling, start and retry, permissions, queries.

No speech is recognised here (kshare/library/tests/test_transcription.py does that): the job rows
are set to each state as the worker would leave them.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kshare.library import services_transcripts
from kshare.library.models import Material, Transcription
from kshare.library.tests.factories import LinkMaterialFactory, RecordingMaterialFactory
from kshare.library.transcripts import ParsedCue, ParsedTranscript
from kshare.people.tests.factories import AdminFactory, PersonFactory
from kshare.sessions.models import Visibility
from kshare.sessions.tests.factories import PastSessionFactory

pytestmark = pytest.mark.django_db

State = Transcription.State
DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def host():
    return PersonFactory(display_name="Hana Host")


@pytest.fixture
def recording(host):
    return RecordingMaterialFactory(session=PastSessionFactory(host=host), title="The talk")


def status_url(material: Material) -> str:
    return reverse("library:transcription_status", args=[material.pk])


def start_url(material: Material) -> str:
    return reverse("library:transcription_start", args=[material.pk])


def _job(material: Material, **fields) -> Transcription:
    return Transcription.objects.create(material=material, **fields)


def _part(html: str, material: Material) -> str:
    """The status part of one recording in a page ("" when the page has none)."""
    match = re.search(
        rf'<div class="transcription-status" id="transcription-{material.pk}".*?</div>',
        html,
        flags=re.DOTALL,
    )
    return match.group(0) if match else ""


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _auto_transcript(material: Material) -> None:
    services_transcripts.transcript_save(
        material=material,
        parsed=ParsedTranscript(source="auto", cues=[ParsedCue(0, 1500, "welcome everyone")]),
        language="en",
    )


# -- what the page shows --------------------------------------------------------------------------


def test_a_running_job_shows_its_progress_and_polls(client, host, recording):
    _job(
        recording,
        state=State.TRANSCRIBING,
        duration_ms=600_000,
        next_start_ms=252_000,
        chunks_done=9,
        working_seconds=50.4,
    )
    client.force_login(PersonFactory())  # any viewer sees the progress
    part = _part(client.get(recording.session.get_absolute_url()).content.decode(), recording)
    # 50.4 s of work for 252 s of audio: 0.2 s a second, 348 s of audio left → 70 s.
    assert _text(part).startswith("Transcribing: 42 % — about 1 minute left") is True
    assert f'hx-get="{status_url(recording)}"' in part
    assert 'hx-trigger="every 3s"' in part
    assert re.search(r'<progress [^>]*max="100" value="42" aria-label="[^"]+"', part) is not None
    assert "<form" not in part  # no button for viewers


@pytest.mark.parametrize(
    ("state", "shown"),
    [(State.QUEUED, "Queued"), (State.DECODING, "Decoding the audio")],
)
def test_queued_and_decoding_show_their_label_and_an_estimate_to_come(
    client, host, recording, state, shown
):
    _job(recording, state=state)
    client.force_login(host)
    part = _part(client.get(recording.session.get_absolute_url()).content.decode(), recording)
    assert _text(part) == f"{shown} 0 %"
    assert 'value="0"' in part


def test_a_failed_job_shows_its_problem_and_editors_may_try_again(client, host, recording):
    _job(recording, state=State.FAILED, problem="no_audio", detail="No audio stream.")
    client.force_login(host)
    part = _part(client.get(recording.session.get_absolute_url()).content.decode(), recording)
    assert _text(part) == "The recording has no audio track. Try again"
    assert f'action="{start_url(recording)}"' in part
    assert "hx-get" not in part  # nothing to poll
    client.force_login(PersonFactory())
    part = _part(client.get(recording.session.get_absolute_url()).content.decode(), recording)
    assert _text(part) == "The recording has no audio track."


def test_a_recording_without_transcript_or_job_offers_editors_to_transcribe(
    client, host, recording
):
    client.force_login(host)
    part = _part(client.get(recording.session.get_absolute_url()).content.decode(), recording)
    assert _text(part) == "Transcribe automatically"
    client.force_login(PersonFactory())
    page = client.get(recording.session.get_absolute_url()).content.decode()
    assert _part(page, recording) == ""


def test_a_finished_job_shows_nothing_once_the_transcript_shows(client, host, recording):
    _job(recording, state=State.DONE)
    _auto_transcript(recording)
    client.force_login(host)
    page = client.get(recording.session.get_absolute_url()).content.decode()
    assert _part(page, recording) == ""
    assert "welcome everyone" in page


@override_settings(KSHARE_TRANSCRIBE="off")
def test_with_transcription_off_no_button_is_offered(client, host, recording):
    client.force_login(host)
    page = client.get(recording.session.get_absolute_url()).content.decode()
    assert _part(page, recording) == ""


def test_a_recording_hosted_elsewhere_gets_no_button(client, host):
    link = LinkMaterialFactory(kind=Material.Kind.RECORDING, session=PastSessionFactory(host=host))
    client.force_login(host)
    assert _part(client.get(link.session.get_absolute_url()).content.decode(), link) == ""


# -- the status endpoint --------------------------------------------------------------------------


def test_status_while_running_answers_200_and_keeps_polling(client, host, recording):
    _job(recording, state=State.QUEUED)
    client.force_login(host)
    response = client.get(status_url(recording), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Refresh" not in response
    assert _text(response.content.decode()) == "Queued 0 %"


def test_status_when_done_stops_polling_and_refreshes_the_page(client, host, recording):
    _job(recording, state=State.DONE)
    _auto_transcript(recording)
    client.force_login(host)
    response = client.get(status_url(recording), headers={"HX-Request": "true"})
    assert (response.status_code, response["HX-Refresh"]) == (286, "true")
    assert _text(response.content.decode()) == "Transcript ready Show the transcript"
    plain = client.get(status_url(recording))  # no htmx: no refresh header
    assert (plain.status_code, "HX-Refresh" in plain) == (286, False)


def test_status_when_failed_stops_polling_with_the_problem(client, host, recording):
    _job(recording, state=State.FAILED, problem="silence")
    client.force_login(host)
    response = client.get(status_url(recording), headers={"HX-Request": "true"})
    assert (response.status_code, "HX-Refresh" in response) == (286, False)
    assert _text(response.content.decode()) == (
        "The recording is silent: there is no speech to transcribe. Try again"
    )


def test_status_is_404_for_people_who_may_not_see_the_session(client, recording):
    _job(recording, state=State.QUEUED)
    session = recording.session
    session.visibility = Visibility.INVITE_ONLY
    session.save()
    client.force_login(PersonFactory())
    assert client.get(status_url(recording)).status_code == 404
    assert client.post(start_url(recording)).status_code == 404


def test_status_of_something_that_is_not_a_recording_is_404(client, host):
    link = LinkMaterialFactory(session=PastSessionFactory(host=host))
    client.force_login(host)
    assert client.get(status_url(link)).status_code == 404


# -- starting -------------------------------------------------------------------------------------


@override_settings(TASKS=DUMMY_TASKS)
def test_an_editor_starts_the_transcription(client, host, recording):
    client.force_login(host)
    response = client.post(start_url(recording))
    assert response.status_code == 302
    assert response["Location"] == f"{recording.session.get_absolute_url()}#material-{recording.pk}"
    job = Transcription.objects.get(material=recording)
    assert (job.state, job.attempts) == (State.QUEUED, 0)


@override_settings(TASKS=DUMMY_TASKS)
def test_try_again_starts_a_failed_job_over(client, host, recording):
    _job(recording, state=State.FAILED, problem="error", detail="boom", next_start_ms=9000)
    client.force_login(host)
    assert client.post(start_url(recording)).status_code == 302
    job = Transcription.objects.get(material=recording)
    assert (job.state, job.problem, job.detail, job.next_start_ms) == (State.QUEUED, "", "", 0)


def test_a_viewer_who_may_not_edit_may_not_start_it(client, recording):
    client.force_login(PersonFactory())
    assert client.post(start_url(recording)).status_code == 403
    assert Transcription.objects.exists() is False


def test_start_needs_a_post_with_the_csrf_token(host, recording):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(host)
    assert csrf_client.post(start_url(recording)).status_code == 403
    assert csrf_client.get(start_url(recording)).status_code == 405
    assert Transcription.objects.exists() is False


@override_settings(KSHARE_TRANSCRIBE="off")
def test_starting_with_transcription_off_says_so(client, host, recording):
    client.force_login(host)
    response = client.post(start_url(recording), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Automatic transcripts are switched off on this installation."
    ]
    assert Transcription.objects.exists() is False


# -- query counts ---------------------------------------------------------------------------------


def test_session_page_query_count_does_not_grow_with_transcription_jobs(
    client, host, django_assert_num_queries
):
    small = PastSessionFactory(host=host)
    big = PastSessionFactory(host=host)
    states = [State.TRANSCRIBING, State.FAILED, State.DONE, State.QUEUED]
    for session, count in ((small, 1), (big, 4)):
        for state in states[:count]:
            _job(RecordingMaterialFactory(session=session), state=state, duration_ms=1000)
        RecordingMaterialFactory(session=session)  # and one without a job
    client.force_login(host)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(small.get_absolute_url()).status_code == 200
    with django_assert_num_queries(len(ctx.captured_queries)):
        response = client.get(big.get_absolute_url())
    assert response.content.decode().count('class="transcription-status"') == 5


def test_status_endpoint_costs_the_same_in_every_state(client, host, django_assert_num_queries):
    counts = []
    for state in (State.QUEUED, State.TRANSCRIBING, State.FAILED, State.DONE):
        material = RecordingMaterialFactory(session=PastSessionFactory(host=host))
        _job(material, state=state, duration_ms=1000)
        client.force_login(host)
        with CaptureQueriesContext(connection) as ctx:
            client.get(status_url(material))
        counts.append(len(ctx.captured_queries))
    assert len(set(counts)) == 1, counts


# -- admin ----------------------------------------------------------------------------------------


def test_admins_see_jobs_read_only_with_their_detail_and_progress(client, recording):
    job = _job(
        recording,
        state=State.FAILED,
        problem="error",
        detail="RuntimeError: the decoder stopped",
        duration_ms=100_000,
        next_start_ms=25_000,
        chunks_done=1,
        working_seconds=5.0,
    )
    client.force_login(AdminFactory())
    listing = client.get(reverse("admin:library_transcription_changelist"))
    page = client.get(reverse("admin:library_transcription_change", args=[job.pk]))
    assert (listing.status_code, page.status_code) == (200, 200)
    assert "25 %, about 15 s left" in listing.content.decode()
    assert "RuntimeError: the decoder stopped" in page.content.decode()
    assert 'name="state"' not in page.content.decode()  # nothing to edit
    assert client.get(reverse("admin:library_transcription_add")).status_code == 403
