"""Transcript parsing: WebVTT and SRT files, and pasted text, into cues.

Pure functions, no database. Every problem in a file is a ``TranscriptError`` that names the
line and says in a sentence what is wrong, so that the person uploading can fix the file.

A cue's ``text`` keeps the cue's own markup (``<v Speaker>``, ``<i>`` …) as written in the file;
``cue_plain`` gives the text without tags for search and ``cue_segments`` splits it into
(speaker, text) pairs for display, where everything is escaped by the template.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Protocol

from kshare.library.speech.chapters import chapters_for

MAX_BYTES = 5 * 1024 * 1024
MAX_CUES = 20_000
MAX_CUE_CHARS = 5_000
MAX_TEXT_CHARS = 1_000_000
MAX_HOURS = 999

VTT = "vtt"
SRT = "srt"
TEXT = "text"

VTT_EXPECTED = "HH:MM:SS.mmm --> HH:MM:SS.mmm"
SRT_EXPECTED = "HH:MM:SS,mmm --> HH:MM:SS,mmm"


def gettext_noop(text: str) -> str:
    """Marks a message for the translation catalogue (this module has no Django in it); the
    form translates ``TranscriptError.template`` and fills in its ``params``."""
    return text


class TranscriptError(ValueError):
    """A transcript that cannot be read: ``line`` (1-based, or None) and a sentence.

    The sentence is ``template % params`` (English); a form shows it translated.
    """

    def __init__(self, template: str, *, line: int | None = None, **params: object) -> None:
        self.line = line
        self.template = template
        self.params = params
        self.message = template % params if params else template
        super().__init__(f"Line {line}: {self.message}" if line is not None else self.message)


@dataclass(frozen=True)
class ParsedCue:
    start_ms: int | None
    end_ms: int | None
    text: str


@dataclass(frozen=True)
class ParsedTranscript:
    source: str  # vtt | srt | text
    cues: list[ParsedCue]


# -- timestamps -----------------------------------------------------------------------------------

# WebVTT: hours optional (at least two digits when present), '.' before the milliseconds.
_VTT_TIME = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_VTT_TIMING = re.compile(rf"^{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t]+(.*))?$")
# SRT: hours required, ',' before the milliseconds ('.' is accepted too: many tools write it).
_SRT_TIME = r"(\d{1,}):([0-5]\d):([0-5]\d)[,.](\d{3})"
_SRT_TIMING = re.compile(rf"^{_SRT_TIME}[ \t]*-->[ \t]*{_SRT_TIME}(?:[ \t]+.*)?$")
_SRT_INDEX = re.compile(r"^\d+$")
# Something meant as a timing line, however mistyped ("0:01,5 -> 0:02").
_TIMING_LIKE = re.compile(r"^\s*(?:\d+:)?\d+:\d+(?:[.,]\d*)?\s*-+>?")


def _looks_like_timing(line: str) -> bool:
    return "-->" in line or _TIMING_LIKE.match(line) is not None


def _ms(hours: str | None, minutes: str, seconds: str, millis: str) -> int:
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)


def format_timestamp(ms: int, *, separator: str = ".") -> str:
    """``HH:MM:SS.mmm`` (WebVTT; ``separator=","`` for SRT)."""
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def format_clock(ms: int) -> str:
    """A short clock for people: ``1:02`` or ``1:02:03``."""
    seconds = ms // 1000
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _quote(line: str, limit: int = 60) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _timing(line: str, number: int, pattern: re.Pattern[str], expected: str) -> tuple[int, int]:
    match = pattern.match(line.strip())
    if match is None:
        if pattern is _VTT_TIMING and re.search(r"\d,\d{3}", line):
            template = gettext_noop(
                "the cue timing '%(timing)s' is not valid (expected %(expected)s; WebVTT writes "
                "a full stop before the milliseconds, not a comma)."
            )
        else:
            template = gettext_noop(
                "the cue timing '%(timing)s' is not valid (expected %(expected)s)."
            )
        raise TranscriptError(template, line=number, timing=_quote(line.strip()), expected=expected)
    groups = match.groups()
    start = _ms(*groups[0:4])
    end = _ms(*groups[4:8])
    for value in (start, end):
        if value > MAX_HOURS * 3_600_000:
            raise TranscriptError(
                gettext_noop("the time %(time)s is beyond %(hours)s hours."),
                line=number,
                time=format_timestamp(value),
                hours=MAX_HOURS,
            )
    if end < start:
        raise TranscriptError(
            gettext_noop("the cue ends (%(end)s) before it starts (%(start)s)."),
            line=number,
            end=format_timestamp(end),
            start=format_timestamp(start),
        )
    return start, end


# -- text -----------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 text (a byte order mark is dropped), or UTF-16 with a byte order mark; otherwise an
    error naming the line."""
    if len(data) > MAX_BYTES:
        raise TranscriptError(
            gettext_noop("The file is %(size)s MB; transcripts can be at most %(limit)s MB."),
            size=f"{len(data) / 1024 / 1024:.1f}",
            limit=MAX_BYTES // 1024 // 1024,
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 with a byte order mark, as some Windows subtitle tools save SRT.
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise TranscriptError(
                gettext_noop(
                    "The file says it is UTF-16 text but is not (save it with UTF-8 encoding and "
                    "upload it again)."
                )
            ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TranscriptError(
            gettext_noop(
                "the file is not UTF-8 text (save it with UTF-8 encoding and upload it again)."
            ),
            line=line,
        ) from None
    return text


def _lines(text: str) -> list[str]:
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(text) > MAX_TEXT_CHARS * 5:
        raise TranscriptError(
            gettext_noop("The transcript is too long (%(count)s characters; at most %(limit)s)."),
            count=f"{len(text):,}",
            limit=f"{MAX_TEXT_CHARS * 5:,}",
        )
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:
            raise TranscriptError(
                gettext_noop("contains a NUL character (\\0), which is not text."), line=number
            )
    return lines


def _blocks(lines: list[str], first: int = 0) -> list[tuple[int, list[str]]]:
    """Groups of non-blank lines, each with the 1-based number of its first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for index in range(first, len(lines)):
        line = lines[index]
        if line.strip():
            if not current:
                start = index + 1
            current.append(line)
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _cue_text(lines: list[str], number: int) -> str:
    text = "\n".join(line.strip() for line in lines).strip()
    if len(text) > MAX_CUE_CHARS:
        raise TranscriptError(
            gettext_noop(
                "the cue's text is %(count)s characters long; a cue can have at most %(limit)s."
            ),
            count=f"{len(text):,}",
            limit=f"{MAX_CUE_CHARS:,}",
            line=number,
        )
    return text


def _finish(cues: list[ParsedCue], source: str) -> ParsedTranscript:
    if not cues:
        raise TranscriptError(gettext_noop("The file has no cues: there is no text to show."))
    if len(cues) > MAX_CUES:
        raise TranscriptError(
            gettext_noop("The file has %(count)s cues; at most %(limit)s are allowed."),
            count=f"{len(cues):,}",
            limit=f"{MAX_CUES:,}",
        )
    # Out-of-order cues are put in time order (a stable sort keeps equal starts as written);
    # overlapping cues are kept: both are shown while they overlap.
    ordered = sorted(cues, key=lambda cue: (cue.start_ms or 0, cue.end_ms or 0))
    return ParsedTranscript(source=source, cues=ordered)


# -- WebVTT ---------------------------------------------------------------------------------------


def _is_keyword_block(line: str, keyword: str) -> bool:
    return line == keyword or line.startswith((keyword + " ", keyword + "\t"))


def parse_vtt(text: str) -> ParsedTranscript:
    lines = _lines(text)
    first = lines[0] if lines else ""
    if not (first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t"))):
        raise TranscriptError(
            gettext_noop("a WebVTT file must start with 'WEBVTT', not '%(first)s'."),
            line=1,
            first=_quote(first.strip()),
        )
    # The header runs to the first blank line.
    index = 1
    while index < len(lines) and lines[index].strip():
        if "-->" in lines[index]:
            raise TranscriptError(
                gettext_noop(
                    "a blank line is needed between the 'WEBVTT' header and the first cue."
                ),
                line=index + 1,
            )
        index += 1
    cues: list[ParsedCue] = []
    for start, block in _blocks(lines, index):
        head = block[0]
        if _is_keyword_block(head, "NOTE"):
            continue
        if (_is_keyword_block(head, "STYLE") or _is_keyword_block(head, "REGION")) and (
            "-->" not in head
        ):
            if cues:
                raise TranscriptError(
                    gettext_noop("a %(block)s block must come before the first cue."),
                    line=start,
                    block=head.split()[0],
                )
            continue
        if _looks_like_timing(head):
            timing_at = 0
        elif len(block) > 1 and _looks_like_timing(block[1]):
            timing_at = 1  # the first line is the cue's identifier
        else:
            number = start + (1 if len(block) > 1 else 0)
            shown = block[1] if len(block) > 1 else head
            raise TranscriptError(
                gettext_noop(
                    "expected a cue timing like '00:00:01.000 --> 00:00:04.000', found '%(found)s'."
                ),
                found=_quote(shown.strip()),
                line=number,
            )
        timing_line = start + timing_at
        begin, end = _timing(block[timing_at], timing_line, _VTT_TIMING, VTT_EXPECTED)
        body = block[timing_at + 1 :]
        for offset, line in enumerate(body, start=timing_line + 1):
            if "-->" in line:
                raise TranscriptError(
                    gettext_noop(
                        "a cue's text cannot contain '-->'; is a blank line missing before this "
                        "cue?"
                    ),
                    line=offset,
                )
        cue_text = _cue_text(body, timing_line + 1)
        if cue_text:
            cues.append(ParsedCue(begin, end, cue_text))
    return _finish(cues, VTT)


# -- SRT ------------------------------------------------------------------------------------------


def parse_srt(text: str) -> ParsedTranscript:
    lines = _lines(text)
    cues: list[ParsedCue] = []
    for start, block in _blocks(lines):
        head = block[0].strip()
        if _SRT_INDEX.match(head) and len(block) > 1:
            timing_at = 1
        elif _looks_like_timing(head):
            timing_at = 0  # no cue number: accepted, many tools leave it out
        elif _SRT_INDEX.match(head):
            raise TranscriptError(
                gettext_noop(
                    "cue %(cue)s has no timing line (expected one like "
                    "'00:00:01,000 --> 00:00:04,000' on the next line)."
                ),
                cue=head,
                line=start,
            )
        else:
            raise TranscriptError(
                gettext_noop(
                    "expected a cue number, found '%(found)s' (is a blank line missing, or "
                    "a line of text separated from its cue?)."
                ),
                found=_quote(head),
                line=start,
            )
        timing_line = start + timing_at
        begin, end = _timing(block[timing_at], timing_line, _SRT_TIMING, SRT_EXPECTED)
        body = block[timing_at + 1 :]
        for offset, line in enumerate(body, start=timing_line + 1):
            if _SRT_TIMING.match(line.strip()):
                raise TranscriptError(
                    gettext_noop(
                        "a timing line inside a cue's text; is a blank line missing before it?"
                    ),
                    line=offset,
                )
        cue_text = _cue_text(body, timing_line + 1)
        if cue_text:
            cues.append(ParsedCue(begin, end, cue_text))
    return _finish(cues, SRT)


# -- pasted text ----------------------------------------------------------------------------------


def parse_text(text: str) -> ParsedTranscript:
    """Pasted text: one cue per paragraph (paragraphs are separated by blank lines), no times.

    Pasted WebVTT (it starts with 'WEBVTT') and pasted SRT (a cue number, then a timing line)
    are parsed as such, with their times.
    """
    stripped = text.lstrip("\ufeff")
    if stripped.startswith("WEBVTT"):
        return parse_vtt(stripped)
    head = [line.strip() for line in stripped.lstrip().splitlines()[:2]]
    if len(head) == 2 and _SRT_INDEX.match(head[0]) and _SRT_TIMING.match(head[1]):
        return parse_srt(stripped)
    if len(stripped) > MAX_TEXT_CHARS:
        raise TranscriptError(
            gettext_noop("The text is %(count)s characters long; at most %(limit)s."),
            count=f"{len(stripped):,}",
            limit=f"{MAX_TEXT_CHARS:,}",
        )
    lines = _lines(stripped)
    cues = [ParsedCue(None, None, _cue_text(block, start)) for start, block in _blocks(lines)]
    if not cues:
        raise TranscriptError(
            gettext_noop("There is no text: paste the transcript, or upload a file.")
        )
    if len(cues) > MAX_CUES:
        raise TranscriptError(
            gettext_noop("The text has %(count)s paragraphs; at most %(limit)s are allowed."),
            count=f"{len(cues):,}",
            limit=f"{MAX_CUES:,}",
        )
    return ParsedTranscript(source=TEXT, cues=cues)


# -- files ----------------------------------------------------------------------------------------


def parse_file(data: bytes, filename: str = "") -> ParsedTranscript:
    """A WebVTT or SRT file, told apart by its content (the name only breaks a tie)."""
    text = decode(data)
    lines = _lines(text)
    first = lines[0].strip() if lines else ""
    if first.startswith("WEBVTT"):
        return parse_vtt(text)
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".vtt":
        return parse_vtt(text)  # reports the missing 'WEBVTT' on line 1
    first_content = next((line.strip() for line in lines if line.strip()), "")
    if suffix == ".srt" or _SRT_INDEX.match(first_content) or _looks_like_timing(first_content):
        return parse_srt(text)
    if not first_content:
        raise TranscriptError(gettext_noop("The file is empty."))
    raise TranscriptError(
        gettext_noop(
            "this is neither a WebVTT file (which starts with 'WEBVTT') nor an SRT file (which "
            "starts with a cue number)."
        ),
        line=lines.index(next(line for line in lines if line.strip())) + 1,
    )


# -- cue text for search and display --------------------------------------------------------------

_TIMESTAMP_TAG = re.compile(r"<\d+(?::\d{2}){1,2}\.\d{3}>")
_VOICE_TAG = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>", re.IGNORECASE)
_ANY_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_SPACES = re.compile(r"[ \t]+")
# Positioning codes some SRT tools write, e.g. {\an8} (from the ASS format).
_ASS_CODE = re.compile(r"\{\\[^{}]*\}")


def _strip_tags(text: str) -> str:
    text = _TIMESTAMP_TAG.sub("", text)
    text = _ANY_TAG.sub("", text)
    text = _ASS_CODE.sub("", text)
    return html.unescape(_SPACES.sub(" ", text)).strip()


def cue_plain(text: str) -> str:
    """The cue's words without markup (speakers' names dropped): what search indexes."""
    return "\n".join(line for line in (_strip_tags(part) for part in text.split("\n")) if line)


def cue_segments(text: str) -> list[tuple[str, str]]:
    """(speaker, words) pairs for display; the speaker is "" where none is named.

    Plain strings, no markup: the template escapes both.
    """
    segments: list[tuple[str, str]] = []
    speaker = ""
    position = 0
    for match in _VOICE_TAG.finditer(text):
        words = cue_plain(text[position : match.start()])
        if words:
            segments.append((speaker, words))
        speaker = html.unescape((match.group(1) or "").strip())
        position = match.end()
    words = cue_plain(text[position:])
    if words:
        segments.append((speaker, words))
    return segments


class _HasText(Protocol):
    # Read-only (properties): frozen ParsedCues and Cue rows both have them.
    @property
    def text(self) -> str: ...


def transcript_plain_text(cues: Iterable[_HasText]) -> str:
    """All cue texts without markup, one cue per line: ``Transcript.text``, for search (parsed
    cues on upload, stored ``Cue`` rows in ``materials_create_bulk``)."""
    return "\n".join(plain for plain in (cue_plain(cue.text) for cue in cues) if plain)


class _HasTimedText(Protocol):
    @property
    def start_ms(self) -> int | None: ...
    @property
    def end_ms(self) -> int | None: ...
    @property
    def text(self) -> str: ...


def transcript_chapters(
    cues: Iterable[_HasTimedText], language: str = ""
) -> list[dict[str, int | str]]:
    """``Transcript.chapters`` for these cues (parsed or stored): [] unless every cue is timed.

    Chapters come from the words (``speech.chapters``), so markup and speakers' names are left
    out first.
    """
    timed: list[tuple[int, int, str]] = []
    for cue in cues:
        if cue.start_ms is None or cue.end_ms is None:
            return []
        timed.append((cue.start_ms, cue.end_ms, cue_plain(cue.text)))
    return [
        {"start_ms": chapter.start_ms, "end_ms": chapter.end_ms, "title": chapter.title}
        for chapter in chapters_for(timed, language=language)
    ]
