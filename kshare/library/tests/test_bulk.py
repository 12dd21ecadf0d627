"""``materials_create_bulk``: the rules of the one-material paths and of ``transcript_save``, for
many rows at once, and the rows searchable once committed."""

import pytest
from django.core.exceptions import ValidationError

from kshare.library import services, services_transcripts, transcripts
from kshare.library.models import Cue, Material, Transcript
from kshare.library.services import materials_create_bulk
from kshare.people.tests.factories import PersonFactory
from kshare.search.models import Kind, SearchDocument
from kshare.sessions.tests.factories import PastSessionFactory

pytestmark = pytest.mark.django_db

VTT = (
    "WEBVTT\n\n00:00.000 --> 00:02.000\n<v Ada>Hello <b>there</b>\n\n"
    "00:03.000 --> 00:04.000\n&amp; bye\n"
)


@pytest.fixture
def session(db):
    return PastSessionFactory(host=PersonFactory(), title="Streams")


def test_bulk_materials_are_stored_as_the_single_paths_store_them(session):
    single = services.material_add_notes(session=session, title="  Notes ", notes="a\x00b", by=None)
    [bulk] = materials_create_bulk(
        materials=[
            Material(session=session, kind=Material.Kind.NOTES, title="  Notes ", notes="a\x00b")
        ]
    )
    bulk.refresh_from_db()
    assert (bulk.title, bulk.notes) == (single.title, single.notes) == ("Notes", "ab")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": Material.Kind.NOTES, "title": "   "}, "The title is empty."),
        (
            {"kind": Material.Kind.LINK, "title": "Doc", "url": "ftp://x"},
            "Enter an http:// or https:// address.",
        ),
        (
            {"kind": Material.Kind.SLIDES, "title": "Deck", "url": "https://x"},
            "A slides material is not a link.",
        ),
        (
            {"kind": Material.Kind.NOTES, "title": "N", "notes": "x" * 200_001},
            "The notes are longer than 200,000 characters.",
        ),
    ],
)
def test_bulk_materials_refuse_what_the_single_paths_refuse(session, fields, message):
    with pytest.raises(ValidationError) as error:
        materials_create_bulk(materials=[Material(session=session, **fields)])
    assert error.value.messages == [message]
    assert Material.objects.count() == 0


def test_a_bulk_transcript_has_the_text_transcript_save_derives(session):
    recording = services.material_add_link(
        session=session, kind=Material.Kind.RECORDING, title="Rec", url="https://v/1", by=None
    )
    single = services_transcripts.transcript_save(
        material=recording, parsed=transcripts.parse_vtt(VTT)
    )
    materials_create_bulk(
        materials=[
            Material(
                pk=90, session=session, kind=Material.Kind.RECORDING, title="R", url="https://v/2"
            )
        ],
        transcripts=[
            Transcript(pk=91, material_id=90, source=Transcript.Source.VTT, text="ignored")
        ],
        cues=[
            Cue(transcript_id=91, position=2, start_ms=3000, end_ms=4000, text="&amp; bye"),
            Cue(
                transcript_id=91,
                position=1,
                start_ms=0,
                end_ms=2000,
                text="<v Ada>Hello <b>there</b>",
            ),
        ],
    )
    bulk = Transcript.objects.get(pk=91)
    assert bulk.text == single.text == "Hello there\n& bye"


@pytest.mark.parametrize(
    ("kind", "cues", "message"),
    [
        (Material.Kind.LINK, 1, "Only recordings have transcripts."),
        (Material.Kind.RECORDING, 0, "A transcript needs at least one cue."),
    ],
)
def test_bulk_transcripts_refuse_what_transcript_save_refuses(session, kind, cues, message):
    with pytest.raises(ValidationError) as error:
        materials_create_bulk(
            materials=[Material(pk=5, session=session, kind=kind, title="M", url="https://v/1")],
            transcripts=[Transcript(pk=6, material_id=5)],
            cues=[Cue(transcript_id=6, position=1, text="hi")][:cues],
        )
    assert error.value.messages == [message]


def test_bulk_materials_with_planned_ids_move_the_sequences_and_are_searchable(
    session, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        materials_create_bulk(
            materials=[
                Material(
                    pk=40,
                    session=session,
                    kind=Material.Kind.NOTES,
                    title="Bulk notes",
                    notes="kafka",
                ),
                Material(
                    pk=41,
                    session=session,
                    kind=Material.Kind.RECORDING,
                    title="Rec",
                    url="https://v/3",
                ),
            ],
            transcripts=[Transcript(pk=42, material_id=41)],
            cues=[Cue(transcript_id=42, position=1, text="partitions and offsets")],
        )
        single = services.material_add_notes(
            session=session, title="Bulk notes", notes="kafka", by=None
        )
    assert single.pk == 42
    documents = {
        (d.kind, d.object_id): (d.title, d.body, d.tags, d.meta)
        for d in SearchDocument.objects.exclude(kind=Kind.SESSION)
    }
    assert documents[(Kind.MATERIAL, 40)] == documents[(Kind.MATERIAL, 42)]
    assert documents[(Kind.TRANSCRIPT, 42)][:2] == ("Rec", "partitions and offsets")
