"""What a file is, told from its first bytes (and, for zip-based formats, its entry names).

The uploader's file name and the browser's Content-Type are never trusted: a renamed program
stays a program. Only the formats the library accepts are recognised, plus executables (so the
error can say what the file looks like); everything else is "unrecognised".
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import BinaryIO

# Enough for every signature below (Matroska's DocType and Ogg's codec header come early).
HEAD_SIZE = 4096

VIDEO = "video"
AUDIO = "audio"
DOCUMENT = "document"
EXECUTABLE = "executable"
ZIP = "zip"

ODP_MIMETYPE = b"application/vnd.oasis.opendocument.presentation"


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    family: str
    label: str  # what it looks like, for error messages: "an MP4 video"
    extension: str

    @property
    def is_media(self) -> bool:
        return self.family in (VIDEO, AUDIO)


def gettext_noop(text: str) -> str:
    """Marks a label for the translation catalogue (this module has no Django in it); the
    label is translated where it is shown (``uploads``)."""
    return text


MP4 = Sniffed("video/mp4", VIDEO, gettext_noop("an MP4 video"), "mp4")
MOV = Sniffed("video/quicktime", VIDEO, gettext_noop("a QuickTime video"), "mov")
M4A = Sniffed("audio/mp4", AUDIO, gettext_noop("an M4A audio file"), "m4a")
GPP = Sniffed("video/3gpp", VIDEO, gettext_noop("a 3GP video"), "3gp")
WEBM = Sniffed("video/webm", VIDEO, gettext_noop("a WebM video"), "webm")
MKV = Sniffed("video/x-matroska", VIDEO, gettext_noop("a Matroska video"), "mkv")
OGG_VIDEO = Sniffed("video/ogg", VIDEO, gettext_noop("an Ogg video"), "ogv")
OGG_AUDIO = Sniffed("audio/ogg", AUDIO, gettext_noop("an Ogg audio file"), "ogg")
MP3 = Sniffed("audio/mpeg", AUDIO, gettext_noop("an MP3 audio file"), "mp3")
WAV = Sniffed("audio/wav", AUDIO, gettext_noop("a WAV audio file"), "wav")
FLAC = Sniffed("audio/flac", AUDIO, gettext_noop("a FLAC audio file"), "flac")
PDF = Sniffed("application/pdf", DOCUMENT, gettext_noop("a PDF document"), "pdf")
PPTX = Sniffed(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    DOCUMENT,
    gettext_noop("a PowerPoint presentation"),
    "pptx",
)
ODP = Sniffed(ODP_MIMETYPE.decode(), DOCUMENT, gettext_noop("an OpenDocument presentation"), "odp")
KEY = Sniffed(
    "application/x-iwork-keynote-sffkey", DOCUMENT, gettext_noop("a Keynote presentation"), "key"
)
# A zip archive whose entries have not been looked at yet (only ``sniff_head`` returns it).
ZIP_ARCHIVE = Sniffed("application/zip", ZIP, gettext_noop("a zip archive"), "zip")
ELF = Sniffed(
    "application/x-executable", EXECUTABLE, gettext_noop("a program (ELF executable)"), "bin"
)
PE = Sniffed(
    "application/x-msdownload", EXECUTABLE, gettext_noop("a program (Windows executable)"), "exe"
)
MACHO = Sniffed(
    "application/x-mach-binary", EXECUTABLE, gettext_noop("a program (Mach-O executable)"), "bin"
)
SCRIPT = Sniffed("text/x-script", EXECUTABLE, gettext_noop("a script (starts with #!)"), "sh")
UNKNOWN = Sniffed(
    "application/octet-stream", "unknown", gettext_noop("a file of an unrecognised type"), "bin"
)

MEDIA_TYPES = (MP4, MOV, M4A, GPP, WEBM, MKV, OGG_VIDEO, OGG_AUDIO, MP3, WAV, FLAC)
SLIDE_TYPES = (PDF, PPTX, ODP, KEY)

_MACHO_MAGICS = (
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
_MP3_BITRATE_BAD = (0x0, 0xF)


def _ftyp(head: bytes) -> Sniffed | None:
    """ISO base media (MP4, MOV, M4A, 3GP): a box ``size, 'ftyp', major brand``."""
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand in (b"M4A ", b"M4B ", b"M4P "):
        return M4A
    if brand == b"qt  ":
        return MOV
    if brand.startswith(b"3g"):
        return GPP
    return MP4


def _ebml(head: bytes) -> Sniffed | None:
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    return WEBM if b"webm" in head[:HEAD_SIZE] else MKV


def _ogg(head: bytes) -> Sniffed | None:
    if not head.startswith(b"OggS"):
        return None
    return OGG_VIDEO if b"\x80theora" in head[:HEAD_SIZE] else OGG_AUDIO


def _mp3(head: bytes) -> Sniffed | None:
    if head.startswith(b"ID3") and len(head) >= 10:
        return MP3
    # An MPEG audio frame header: 11 sync bits, a version other than "reserved" (01), a layer
    # other than "reserved" (00), and a bitrate index other than "free"/"bad".
    if len(head) >= 4 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        version = (head[1] >> 3) & 0x3
        layer = (head[1] >> 1) & 0x3
        bitrate = head[2] >> 4
        sample_rate = (head[2] >> 2) & 0x3
        if version != 0x1 and layer != 0x0 and bitrate not in _MP3_BITRATE_BAD and sample_rate != 3:
            return MP3
    return None


def sniff_head(head: bytes) -> Sniffed:
    """The type the first bytes of a file show; ``ZIP_ARCHIVE`` when only the entries can tell."""
    for check in (_ftyp, _ebml, _ogg):
        found = check(head)
        if found is not None:
            return found
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"fLaC"):
        return FLAC
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        # An ODF package stores an uncompressed "mimetype" entry first (fixed offset 30).
        if head[30:38] == b"mimetype" and head[38:].startswith(ODP_MIMETYPE):
            return ODP
        return ZIP_ARCHIVE
    if head.startswith(b"\x7fELF"):
        return ELF
    if head.startswith(b"MZ"):
        return PE
    if head[:4] in _MACHO_MAGICS:
        return MACHO
    if head.startswith(b"#!"):
        return SCRIPT
    # Frame sync last: its 11 bits are the weakest signature.
    return _mp3(head) or UNKNOWN


def sniff_zip(file: BinaryIO) -> Sniffed:
    """A zip archive's type from its entries (reads only the central directory)."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    if entry.read(len(ODP_MIMETYPE) + 1).strip() == ODP_MIMETYPE:
                        return ODP
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError):
        return UNKNOWN
    if "[Content_Types].xml" in names and any(name.startswith("ppt/") for name in names):
        return PPTX
    if "index.apxl" in names or any(name.startswith("Index/") for name in names):
        return KEY
    return ZIP_ARCHIVE


def sniff_file(file: BinaryIO) -> Sniffed:
    """The type of a whole (seekable) file; the position is put back to the start."""
    file.seek(0)
    found = sniff_head(file.read(HEAD_SIZE))
    if found is ZIP_ARCHIVE or found is ODP:
        file.seek(0)
        found = sniff_zip(file)
    file.seek(0)
    return found
