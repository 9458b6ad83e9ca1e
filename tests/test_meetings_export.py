"""A transcript as timed text, SubRip and WebVTT (services/meetings/export.py): pure formatting."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from openfyxer.core.errors import ValidationError
from openfyxer.services.meetings import export


@dataclass
class Seg:
    start_s: float
    end_s: float
    text: str
    speaker: str | None = None


TWO = [Seg(0.0, 2.5, " Good morning everyone."), Seg(65.25, 70.0, "The review moves to Thursday.", "Ana")]


@pytest.mark.parametrize(("seconds", "hours", "shown"), [
    (0, False, "00:00"), (5.9, False, "00:05"), (65.25, False, "01:05"), (3599.9, False, "59:59"),
    (3600, False, "1:00:00"), (7384, False, "2:03:04"), (65, True, "0:01:05"), (-3, False, "00:00"),
])
def test_clock_reads_minutes_and_hours(seconds, hours, shown):  # noqa: ANN001
    """GIVEN a time in seconds WHEN shown on a transcript line THEN mm:ss under an hour, h:mm:ss from it."""
    assert export.clock(seconds, hours=hours) == shown


def test_text_has_one_timed_line_per_segment_with_its_speaker():
    """GIVEN two segments, the second with a speaker WHEN written as text THEN one "[mm:ss] text" line each,
    the speaker before the words, the text trimmed."""
    assert export.to_text(TWO) == "[00:00] Good morning everyone.\n[01:05] Ana: The review moves to Thursday.\n"


def test_text_of_a_long_meeting_shows_hours_on_every_line():
    """GIVEN a meeting that runs past an hour WHEN written as text THEN every line has h:mm:ss, so they align."""
    text = export.to_text([Seg(1, 2, "start"), Seg(3700, 3702, "end")])
    assert text == "[0:00:01] start\n[1:01:40] end\n"


def test_srt_numbers_cues_with_comma_milliseconds():
    """GIVEN two segments WHEN written as SRT THEN numbered cues from 1 with HH:MM:SS,mmm times and a blank
    line between cues."""
    assert export.to_srt(TWO) == (
        "1\n00:00:00,000 --> 00:00:02,500\nGood morning everyone.\n\n"
        "2\n00:01:05,250 --> 00:01:10,000\nAna: The review moves to Thursday.\n"
    )


def test_vtt_has_its_header_dot_milliseconds_and_voice_tags():
    """GIVEN two segments WHEN written as WebVTT THEN the WEBVTT header, HH:MM:SS.mmm times, and the speaker
    as a <v> voice tag."""
    assert export.to_vtt(TWO) == (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:02.500\nGood morning everyone.\n\n"
        "00:01:05.250 --> 00:01:10.000\n<v Ana>The review moves to Thursday.\n"
    )


def test_cues_cannot_be_broken_by_their_text():
    """GIVEN text with a blank line, markup and an arrow, and an end before its start WHEN written THEN each cue
    stays one line, VTT escapes &, < and > (so "-->" cannot read as timing), and the end is not before the
    start; empty segments are left out."""
    odd = [Seg(10, 9, "a\n\nb <i>&</i> --> c"), Seg(11, 12, "   "), Seg(3661.0005, 3662, "x")]
    srt = export.to_srt(odd)
    assert srt == ("1\n00:00:10,000 --> 00:00:10,000\na b <i>&</i> --> c\n\n"
                   "2\n01:01:01,000 --> 01:01:02,000\nx\n")
    vtt = export.to_vtt(odd)
    assert "a b &lt;i&gt;&amp;&lt;/i&gt; --&gt; c" in vtt and vtt.count("-->") == 2


def test_nothing_heard_gives_an_empty_transcript():
    """GIVEN no segments WHEN written THEN text and SRT are empty and WebVTT is its header alone."""
    assert export.to_text([]) == "" and export.to_srt([]) == ""
    assert export.to_vtt([]) == "WEBVTT\n"


def test_render_picks_the_format_and_refuses_others():
    """GIVEN a format name WHEN rendered THEN the matching writer's output; an unknown name is a ValidationError."""
    assert export.render("srt", TWO) == export.to_srt(TWO)
    assert export.render("vtt", TWO).startswith("WEBVTT")
    with pytest.raises(ValidationError):
        export.render("docx", TWO)


@pytest.mark.parametrize(("title", "name"), [
    ("Weekly stand-up", "weekly-stand-up.srt"), ("Ședința de buget: T3", "sedinta-de-buget-t3.srt"),
    ('"; rm -rf /', "rm-rf.srt"), ("", "transcript.srt"), ("会议", "transcript.srt"),
])
def test_a_download_is_named_after_the_title(title, name):  # noqa: ANN001
    """GIVEN a meeting title WHEN its transcript is downloaded THEN the file name is the title in plain ASCII,
    with nothing a header or a file system could misread."""
    assert export.filename(title, "srt") == name
