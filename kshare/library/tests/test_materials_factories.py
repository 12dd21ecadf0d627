from kshare.library.models import Material
from kshare.library.tests.factories import (
    LinkMaterialFactory,
    MaterialFactory,
    RecordingMaterialFactory,
    SlidesMaterialFactory,
)


def test_factories_build_each_kind(db, media_root):
    assert MaterialFactory().kind == Material.Kind.NOTES
    assert LinkMaterialFactory().url.startswith("https://example.com/link/")
    recording = RecordingMaterialFactory()
    assert recording.file.name.startswith(f"materials/{recording.session_id}/")
    assert recording.file.name.endswith(".mp4")
    assert (media_root / recording.file.name).read_bytes()[4:8] == b"ftyp"
    assert recording.size == (media_root / recording.file.name).stat().st_size
    assert SlidesMaterialFactory().file.read(5) == b"%PDF-"
