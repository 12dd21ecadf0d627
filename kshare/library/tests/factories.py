"""Factories for the session library (materials); other library tests import these."""

import factory
from django.core.files.base import ContentFile

from kshare.library.models import Material
from kshare.sessions.tests.factories import SessionFactory

# The smallest bytes each sniffer accepts (see kshare/library/sniff.py).
MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
PDF_HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


class MaterialFactory(factory.django.DjangoModelFactory):
    """Notes by default; see the subclasses for the other kinds."""

    class Meta:
        model = Material

    session = factory.SubFactory(SessionFactory)
    kind = Material.Kind.NOTES
    title = factory.Sequence(lambda n: f"Material {n}")
    notes = "Some **notes** about the session."


class LinkMaterialFactory(MaterialFactory):
    kind = Material.Kind.LINK
    notes = ""
    url = factory.Sequence(lambda n: f"https://example.com/link/{n}")


class RecordingMaterialFactory(MaterialFactory):
    """A recording with a small (fake) MP4 file in the default storage.

    Tests that create these should use a temporary ``MEDIA_ROOT`` (the library tests' conftest
    does that for every test in kshare/library/tests).
    """

    kind = Material.Kind.RECORDING
    notes = ""
    filename = "talk.mp4"
    content_type = "video/mp4"
    file = factory.LazyAttribute(
        lambda o: ContentFile(MP4_HEADER + bytes(range(256)) * 4, name=o.filename)
    )
    size = factory.LazyAttribute(lambda o: o.file.size)


class SlidesMaterialFactory(MaterialFactory):
    kind = Material.Kind.SLIDES
    notes = ""
    filename = "slides.pdf"
    content_type = "application/pdf"
    file = factory.LazyAttribute(
        lambda o: ContentFile(PDF_HEADER + b"1 0 obj\n<<>>\nendobj\n%%EOF\n", name=o.filename)
    )
    size = factory.LazyAttribute(lambda o: o.file.size)
