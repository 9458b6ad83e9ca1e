"""The short summary over the whole meeting, written from the notes of every part (the reduce step).

Each sentence cites the notes it comes from, and through them the transcript lines. Notes that do not
fit one request are condensed group by group, then the groups' sentences again, until one request
holds them: nothing is cut to fit. A group the model botches twice keeps its notes as they are."""

from __future__ import annotations

import logging
import re

from openfyxer.core.errors import OpenFyxerError
from openfyxer.services.assistant import llm, prompts
from openfyxer.services.meetings.extract import Finding, CITE, numbers, fold

log = logging.getLogger(__name__)
SHORT = 6  # this many notes or fewer are the summary as they stand
MAX_SENTENCES = 8


def _pack(notes: list[Finding], budget: int) -> list[list[Finding]]:
    groups: list[list[Finding]] = [[]]
    used = 0
    for n in notes:
        size = len(n.text) + 8
        if groups[-1] and used + size > budget:
            groups.append([])
            used = 0
        groups[-1].append(n)
        used += size
    return groups


def parse(reply: str, notes: list[Finding]) -> list[Finding]:
    """Sentences citing notes by number (1-based); a sentence citing none of them is dropped."""
    out: list[Finding] = []
    for line in (reply or "").splitlines():
        cited = {n - 1 for g in CITE.findall(line) for n in numbers(g) if 1 <= n <= len(notes)}
        text = " ".join(CITE.sub("", line).strip(" -*•").split())
        text = re.sub(r"^(summary|rezumat)\s*:\s*", "", text, flags=re.I)
        if not cited or not text or any(fold(text) == fold(o.text) for o in out):
            continue
        out.append(Finding("summary", text[:400], set().union(*(notes[i].segments for i in cited))))
        if len(out) >= MAX_SENTENCES:
            break
    return out


def _ask(choice: llm.Choice, group: list[Finding], *, title: str, language: str, limit: int, max_tokens: int,
         use_cache: bool) -> list[Finding] | None:
    messages = prompts.minutes_summary_messages(
        title=title, notes=[f"[{i + 1}] {n.text}" for i, n in enumerate(group)], language=language, limit=limit)
    for attempt in range(2):
        try:
            answer = llm.complete(choice, messages, max_tokens=max_tokens, temperature=0.2 + 0.3 * attempt,
                                  use_cache=use_cache and attempt == 0)
        except OpenFyxerError as e:
            log.warning("condensing a meeting's notes failed: %s", e.message)
            continue
        if found := parse(answer.text, group):
            return found
    return None


def summarize(choice: llm.Choice, notes: list[Finding], *, title: str, language: str, budget: int,
              max_tokens: int, use_cache: bool = True) -> tuple[list[Finding], bool]:
    """The summary's sentences, and False when some notes had to stand in for sentences the model
    could not write."""
    level, whole = notes, True
    while len(level) > SHORT:
        out: list[Finding] = []
        for group in _pack(level, budget):
            found = _ask(choice, group, title=title, language=language, limit=budget + 1000, max_tokens=max_tokens,
                         use_cache=use_cache)
            out.extend(found if found is not None else group)
            whole = whole and found is not None
        if len(out) >= len(level):  # nothing condensed this round: another would do no better
            return out, whole
        level = out
    return level, whole
