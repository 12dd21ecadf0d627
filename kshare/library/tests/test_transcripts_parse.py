"""The WebVTT, SRT and pasted-text parsers: exact cues, and errors that name the line."""

from __future__ import annotations

import pytest

from kshare.library import transcripts
from kshare.library.transcripts import ParsedCue, TranscriptError


def vtt(text: str) -> list[ParsedCue]:
    return transcripts.parse_vtt(text).cues


def srt(text: str) -> list[ParsedCue]:
    return transcripts.parse_srt(text).cues


def error(parse, text: str) -> TranscriptError:
    with pytest.raises(TranscriptError) as info:
        parse(text)
    return info.value


# -- WebVTT ---------------------------------------------------------------------------------------

FULL_VTT = """\ufeffWEBVTT - a talk about quokkas
Kind: captions
Language: en

STYLE
::cue { color: yellow }

REGION
id:left width:40%

NOTE This is a comment
that runs over two lines

intro
00:00:01.000 --> 00:00:04.500 align:start position:10%
<v Ana Lima>Welcome to the talk.</v>

00:05.250 --> 00:08.000
Two lines
of text &amp; an ampersand

NOTE another comment

01:00:00.000 --> 01:00:02.000 line:0
<v.loud Bo>Hello</v> <i>there</i> <00:00:00.500>friends
"""


def test_vtt_full_file_gives_exact_cues():
    assert vtt(FULL_VTT) == [
        ParsedCue(1000, 4500, "<v Ana Lima>Welcome to the talk.</v>"),
        ParsedCue(5250, 8000, "Two lines\nof text &amp; an ampersand"),
        ParsedCue(3_600_000, 3_602_000, "<v.loud Bo>Hello</v> <i>there</i> <00:00:00.500>friends"),
    ]
    assert transcripts.parse_vtt(FULL_VTT).source == "vtt"


def test_vtt_crlf_and_cr_line_endings():
    text = "WEBVTT\r\n\r\n00:00.000 --> 00:01.000\r\nOne\r\n\r\n00:01.000 --> 00:02.000\rTwo\r"
    assert vtt(text) == [ParsedCue(0, 1000, "One"), ParsedCue(1000, 2000, "Two")]


def test_vtt_out_of_order_cues_are_sorted_and_overlaps_kept():
    text = (
        "WEBVTT\n\n"
        "00:00:05.000 --> 00:00:09.000\nlater\n\n"
        "00:00:01.000 --> 00:00:06.000\nfirst, overlapping the later one\n\n"
        "00:00:05.000 --> 00:00:07.000\nsame start, shorter\n"
    )
    assert vtt(text) == [
        ParsedCue(1000, 6000, "first, overlapping the later one"),
        ParsedCue(5000, 7000, "same start, shorter"),
        ParsedCue(5000, 9000, "later"),
    ]


def test_vtt_empty_cues_are_skipped_and_header_can_be_bare():
    assert vtt("WEBVTT\n\n00:01.000 --> 00:02.000\n\n00:02.000 --> 00:03.000\nWords") == [
        ParsedCue(2000, 3000, "Words")
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nfine\n\n2\n00:00:01,000 -> 00:00:02\nbad",
            8,
            "the cue timing '00:00:01,000 -> 00:00:02' is not valid (expected HH:MM:SS.mmm --> "
            "HH:MM:SS.mmm; WebVTT writes a full stop before the milliseconds, not a comma).",
        ),
        (
            "Hello\n\n00:00:01.000 --> 00:00:02.000\nx",
            1,
            "a WebVTT file must start with 'WEBVTT', not 'Hello'.",
        ),
        (
            "WEBVTT\n\n00:00:03.000 --> 00:00:02.000\nbackwards",
            3,
            "the cue ends (00:00:02.000) before it starts (00:00:03.000).",
        ),
        (
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\none\n00:00:02.000 --> 00:00:03.000\ntwo",
            5,
            "a cue's text cannot contain '-->'; is a blank line missing before this cue?",
        ),
        (
            "WEBVTT\n00:00:01.000 --> 00:00:02.000\nno blank line after the header",
            2,
            "a blank line is needed between the 'WEBVTT' header and the first cue.",
        ),
        (
            "WEBVTT\n\nid\njust some text\n",
            4,
            "expected a cue timing like '00:00:01.000 --> 00:00:04.000', found 'just some text'.",
        ),
        (
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nx\n\nSTYLE\n::cue {}\n",
            6,
            "a STYLE block must come before the first cue.",
        ),
        (
            "WEBVTT\n\n00:61.000 --> 01:02.000\nx",
            3,
            "the cue timing '00:61.000 --> 01:02.000' is not valid (expected HH:MM:SS.mmm --> "
            "HH:MM:SS.mmm).",
        ),
        (
            "WEBVTT\n\n1000:00:00.000 --> 1000:00:01.000\nx",
            3,
            "the time 1000:00:00.000 is beyond 999 hours.",
        ),
        (
            "WEBVTT\n\n00:01.000 --> 00:02.000\nnul\x00byte",
            4,
            "contains a NUL character (\\0), which is not text.",
        ),
    ],
)
def test_vtt_errors_name_the_line(text, line, message):
    problem = error(transcripts.parse_vtt, text)
    assert (problem.line, problem.message) == (line, message)
    assert str(problem) == f"Line {line}: {message}"


def test_vtt_without_cues_is_an_error_without_a_line():
    problem = error(transcripts.parse_vtt, "WEBVTT\n\nNOTE nothing here\n")
    assert problem.line is None
    assert str(problem) == "The file has no cues: there is no text to show."


def test_too_long_cue_and_too_many_cues(monkeypatch):
    problem = error(transcripts.parse_vtt, "WEBVTT\n\n00:01.000 --> 00:02.000\n" + "a" * 5001)
    assert str(problem) == (
        "Line 4: the cue's text is 5,001 characters long; a cue can have at most 5,000."
    )
    monkeypatch.setattr(transcripts, "MAX_CUES", 2)
    many = "WEBVTT\n\n" + "".join(f"00:0{i}.000 --> 00:0{i}.500\nc{i}\n\n" for i in range(3))
    assert str(error(transcripts.parse_vtt, many)) == "The file has 3 cues; at most 2 are allowed."


# -- SRT ------------------------------------------------------------------------------------------

SRT_FILE = (
    "\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> &amp; welcome\r\n\r\n"
    "2\r\n00:00:03,000 --> 00:00:05,000 X1:10 X2:20 Y1:30 Y2:40\r\nline one\r\nline two\r\n\r\n"
    "\r\n\r\n3\r\n01:02:03.004 --> 01:02:04.000\r\nfull stop accepted\r\n"
)


def test_srt_gives_exact_cues():
    parsed = transcripts.parse_srt(SRT_FILE)
    assert parsed.source == "srt"
    assert parsed.cues == [
        ParsedCue(1000, 2500, "<i>Hello</i> &amp; welcome"),
        ParsedCue(3000, 5000, "line one\nline two"),
        ParsedCue(3_723_004, 3_724_000, "full stop accepted"),
    ]


def test_srt_without_cue_numbers_and_out_of_order():
    assert srt("00:00:05,000 --> 00:00:06,000\nB\n\n00:00:01,000 --> 00:00:02,000\nA\n") == [
        ParsedCue(1000, 2000, "A"),
        ParsedCue(5000, 6000, "B"),
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:01 --> 00:00:02,000\nbad\n",
            6,
            "the cue timing '00:00:01 --> 00:00:02,000' is not valid (expected HH:MM:SS,mmm --> "
            "HH:MM:SS,mmm).",
        ),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nok\n\nstray words\n",
            5,
            "expected a cue number, found 'stray words' (is a blank line missing, or a line of "
            "text separated from its cue?).",
        ),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nok\n2\n00:00:03,000 --> 00:00:04,000\nnext\n",
            5,
            "a timing line inside a cue's text; is a blank line missing before it?",
        ),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nok\n\n7\n",
            5,
            "cue 7 has no timing line (expected one like '00:00:01,000 --> 00:00:04,000' on the "
            "next line).",
        ),
        (
            "1\n00:00:09,000 --> 00:00:02,000\nbackwards\n",
            2,
            "the cue ends (00:00:02.000) before it starts (00:00:09.000).",
        ),
    ],
)
def test_srt_errors_name_the_line(text, line, message):
    problem = error(transcripts.parse_srt, text)
    assert (problem.line, problem.message) == (line, message)


# -- files: decoding and telling the formats apart ------------------------------------------------


def test_parse_file_tells_formats_apart_by_content():
    vtt_bytes = b"\xef\xbb\xbfWEBVTT\n\n00:01.000 --> 00:02.000\nhi\n"
    assert transcripts.parse_file(vtt_bytes, "captions.srt").source == "vtt"
    srt_bytes = b"1\n00:00:01,000 --> 00:00:02,000\nhi\n"
    assert transcripts.parse_file(srt_bytes, "whatever.txt").source == "srt"


def test_parse_file_named_vtt_without_header_is_a_vtt_error():
    with pytest.raises(TranscriptError) as info:
        transcripts.parse_file(b"1\n00:00:01,000 --> 00:00:02,000\nhi\n", "captions.vtt")
    assert str(info.value) == "Line 1: a WebVTT file must start with 'WEBVTT', not '1'."


def test_parse_file_neither_format():
    with pytest.raises(TranscriptError) as info:
        transcripts.parse_file(b"\n\nJust a letter.\n", "letter.txt")
    assert str(info.value) == (
        "Line 3: this is neither a WebVTT file (which starts with 'WEBVTT') nor an SRT file "
        "(which starts with a cue number)."
    )
    with pytest.raises(TranscriptError) as info:
        transcripts.parse_file(b"  \n", "empty.txt")
    assert str(info.value) == "The file is empty."


def test_parse_file_not_utf8_names_the_line():
    data = b"WEBVTT\n\n00:01.000 --> 00:02.000\ncaf\xe9\n"
    with pytest.raises(TranscriptError) as info:
        transcripts.parse_file(data, "x.vtt")
    assert str(info.value) == (
        "Line 4: the file is not UTF-8 text (save it with UTF-8 encoding and upload it again)."
    )


def test_parse_file_size_limit(monkeypatch):
    monkeypatch.setattr(transcripts, "MAX_BYTES", 1024 * 1024)
    with pytest.raises(TranscriptError) as info:
        transcripts.parse_file(b"WEBVTT\n\n" + b"x" * (1024 * 1024), "big.vtt")
    assert str(info.value) == "The file is 1.0 MB; transcripts can be at most 1 MB."


# -- pasted text ----------------------------------------------------------------------------------


def test_pasted_text_one_cue_per_paragraph_without_times():
    parsed = transcripts.parse_text("\ufeffFirst paragraph\ncontinues.\r\n\r\n\r\nSecond.\n  \n")
    assert parsed.source == "text"
    assert parsed.cues == [
        ParsedCue(None, None, "First paragraph\ncontinues."),
        ParsedCue(None, None, "Second."),
    ]


def test_pasted_webvtt_keeps_its_times():
    parsed = transcripts.parse_text("WEBVTT\n\n00:01.000 --> 00:02.000\nhi")
    assert (parsed.source, parsed.cues) == ("vtt", [ParsedCue(1000, 2000, "hi")])


def test_pasted_nothing_is_an_error():
    with pytest.raises(TranscriptError) as info:
        transcripts.parse_text(" \n\n ")
    assert str(info.value) == "There is no text: paste the transcript, or upload a file."


# -- cue text for search and display --------------------------------------------------------------


def test_cue_plain_drops_tags_and_speakers_and_decodes_entities():
    assert transcripts.cue_plain("<v.loud Bo>Hello</v> <i>there</i> <00:00:00.500>friends") == (
        "Hello there friends"
    )
    assert transcripts.cue_plain('a &lt; b &amp; c\n<b></b>\n<font color="red">d</font>') == (
        "a < b & c\nd"
    )
    # Not a tag: a lone angle bracket followed by a space is kept.
    assert transcripts.cue_plain("1 < 2 > 0") == "1 < 2 > 0"


def test_cue_segments_split_by_speaker_as_plain_strings():
    assert transcripts.cue_segments("<v Ana Lima>Hi <b>all</b></v>\n<v Bo>Hey &lt;3") == [
        ("Ana Lima", "Hi all"),
        ("Bo", "Hey <3"),
    ]
    assert transcripts.cue_segments("no speaker <script>x</script>") == [("", "no speaker x")]


def test_transcript_plain_text_joins_cues():
    cues = vtt(FULL_VTT)
    assert transcripts.transcript_plain_text(cues) == (
        "Welcome to the talk.\nTwo lines\nof text & an ampersand\nHello there friends"
    )


def test_timestamp_formats():
    assert transcripts.format_timestamp(3_723_004) == "01:02:03.004"
    assert transcripts.format_timestamp(5, separator=",") == "00:00:00,005"
    assert transcripts.format_clock(62_999) == "1:02"
    assert transcripts.format_clock(3_723_004) == "1:02:03"


def test_pasted_srt_keeps_its_times():
    parsed = transcripts.parse_text(
        "\n1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n00:00:03,000 --> 00:00:04,000\nyo\n"
    )
    assert (parsed.source, parsed.cues) == (
        "srt",
        [ParsedCue(1000, 2000, "hi"), ParsedCue(3000, 4000, "yo")],
    )
    # A paragraph that merely starts with a number is text.
    assert transcripts.parse_text("42\nis the answer").cues == [
        ParsedCue(None, None, "42\nis the answer")
    ]


def test_srt_positioning_codes_are_not_words():
    assert transcripts.cue_plain("{\\an8}Top of the screen") == "Top of the screen"
    assert transcripts.cue_segments("{\\an8}<i>Hi</i>") == [("", "Hi")]
    # Braces without a backslash are words.
    assert transcripts.cue_plain("a {set} of things") == "a {set} of things"


def test_parse_file_reads_utf16_with_a_byte_order_mark():
    text = "1\r\n00:00:01,000 --> 00:00:02,000\r\nGrüße\r\n"
    for encoding in ("utf-16-le", "utf-16-be"):
        bom = b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff"
        parsed = transcripts.parse_file(bom + text.encode(encoding), "a.srt")
        assert parsed.cues == [ParsedCue(1000, 2000, "Grüße")]
    with pytest.raises(TranscriptError) as info:
        transcripts.parse_file(b"\xff\xfe\x00\xd8", "a.srt")  # a lone surrogate
    assert str(info.value) == (
        "The file says it is UTF-16 text but is not (save it with UTF-8 encoding and upload it "
        "again)."
    )
