"""A transcript written out for people and players: timed plain text, SubRip (SRT) and WebVTT.

Pure functions over segments (anything with start_s, end_s, text and speaker), so the dashboard,
the REST API and the tests format a transcript the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Protocol

from openfyxer.core.errors import ValidationError

# format -> (media type, file extension)
FORMATS = {"txt": ("text/plain", "txt"), "srt": ("application/x-subrip", "srt"), "vtt": ("text/vtt", "vtt")}


class Timed(Protocol):
    start_s: float
    end_s: float
    text: str
    speaker: str | None


def clock(seconds: float, *, hours: bool = False) -> str:
    """m:ss-style time for reading: "mm:ss", or "h:mm:ss" from an hour on (or when `hours`, so that
    every line of a long meeting lines up)."""
    total = max(0, int(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h or hours else f"{m:02d}:{s:02d}"


def _stamp(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _one_line(text: str) -> str:
    # A blank line ends a cue in SRT and VTT: a segment's own line breaks must not.
    return re.sub(r"\s+", " ", text or "").strip()


def _cues(segments: Iterable[Timed]) -> list[tuple[float, float, str, str | None]]:
    """Segments with text, each ending no earlier than it starts (a player refuses a cue that does)."""
    out = []
    for seg in segments:
        text = _one_line(seg.text)
        if text:
            start = max(0.0, float(seg.start_s))
            out.append((start, max(start, float(seg.end_s)), text, _one_line(seg.speaker or "") or None))
    return out


def to_text(segments: Iterable[Timed]) -> str:
    """One line per segment: "[mm:ss] Speaker: text"."""
    cues = _cues(segments)
    hours = bool(cues) and cues[-1][1] >= 3600
    lines = [f"[{clock(a, hours=hours)}] {f'{who}: ' if who else ''}{text}" for a, _, text, who in cues]
    return "\n".join(lines) + ("\n" if lines else "")


def to_srt(segments: Iterable[Timed]) -> str:
    """SubRip: numbered cues, "HH:MM:SS,mmm --> HH:MM:SS,mmm", a blank line after each."""
    blocks = [f"{n}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{f'{who}: ' if who else ''}{text}\n"
              for n, (a, b, text, who) in enumerate(_cues(segments), start=1)]
    return "\n".join(blocks)


def _vtt_escape(text: str) -> str:
    # Cue text is markup: &, < and > are entities, and "-->" would read as a timing line.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(segments: Iterable[Timed]) -> str:
    """WebVTT: the header, then cues "HH:MM:SS.mmm --> HH:MM:SS.mmm"; a speaker as a voice tag."""
    blocks = ["WEBVTT\n"]
    for a, b, text, who in _cues(segments):
        voice = f"<v {_vtt_escape(who)}>" if who else ""
        blocks.append(f"{_stamp(a, '.')} --> {_stamp(b, '.')}\n{voice}{_vtt_escape(text)}\n")
    return "\n".join(blocks)


def render(fmt: str, segments: Iterable[Timed]) -> str:
    """The transcript in `fmt` (txt, srt or vtt)."""
    writer = {"txt": to_text, "srt": to_srt, "vtt": to_vtt}.get(fmt)
    if writer is None:
        raise ValidationError(f"unknown transcript format {fmt!r}: txt, srt or vtt", code="invalid_format")
    return writer(segments)


def filename(title: str, ext: str) -> str:
    """A download's name from the meeting's title: ASCII letters, digits and dashes (a header and every
    file system take it), "transcript" when nothing is left."""
    ascii_title = unicodedata.normalize("NFKD", title or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_title).strip("-").lower()[:80].strip("-")
    return f"{slug or 'transcript'}.{ext}"
