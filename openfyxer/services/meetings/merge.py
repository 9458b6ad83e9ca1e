"""The findings of every part put together: the same decision heard in two parts (the talk came back
to it) is one item citing both places; citations become stretches of the recording."""

from __future__ import annotations

import re

from openfyxer.models.meeting_minutes import Cite
from openfyxer.services.meetings.extract import Finding, fold

SAME = 0.6  # share of shared words (Jaccard) from which two findings say the same thing
GAP_S = 1.0  # cited lines this close in time are one stretch


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", fold(text)) if len(w) >= 3}


def similar(a: str, b: str) -> bool:
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return fold(a).strip() == fold(b).strip()
    return len(wa & wb) / len(wa | wb) >= SAME or (min(len(wa), len(wb)) >= 3 and (wa <= wb or wb <= wa))


def _compatible(a: str | None, b: str | None) -> bool:
    return not a or not b or fold(a) == fold(b)


def dedupe(findings: list[Finding]) -> list[Finding]:
    """Findings in the order first heard; a later one that says the same as an earlier one of its kind
    (and, for an action, names no other owner) adds its citations and what it knew to the earlier."""
    kept: list[Finding] = []
    for f in findings:
        twin = next((k for k in kept if k.kind == f.kind and similar(k.text, f.text)
                     and (f.kind != "action" or _compatible(k.owner, f.owner))), None)
        if twin is None:
            kept.append(Finding(f.kind, f.text, set(f.segments), f.owner, f.due_words))
            continue
        twin.segments |= f.segments
        twin.owner = twin.owner or f.owner
        twin.due_words = twin.due_words or f.due_words
    return kept


def cites(segments: set[int], times: list[tuple[float, float]]) -> list[Cite]:
    """The recording's stretches that the cited lines span, in order, touching ones joined."""
    out: list[Cite] = []
    for i in sorted(n for n in segments if 0 <= n < len(times)):
        start, end = times[i]
        if out and start - out[-1].end_s <= GAP_S:
            out[-1] = Cite(start_s=out[-1].start_s, end_s=max(end, out[-1].end_s))
        else:
            out.append(Cite(start_s=start, end_s=end))
    return out
