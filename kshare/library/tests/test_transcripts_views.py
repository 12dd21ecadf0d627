"""Transcript pages and services: permissions, uploads, pasted text, errors, display, queries."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kshare.library import services_transcripts as services
from kshare.library import transcripts
from kshare.library.models import Cue, Material, Transcript
from kshare.library.tests.factories import RecordingMaterialFactory, SlidesMaterialFactory
from kshare.people.tests.factories import AdminFactory, PersonFactory
from kshare.sessions.models import Visibility
from kshare.sessions.tests.factories import InvitationFactory, PastSessionFactory

pytestmark = pytest.mark.django_db

VTT = (
    b"WEBVTT\n\n"
    b"1\n00:00:01.000 --> 00:00:03.000\n<v Ana>We talk about quokkanomics.</v>\n\n"
    b"2\n00:00:04.500 --> 00:00:06.000\nAnd &lt;script&gt; tags &amp; more.\n"
)


@pytest.fixture
def host():
    return PersonFactory(display_name="Hana Host")


@pytest.fixture
def recording(host):
    session = PastSessionFactory(host=host, title="Marsupial economics")
    return RecordingMaterialFactory(session=session, title="The talk")


def edit_url(material: Material) -> str:
    return reverse("library:transcript_edit", args=[material.pk])


def upload(client, material, data=VTT, name="talk.vtt", **extra):
    return client.post(
        edit_url(material), {"file": SimpleUploadedFile(name, data, "text/vtt"), **extra}
    )


def cues_of(material: Material) -> list[tuple[int, int | None, int | None, str]]:
    return list(
        Cue.objects.filter(transcript__material=material)
        .order_by("position")
        .values_list("position", "start_ms", "end_ms", "text")
    )


# -- permissions ----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, recording):
    response = client.get(edit_url(recording))
    assert response.status_code == 302
    assert response["Location"].startswith("/signin/")


def test_host_and_admin_may_edit(client, host, recording):
    client.force_login(host)
    response = client.get(edit_url(recording))
    assert response.status_code == 200
    assert b"Transcript of \xe2\x80\x9cThe talk\xe2\x80\x9d" in response.content
    client.force_login(AdminFactory())
    assert client.get(edit_url(recording)).status_code == 200


def test_viewer_who_may_not_edit_gets_403_and_nothing_changes(client, recording):
    client.force_login(PersonFactory())  # the session is public: visible, not editable
    assert client.get(edit_url(recording)).status_code == 403
    assert upload(client, recording).status_code == 403
    assert client.post(reverse("library:transcript_delete", args=[recording.pk])).status_code == 403
    assert not Transcript.objects.exists()


def test_invisible_session_is_404_everywhere(client, recording):
    session = recording.session
    session.visibility = Visibility.INVITE_ONLY
    session.save()
    services.transcript_paste(material=recording, text="secret words")
    client.force_login(PersonFactory())
    for url in [
        edit_url(recording),
        reverse("library:transcript_vtt", args=[recording.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    assert upload(client, recording).status_code == 404
    assert client.post(reverse("library:transcript_delete", args=[recording.pk])).status_code == 404
    # An invited person sees it (and may download the WebVTT) but does not edit it.
    invited = PersonFactory()
    InvitationFactory(session=session, person=invited)
    client.force_login(invited)
    assert client.get(reverse("library:transcript_vtt", args=[recording.pk])).status_code == 200
    assert client.get(edit_url(recording)).status_code == 403


def test_missing_material_and_non_recordings_are_404(client, host, recording):
    client.force_login(host)
    slides = SlidesMaterialFactory(session=recording.session)
    assert client.get(edit_url(slides)).status_code == 404
    assert client.get(reverse("library:transcript_edit", args=[999_999])).status_code == 404


# -- uploading and pasting ------------------------------------------------------------------------


def test_upload_vtt_creates_transcript_and_cues(client, host, recording):
    client.force_login(host)
    response = upload(client, recording, language="en")
    assert response.status_code == 302
    transcript = Transcript.objects.get(material=recording)
    assert response["Location"] == f"/sessions/{recording.session_id}/#transcript-{transcript.pk}"
    assert (transcript.source, transcript.language) == ("vtt", "en")
    assert transcript.text == "We talk about quokkanomics.\nAnd <script> tags & more."
    assert cues_of(recording) == [
        (1, 1000, 3000, "<v Ana>We talk about quokkanomics.</v>"),
        (2, 4500, 6000, "And &lt;script&gt; tags &amp; more."),
    ]
    page = client.get(response["Location"])
    assert "Transcript added: 2 lines." in page.content.decode()


def test_upload_srt(client, host, recording):
    client.force_login(host)
    data = b"1\r\n00:00:01,000 --> 00:00:02,000\r\n<i>Hi</i>\r\n"
    assert upload(client, recording, data=data, name="talk.srt").status_code == 302
    assert Transcript.objects.get(material=recording).source == "srt"
    assert cues_of(recording) == [(1, 1000, 2000, "<i>Hi</i>")]


def test_malformed_file_shows_the_line_and_saves_nothing(client, host, recording):
    client.force_login(host)
    bad = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfine\n\n00:00:03,000 -> 00:00:04\nbad\n"
    response = upload(client, recording, data=bad, name="broken.vtt")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["file"] == [
        "broken.vtt: Line 6: the cue timing '00:00:03,000 -> 00:00:04' is not valid (expected "
        "HH:MM:SS.mmm --> HH:MM:SS.mmm; WebVTT writes a full stop before the milliseconds, not "
        "a comma)."
    ]
    assert "broken.vtt: Line 6:" in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert not Transcript.objects.exists()


def test_malformed_file_keeps_the_previous_transcript(client, host, recording):
    client.force_login(host)
    upload(client, recording)
    before = cues_of(recording)
    response = upload(client, recording, data=b"WEBVTT\n\nnonsense\n", name="x.vtt")
    assert response.status_code == 200
    assert cues_of(recording) == before


def test_paste_text_one_cue_per_paragraph_without_times(client, host, recording):
    client.force_login(host)
    response = client.post(
        edit_url(recording), {"text": "Hello quokkas.\r\nStill the first.\r\n\r\nSecond one."}
    )
    assert response.status_code == 302
    transcript = Transcript.objects.get(material=recording)
    assert (transcript.source, transcript.text) == (
        "text",
        "Hello quokkas.\nStill the first.\nSecond one.",
    )
    assert cues_of(recording) == [
        (1, None, None, "Hello quokkas.\nStill the first."),
        (2, None, None, "Second one."),
    ]


def test_replace_keeps_the_transcript_row_and_swaps_the_cues(client, host, recording):
    client.force_login(host)
    upload(client, recording)
    first = Transcript.objects.get(material=recording)
    response = client.post(edit_url(recording), {"text": "Only this now."})
    assert response.status_code == 302
    assert Transcript.objects.get(material=recording).pk == first.pk
    assert cues_of(recording) == [(1, None, None, "Only this now.")]
    assert Cue.objects.count() == 1
    page = client.get(response["Location"])
    assert "Transcript replaced: 1 line." in page.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "__all__", "Choose a WebVTT or SRT file, or paste the transcript's text."),
        (
            {"text": "   \n "},
            "__all__",
            "Choose a WebVTT or SRT file, or paste the transcript's text.",
        ),
        (
            {"text": "x", "language": "english please"},
            "language",
            "Use a language tag such as en, de or pt-BR.",
        ),
        (
            {"text": "WEBVTT\n\n00:01.000 --> 00:00.500\nback"},
            "text",
            "Line 3: the cue ends (00:00:00.500) before it starts (00:00:01.000).",
        ),
    ],
)
def test_form_errors(client, host, recording, data, field, message):
    client.force_login(host)
    response = client.post(edit_url(recording), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not Transcript.objects.exists()


def test_file_and_text_together_is_an_error(client, host, recording):
    client.force_login(host)
    response = upload(client, recording, text="pasted too")
    assert response.context["form"].errors["__all__"] == [
        "Upload a file or paste text, not both: which one should be the transcript?"
    ]


def test_too_long_paste_and_too_big_file(client, host, recording, monkeypatch):
    client.force_login(host)
    from kshare.library import forms_transcripts

    monkeypatch.setattr(forms_transcripts, "PASTE_MAX_CHARS", 10)
    response = client.post(edit_url(recording), {"text": "x" * 11})
    assert response.context["form"].errors["text"] == [
        "Keep the pasted text to 10 characters or fewer (you pasted 11); upload a file for "
        "longer transcripts."
    ]
    monkeypatch.setattr(transcripts, "MAX_BYTES", 1024 * 1024)
    response = upload(client, recording, data=VTT + b"x" * (1024 * 1024))
    # The upload handler stops keeping the file at the limit; the form says why.
    assert response.context["form"].errors == {
        "file": ["talk.vtt is too large: transcripts can be at most 1 MB."]
    }
    assert not Transcript.objects.exists()


def test_upload_handler_keeps_at_most_the_limit_in_memory(monkeypatch):
    from django.core.files.uploadhandler import SkipFile, StopFutureHandlers
    from django.test import RequestFactory

    from kshare.library.views_transcripts import TranscriptUploadHandler

    monkeypatch.setattr(transcripts, "MAX_BYTES", 1024 * 1024)
    handler = TranscriptUploadHandler(RequestFactory().post("/"))
    handler.handle_raw_input(None, {}, 10_000_000, b"x")  # in memory even when announced big
    with pytest.raises(StopFutureHandlers):
        handler.new_file("file", "a.vtt", "text/vtt", 10_000_000)
    handler.receive_data_chunk(b"x" * 1024 * 1024, 0)
    assert handler.too_large is None
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"y", 1024 * 1024)
    assert handler.file.getvalue() == b"x" * 1024 * 1024
    assert handler.too_large == "a.vtt is too large: transcripts can be at most 1 MB."


def test_csrf_is_still_checked(host, recording):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(host)
    response = upload(client, recording)
    assert response.status_code == 403
    assert not Transcript.objects.exists()


def test_nul_bytes_in_a_file_are_a_line_error_not_a_500(client, host, recording):
    client.force_login(host)
    response = upload(client, recording, data=b"WEBVTT\n\n00:01.000 --> 00:02.000\nA\x00B\n")
    assert response.context["form"].errors["file"] == [
        "talk.vtt: Line 4: contains a NUL character (\\0), which is not text."
    ]


def test_delete(client, host, recording):
    client.force_login(host)
    upload(client, recording)
    url = reverse("library:transcript_delete", args=[recording.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    assert not Transcript.objects.exists()
    assert not Cue.objects.exists()
    page = client.get(response["Location"])
    assert "Transcript removed." in page.content.decode()
    client.post(url)
    assert "There was no transcript to remove." in client.get(response["Location"]).content.decode()


def test_vtt_download(client, host, recording):
    client.force_login(host)
    url = reverse("library:transcript_vtt", args=[recording.pk])
    assert client.get(url).status_code == 404  # no transcript yet
    upload(client, recording)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response.content.decode() == (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:03.000\n<v Ana>We talk about quokkanomics.</v>\n\n"
        "00:00:04.500 --> 00:00:06.000\nAnd &lt;script&gt; tags &amp; more.\n"
    )


def test_vtt_download_of_srt_escapes_plain_words(client, host, recording):
    client.force_login(host)
    upload(
        client,
        recording,
        data=b"1\n00:00:01,000 --> 00:00:02,000\n<b>a < b & c</b>\n",
        name="a.srt",
    )
    response = client.get(reverse("library:transcript_vtt", args=[recording.pk]))
    assert response.content.decode() == (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na &lt; b &amp; c\n"
    )


# -- display --------------------------------------------------------------------------------------


def test_partial_escapes_everything_and_names_speakers(recording):
    services.transcript_save(
        material=recording,
        parsed=transcripts.parse_vtt(
            "WEBVTT\n\n00:01.000 --> 00:02.500\n<v <Mallory>>&lt;img src=x onerror=alert(1)&gt;"
            "\n\n00:03.000 --> 00:04.000\n<v Ana>Hi</v>"
        ),
    )
    material = Material.objects.get(pk=recording.pk)
    html = render_to_string("library/_transcript.html", {"material": material, "can_edit": False})
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert '<span class="cue-speaker">Ana:</span> Hi' in html
    assert 'data-start="1.000" data-end="2.500"' in html
    assert 'data-video="recording-' + str(recording.pk) + '"' in html
    assert '<time class="cue-time" datetime="PT3.000S">0:03</time>' in html
    assert "library/transcript.js" in html
    assert "Replace or remove" not in html


def test_partial_for_pasted_text_has_no_buttons_and_a_focusable_region(recording):
    services.transcript_paste(material=recording, text="One.\n\nTwo.")
    material = Material.objects.get(pk=recording.pk)
    html = render_to_string("library/_transcript.html", {"material": material, "can_edit": True})
    assert "<button" not in html
    assert 'tabindex="0" role="region"' in html
    assert '<p class="cue-line"><span class="cue-text">One.</span></p>' in html
    assert reverse("library:transcript_edit", args=[recording.pk]) in html
    assert "Download (WebVTT)" not in html


def test_partial_without_transcript_offers_adding_one_to_editors_only(recording):
    html = render_to_string("library/_transcript.html", {"material": recording, "can_edit": True})
    assert "Add a transcript" in html
    html = render_to_string("library/_transcript.html", {"material": recording, "can_edit": False})
    assert html.strip() == ""


# -- services -------------------------------------------------------------------------------------


def test_service_refuses_non_recordings():
    slides = SlidesMaterialFactory()
    with pytest.raises(ValidationError):
        services.transcript_paste(material=slides, text="words")
    assert not Transcript.objects.exists()


def test_service_is_all_or_nothing(recording, monkeypatch):
    services.transcript_paste(material=recording, text="Old.")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Cue.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        services.transcript_paste(material=recording, text="New.")
    transcript = Transcript.objects.get(material=recording)
    assert (transcript.text, cues_of(recording)) == ("Old.", [(1, None, None, "Old.")])


def test_deleting_the_recording_deletes_the_transcript(recording):
    services.transcript_paste(material=recording, text="Words.")
    recording.delete()
    assert not Transcript.objects.exists()
    assert not Cue.objects.exists()


# -- query counts ---------------------------------------------------------------------------------


def _vtt_with(n: int) -> str:
    return "WEBVTT\n\n" + "".join(
        f"00:00:{i:02d}.000 --> 00:00:{i:02d}.900\n<v S{i}>Cue {i}</v>\n\n" for i in range(n)
    )


def test_edit_page_query_count_does_not_grow_with_cues(client, host, django_assert_num_queries):
    small = RecordingMaterialFactory(session=PastSessionFactory(host=host))
    big = RecordingMaterialFactory(session=PastSessionFactory(host=host))
    services.transcript_save(material=small, parsed=transcripts.parse_vtt(_vtt_with(2)))
    services.transcript_save(material=big, parsed=transcripts.parse_vtt(_vtt_with(10)))
    client.force_login(host)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(edit_url(small)).status_code == 200
    with django_assert_num_queries(len(ctx.captured_queries)):
        response = client.get(edit_url(big))
    assert response.content.decode().count('class="transcript-cue"') == 10


def test_session_page_query_count_does_not_grow_with_recordings_or_cues(
    client, host, django_assert_num_queries
):
    small = PastSessionFactory(host=host)
    big = PastSessionFactory(host=host)
    for session, recordings, cues in ((small, 1, 2), (big, 3, 10)):
        for _ in range(recordings):
            material = RecordingMaterialFactory(session=session)
            services.transcript_save(
                material=material, parsed=transcripts.parse_vtt(_vtt_with(cues))
            )
    client.force_login(host)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(small.get_absolute_url()).status_code == 200
    with django_assert_num_queries(len(ctx.captured_queries)):
        response = client.get(big.get_absolute_url())
    assert response.content.decode().count('class="cue-button"') == 30


def test_session_page_player_has_a_captions_track_for_timed_transcripts(client, host, recording):
    client.force_login(host)
    upload(client, recording, language="en")
    track_url = reverse("library:transcript_vtt", args=[recording.pk])
    html = client.get(recording.session.get_absolute_url()).content.decode()
    assert f'<track kind="captions" src="{track_url}" label="Transcript (en)" srclang="en">' in html
    client.post(edit_url(recording), {"text": "No times here."})
    html = client.get(recording.session.get_absolute_url()).content.decode()
    assert "<track" not in html
    assert '<p class="cue-line"><span class="cue-text">No times here.</span></p>' in html


@pytest.mark.django_db(transaction=True)
def test_simultaneous_uploads_replace_one_after_the_other():
    from kshare.web.tests.race import race

    material = RecordingMaterialFactory(session=PastSessionFactory())
    texts = [f"Version {i}.\n\nSecond paragraph {i}." for i in range(4)]
    errors = race(lambda i: services.transcript_paste(material=material, text=texts[i]), threads=4)
    assert errors == []
    transcript = Transcript.objects.get(material=material)
    # Exactly one upload's cues remain, whole: never a mix, never two transcripts.
    winner = transcript.text.split("\n")[0]
    i = int(winner.removeprefix("Version ").removesuffix("."))
    assert cues_of(material) == [
        (1, None, None, f"Version {i}."),
        (2, None, None, f"Second paragraph {i}."),
    ]


def test_transcript_of_an_external_recording_lists_times_as_text(recording):
    recording.file = ""
    recording.url = "https://video.example.com/talk"
    recording.save()
    services.transcript_save(material=recording, parsed=transcripts.parse_vtt(VTT.decode()))
    material = Material.objects.get(pk=recording.pk)
    html = render_to_string("library/_transcript.html", {"material": material, "can_edit": False})
    assert "<button" not in html
    assert "transcript.js" not in html
    assert (
        '<p class="cue-line"><time class="cue-time" datetime="PT1.000S">0:01</time> '
        '<span class="cue-text"><span class="cue-speaker">Ana:</span> We talk about '
        "quokkanomics.</span></p>"
    ) in html
    assert "Download (WebVTT)" in html
