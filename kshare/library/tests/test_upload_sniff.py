"""Telling file types apart by content (kshare/library/sniff.py)."""

import io

import pytest

from kshare.library import sniff
from kshare.library.tests import samples
from kshare.library.uploads import type_error

NOT_MEDIA = "This file is not a video or audio file: it looks like "
NOT_SLIDES = (
    "This file is not a slide deck (PDF, PowerPoint, OpenDocument or Keynote): it looks like "
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (samples.MP4, sniff.MP4),
        (samples.MOV, sniff.MOV),
        (samples.M4A, sniff.M4A),
        (samples.WEBM, sniff.WEBM),
        (samples.MKV, sniff.MKV),
        (samples.OGG_AUDIO, sniff.OGG_AUDIO),
        (samples.OGG_VIDEO, sniff.OGG_VIDEO),
        (samples.MP3_ID3, sniff.MP3),
        (samples.MP3_FRAME, sniff.MP3),
        (samples.WAV, sniff.WAV),
        (samples.PDF, sniff.PDF),
        (samples.PPTX, sniff.PPTX),
        (samples.ODP, sniff.ODP),
        (samples.KEY, sniff.KEY),
        (samples.KEY_09, sniff.KEY),
        (samples.DOCX, sniff.ZIP_ARCHIVE),
        (samples.ELF, sniff.ELF),
        (samples.PE, sniff.PE),
        (samples.SHEBANG, sniff.SCRIPT),
        (samples.HTML, sniff.UNKNOWN),
        (b"", sniff.UNKNOWN),
        (b"PK\x03\x04truncated zip", sniff.UNKNOWN),
        (b"\xff\xff\xff\xff" + samples.PAD, sniff.UNKNOWN),  # sync bits, reserved layer
    ],
)
def test_sniff_file(data, expected):
    file = io.BytesIO(data)
    file.seek(7)

    assert sniff.sniff_file(file) is expected
    assert file.tell() == 0


@pytest.mark.parametrize(
    ("kind", "data", "error"),
    [
        ("recording", samples.MP4, None),
        ("recording", samples.WAV, None),
        ("recording", samples.ELF, NOT_MEDIA + "a program (ELF executable)."),
        ("recording", samples.PE, NOT_MEDIA + "a program (Windows executable)."),
        ("recording", samples.SHEBANG, NOT_MEDIA + "a script (starts with #!)."),
        ("recording", samples.PDF, NOT_MEDIA + "a PDF document."),
        ("slides", samples.PDF, None),
        ("slides", samples.PPTX, None),
        ("slides", samples.ODP, None),
        ("slides", samples.KEY, None),
        ("slides", samples.MP4, NOT_SLIDES + "an MP4 video."),
        ("slides", samples.DOCX, NOT_SLIDES + "a zip archive."),
        ("slides", samples.HTML, NOT_SLIDES + "a file of an unrecognised type."),
    ],
)
def test_type_error(kind, data, error):
    assert type_error(kind=kind, found=sniff.sniff_file(io.BytesIO(data))) == error
