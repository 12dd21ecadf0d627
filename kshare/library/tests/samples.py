"""Tiny files of each type, built in memory (signatures only: enough for the sniffer)."""

import io
import zipfile

from kshare.library.tests.factories import MP4_HEADER, PDF_HEADER


def zip_bytes(entries: dict[str, bytes], *, stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if stored_first:
            archive.writestr(stored_first, entries[stored_first], compress_type=zipfile.ZIP_STORED)
        for name, data in entries.items():
            if name != stored_first:
                archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


PAD = bytes(range(256)) * 20

MP4 = MP4_HEADER + PAD
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + PAD
M4A = b"\x00\x00\x00\x1cftypM4A \x00\x00\x02\x00M4A isommp42" + PAD
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + PAD
MKV = b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska" + PAD
OGG_AUDIO = b"OggS\x00\x02" + b"\x00" * 22 + b"\x01\x13OpusHead" + PAD
OGG_VIDEO = b"OggS\x00\x02" + b"\x00" * 22 + b"\x01\x2a\x80theora" + PAD
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + PAD
MP3_FRAME = b"\xff\xfb\x90\x64" + PAD  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + PAD
PDF = PDF_HEADER + b"1 0 obj\n<<>>\nendobj\n%%EOF\n"
PPTX = zip_bytes(
    {"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>", "docProps/app.xml": b""}
)
ODP = zip_bytes(
    {"mimetype": b"application/vnd.oasis.opendocument.presentation", "content.xml": b"<x/>"},
    stored_first="mimetype",
)
KEY = zip_bytes({"Index/Document.iwa": b"\x00", "Metadata/Properties.plist": b""})
KEY_09 = zip_bytes({"index.apxl": b"<key/>"})
DOCX = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + PAD
PE = b"MZ\x90\x00\x03\x00\x00\x00" + PAD
SHEBANG = b"#!/bin/sh\nrm -rf /\n"
HTML = b"<!doctype html><script>alert(1)</script>"
