"""What a reader sees of a transcript: chapters (stored, listed, as WebVTT), the automatic label
and its correction, cue anchors, search hits that lead to the spoken cue, the catch-up badge."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kshare.library import services_transcripts as services
from kshare.library import transcripts
from kshare.library.models import Cue, Material, Transcript
from kshare.library.services import materials_create_bulk
from kshare.library.tests.chapter_samples import three_topics_vtt
from kshare.library.tests.factories import MaterialFactory, RecordingMaterialFactory
from kshare.people.tests.factories import PersonFactory
from kshare.search.selectors import search
from kshare.sessions.models import Visibility
from kshare.sessions.tests.factories import InvitationFactory, PastSessionFactory

pytestmark = pytest.mark.django_db

# Chapters of three_topics_vtt(): 20, 30 and 25 cues of 5 s (the last ends 200 ms early).
CHAPTERS = [
    {"start_ms": 0, "end_ms": 100_000, "title": "Recommender · ratings · embeddings"},
    {"start_ms": 100_000, "end_ms": 250_000, "title": "Evaluation · holdout · precision"},
    {"start_ms": 250_000, "end_ms": 374_800, "title": "Deployment · kubernetes · rollout"},
]
AUTOMATIC_VTT = (
    "WEBVTT\n\n"
    "00:00:01.000 --> 00:00:03.000\n<v Speaker 1>we talk about quokka nomics\n\n"
    "00:00:03.500 --> 00:00:05.000\n<v Speaker 1>the economics of marsupials &amp; more\n"
)


@pytest.fixture
def host():
    return PersonFactory(display_name="Hana Host")


@pytest.fixture
def recording(host):
    session = PastSessionFactory(host=host, title="Marsupial economics")
    return RecordingMaterialFactory(session=session, title="The talk")


def save_automatic(material: Material, vtt: str = AUTOMATIC_VTT, **kwargs) -> Transcript:
    """The worker's save: WebVTT cue text from the recogniser, source "auto"."""
    parsed = transcripts.parse_vtt(vtt)
    return services.transcript_save(
        material=material,
        parsed=transcripts.ParsedTranscript(source=Transcript.Source.AUTOMATIC, cues=parsed.cues),
        **kwargs,
    )


def page_of(client, material: Material) -> str:
    return client.get(material.session.get_absolute_url()).content.decode()


# -- chapters stored ------------------------------------------------------------------------------


def test_saving_a_timed_transcript_stores_its_chapters(recording):
    transcript = services.transcript_save(
        material=recording, parsed=transcripts.parse_vtt(three_topics_vtt()), language="en"
    )
    transcript.refresh_from_db()
    assert transcript.chapters == CHAPTERS
    # Pasted text has no times, so no chapters; replacing the transcript replaces them.
    transcript = services.transcript_paste(material=recording, text="Words.\n\nMore words.")
    transcript.refresh_from_db()
    assert transcript.chapters == []


def test_a_short_transcript_stores_no_chapters(recording):
    transcript = save_automatic(recording, recogniser="pocketsphinx")
    transcript.refresh_from_db()
    assert (transcript.source, transcript.recogniser, transcript.chapters) == (
        "auto",
        "pocketsphinx",
        [],
    )


def test_a_persons_transcript_has_no_recogniser_even_when_one_is_passed(recording):
    transcript = services.transcript_save(
        material=recording, parsed=transcripts.parse_vtt(AUTOMATIC_VTT), recogniser="whisper"
    )
    assert (transcript.source, transcript.recogniser) == ("vtt", "")


def test_bulk_transcripts_get_the_chapters_transcript_save_derives(recording):
    single = services.transcript_save(
        material=recording, parsed=transcripts.parse_vtt(three_topics_vtt())
    )
    parsed = transcripts.parse_vtt(three_topics_vtt())
    materials_create_bulk(
        materials=[
            Material(
                pk=90,
                session=recording.session,
                kind=Material.Kind.RECORDING,
                title="Hosted elsewhere",
                url="https://video.example.com/1",
            )
        ],
        transcripts=[Transcript(pk=91, material_id=90, source=Transcript.Source.VTT)],
        cues=[
            Cue(transcript_id=91, position=i, start_ms=c.start_ms, end_ms=c.end_ms, text=c.text)
            for i, c in enumerate(parsed.cues, start=1)
        ],
    )
    assert Transcript.objects.get(pk=91).chapters == single.chapters == CHAPTERS


# -- chapters shown -------------------------------------------------------------------------------


def test_chapters_vtt_is_the_chapters_as_webvtt(client, host, recording):
    services.transcript_save(material=recording, parsed=transcripts.parse_vtt(three_topics_vtt()))
    client.force_login(host)
    response = client.get(reverse("library:transcript_chapters_vtt", args=[recording.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.decode() == (
        "WEBVTT\n\n"
        "1\n00:00:00.000 --> 00:01:40.000\nRecommender · ratings · embeddings\n\n"
        "2\n00:01:40.000 --> 00:04:10.000\nEvaluation · holdout · precision\n\n"
        "3\n00:04:10.000 --> 00:06:14.800\nDeployment · kubernetes · rollout\n"
    )


def test_chapters_vtt_escapes_titles(client, host, recording):
    services.transcript_paste(material=recording, text="x")
    Transcript.objects.filter(material=recording).update(
        chapters=[{"start_ms": 0, "end_ms": 1500, "title": "<b>A & B --> C"}]
    )
    client.force_login(host)
    response = client.get(reverse("library:transcript_chapters_vtt", args=[recording.pk]))
    assert response.content.decode() == (
        "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.500\n&lt;b&gt;A &amp; B --&gt; C\n"
    )


def test_chapters_vtt_is_404_for_whoever_may_not_see_the_session_and_without_chapters(
    client, recording
):
    url = reverse("library:transcript_chapters_vtt", args=[recording.pk])
    client.force_login(PersonFactory())
    assert client.get(url).status_code == 404  # no transcript
    services.transcript_paste(material=recording, text="No times.")
    assert client.get(url).status_code == 404  # no chapters
    services.transcript_save(material=recording, parsed=transcripts.parse_vtt(three_topics_vtt()))
    assert client.get(url).status_code == 200
    session = recording.session
    session.visibility = Visibility.INVITE_ONLY
    session.save()
    assert client.get(url).status_code == 404
    invited = PersonFactory()
    InvitationFactory(session=session, person=invited)
    client.force_login(invited)
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302  # to sign in


def test_session_page_lists_chapters_beside_the_player_and_gives_it_a_chapters_track(
    client, host, recording
):
    transcript = services.transcript_save(
        material=recording, parsed=transcripts.parse_vtt(three_topics_vtt()), language="en"
    )
    audio = RecordingMaterialFactory(
        session=recording.session, title="Audio", content_type="audio/mpeg", filename="a.mp3"
    )
    services.transcript_save(material=audio, parsed=transcripts.parse_vtt(three_topics_vtt()))
    client.force_login(host)
    html = page_of(client, recording)
    chapters_url = reverse("library:transcript_chapters_vtt", args=[recording.pk])
    assert f'<track kind="chapters" src="{chapters_url}" label="Chapters" srclang="en">' in html
    # The audio player gets the chapters too, but no captions.
    audio_chapters = reverse("library:transcript_chapters_vtt", args=[audio.pk])
    assert f'<track kind="chapters" src="{audio_chapters}" label="Chapters">' in html
    assert reverse("library:transcript_vtt", args=[audio.pk]) + '" label' not in html
    section = html[html.index(f'id="transcript-{transcript.pk}"') :]
    section = section[: section.index("</section>")]
    assert '<nav class="transcript-chapters" aria-label="Chapters" data-chapters>' in section
    assert (
        '<li><button type="button" class="chapter-button" data-start="100.000" '
        'data-end="250.000" aria-current="false"><time class="cue-time" datetime="PT100.000S">'
        '1:40</time> <span class="chapter-title">Evaluation · holdout · precision</span>'
        "</button></li>"
    ) in section
    assert section.count('class="chapter-button"') == 3


def test_a_transcript_with_one_chapter_or_none_lists_no_chapters(client, host, recording):
    save_automatic(recording)
    client.force_login(host)
    html = page_of(client, recording)
    assert "data-chapters" not in html
    assert 'kind="chapters"' not in html
    Transcript.objects.filter(material=recording).update(
        chapters=[{"start_ms": 0, "end_ms": 5000, "title": "All of it"}]
    )
    html = page_of(client, recording)
    assert "data-chapters" not in html
    assert 'kind="chapters"' not in html


def test_every_cue_has_an_anchor(client, host, recording):
    save_automatic(recording)
    client.force_login(host)
    html = page_of(client, recording)
    first, second = Cue.objects.filter(transcript__material=recording).order_by("position")
    assert f'<li class="transcript-cue" id="cue-{first.pk}">' in html
    assert f'<li class="transcript-cue" id="cue-{second.pk}">' in html


# -- the automatic label and its correction -------------------------------------------------------


def test_an_automatic_transcript_is_labelled_and_editors_may_correct_it(client, host, recording):
    save_automatic(recording, recogniser="pocketsphinx 5.1.1")
    edit = reverse("library:transcript_edit", args=[recording.pk])
    label = (
        '<p class="transcript-automatic"><strong>Automatic transcript</strong> — made by the '
        "computer (pocketsphinx 5.1.1), it may contain mistakes."
    )
    client.force_login(host)
    html = page_of(client, recording)
    assert f'{label} <a href="{edit}">Correct it</a></p>' in html
    client.force_login(PersonFactory())  # sees the public session, may not edit it
    html = page_of(client, recording)
    assert f"{label}</p>" in html
    assert "Correct it" not in html


def test_the_edit_page_offers_the_automatic_transcript_to_correct_and_saving_makes_it_a_persons(
    client, host, recording
):
    save_automatic(recording, recogniser="pocketsphinx", language="en")
    edit = reverse("library:transcript_edit", args=[recording.pk])
    client.force_login(host)
    response = client.get(edit)
    form = response.context["form"]
    prefilled = (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:03.000\n<v Speaker 1>we talk about quokka nomics\n\n"
        "00:00:03.500 --> 00:00:05.000\n<v Speaker 1>the economics of marsupials &amp; more\n"
    )
    assert form.initial == {"language": "en", "text": prefilled}
    html = response.content.decode()
    assert "This is the automatic transcript, made by the computer." in html
    assert "Save the corrected transcript" in html
    # The host corrects a word and saves.
    corrected = prefilled.replace("quokka nomics", "quokkanomics")
    response = client.post(edit, {"text": corrected, "language": "en"})
    assert response.status_code == 302
    transcript = Transcript.objects.get(material=recording)
    assert (transcript.source, transcript.recogniser) == ("vtt", "")
    assert transcript.text == "we talk about quokkanomics\nthe economics of marsupials & more"
    assert list(
        Cue.objects.filter(transcript=transcript).values_list("start_ms", "end_ms", "text")
    ) == [
        (1000, 3000, "<v Speaker 1>we talk about quokkanomics"),
        (3500, 5000, "<v Speaker 1>the economics of marsupials &amp; more"),
    ]
    assert "transcript-automatic" not in page_of(client, recording)
    # A person's transcript is not prefilled: saving replaces it with whatever is given.
    assert client.get(edit).context["form"].initial == {"language": "en"}


def test_uploading_a_persons_transcript_replaces_the_automatic_one(client, host, recording):
    automatic = save_automatic(recording, recogniser="pocketsphinx")
    client.force_login(host)
    response = client.post(
        reverse("library:transcript_edit", args=[recording.pk]),
        {"file": SimpleUploadedFile("talk.vtt", three_topics_vtt().encode(), "text/vtt")},
    )
    assert response.status_code == 302
    transcript = Transcript.objects.get(material=recording)
    assert transcript.pk == automatic.pk
    assert (transcript.source, transcript.recogniser, transcript.chapters) == ("vtt", "", CHAPTERS)
    assert Cue.objects.filter(transcript=transcript).count() == 75
    assert "transcript-automatic" not in page_of(client, recording)


# -- search hits lead to the cue ------------------------------------------------------------------


def test_a_transcript_hit_links_to_the_first_cue_saying_a_query_word(person, recording):
    transcript = save_automatic(recording)
    first, second = Cue.objects.filter(transcript=transcript).order_by("position")
    session = f"/sessions/{recording.session_id}/"

    def url(query: str) -> str:
        [hit] = search(person=person, query=query, kind="transcript").hits
        return hit.url

    assert url("marsupials") == f"{session}?t=3#cue-{second.pk}"
    assert url("marsupial") == f"{session}?t=3#cue-{second.pk}"  # search stems; so do we
    assert url("quokka") == f"{session}?t=1#cue-{first.pk}"
    assert url("marsup*") == f"{session}?t=3#cue-{second.pk}"  # a prefix
    assert url("economics talk") == f"{session}?t=1#cue-{first.pk}"  # the earliest cue


def test_a_transcript_hit_without_a_matching_cue_links_to_the_transcript(person, recording):
    transcript = Transcript.objects.create(
        material=recording, source=Transcript.Source.TEXT, text="and then the pangolin said"
    )
    [hit] = search(person=person, query="pangolin").hits
    assert hit.url == f"/sessions/{recording.session_id}/#transcript-{transcript.pk}"


def test_search_page_links_transcript_hits_to_cues_in_one_query_for_the_page(
    member_client, django_assert_num_queries
):
    url = reverse("search:results")

    def add_transcripts(n: int) -> None:
        for _ in range(n):
            material = RecordingMaterialFactory(session=PastSessionFactory(), title="Rec")
            save_automatic(material)

    add_transcripts(1)
    member_client.get(url, {"q": "marsupials"})  # warm up (session, caches)
    with CaptureQueriesContext(connection) as one:
        response = member_client.get(url, {"q": "marsupials"})
    assert response.content.decode().count("#cue-") == 1
    add_transcripts(5)
    with django_assert_num_queries(len(one.captured_queries)):
        response = member_client.get(url, {"q": "marsupials"})
    html = response.content.decode()
    assert html.count("#cue-") == 6
    cue = Cue.objects.filter(text__contains="marsupials").order_by("-pk").first()
    assert f'href="/sessions/{cue.transcript.material.session_id}/?t=3#cue-{cue.pk}"' in html


# -- catch-up -------------------------------------------------------------------------------------


def test_catch_up_says_transcript_available(member_client, person):
    session = PastSessionFactory(title="Missed talk")
    InvitationFactory(session=session, person=person, response="yes")
    recording = RecordingMaterialFactory(session=session)
    html = member_client.get(reverse("library:catchup")).content.decode()
    assert "Transcript available" not in html
    save_automatic(recording)
    MaterialFactory(session=session)  # notes too
    html = member_client.get(reverse("library:catchup")).content.decode()
    item = html[html.index(f'id="catchup-{session.pk}"') :]
    assert '<span aria-hidden="true">☰ </span>Transcript available</span>' in item
