"""What the model wrote about one part of a transcript, read by code.

The model answers in lines ("DECISION: ... [12, 14]"); each line is read on its own, so one garbled
line costs that line, not the part. A finding must cite transcript lines of the part it was shown:
numbers outside it are dropped, and a finding left citing none is dropped too. A small model that
loops writes the same line again and again: repeats count once, and each kind is capped."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

KINDS = {"summary": "summary", "rezumat": "summary", "point": "summary", "decision": "decision",
         "decizie": "decision", "decizia": "decision", "action": "action", "actiune": "action", "todo": "action",
         "question": "question", "intrebare": "question", "open question": "question"}
CAPS = {"summary": 8, "decision": 8, "action": 10, "question": 8}
_KIND_WORDS = "|".join(sorted(KINDS, key=len, reverse=True))
_LINE = re.compile(r"^[\s*#>\-•\d.)]*(" + _KIND_WORDS + r")[a-z ]*\**\s*[:\-–]\**\s*(.+)$", re.I)
CITE = re.compile(r"[\[(]((?:lines?\s*)?\d{1,6}(?:\s*(?:[,;]|-|–|and|si)\s*\d{1,6})*)[\])]", re.I)
_CUT = re.compile(r"\s*[\[(][\d\s,;\-–]*$")  # a citation the length limit cut off mid-way
_FIELD = re.compile(r"^\s*(owner|responsabil|who|cine|due|termen|when|cand)\s*[:=]\s*(.*)$", re.I)
_NONE = {"", "?", "-", "none", "unknown", "n/a", "na", "nobody", "niciunul", "nimeni", "necunoscut", "tbd"}
MAX_TEXT = 400
MAX_RANGE = 40  # "[3-900]" is no citation
# A small model often cites nothing, or every line it was shown. Then code cites: the lines of the part
# that share at least this many content words with the finding, the best few; none such, no finding.
SHARED = 2
BROAD = 6
BEST = 3


@dataclass
class Finding:
    kind: str
    text: str
    segments: set[int] = field(default_factory=set)  # 0-based transcript line indexes
    owner: str | None = None
    due_words: str | None = None


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", (text or "").lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def numbers(group: str) -> list[int]:
    out: list[int] = []
    for piece in re.split(r"[,;]|\band\b|\bsi\b", re.sub(r"lines?", "", group, flags=re.I)):
        bounds = [int(n) for n in re.findall(r"\d+", piece)]
        if len(bounds) == 2 and 0 <= bounds[1] - bounds[0] <= MAX_RANGE:
            out.extend(range(bounds[0], bounds[1] + 1))
        elif len(bounds) == 1:
            out.append(bounds[0])
    return out


def _value(text: str | None) -> str | None:
    text = (text or "").strip().strip(".\"'*")
    return None if fold(text) in _NONE else text[:200]


def _content(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", fold(text)) if len(w) >= 4}


def ground(text: str, cited: set[int], texts: list[str], first: int) -> set[int]:
    """The lines a finding rests on: those it cites, unless it cites none or too many to mean anything,
    then the lines that share the most content words with it (at least SHARED)."""
    if cited and len(cited) < BROAD:
        return cited
    words = _content(text)
    pool = sorted(cited) if cited else range(first, first + len(texts))
    scored = sorted(((len(words & _content(texts[i - first])), i) for i in pool), key=lambda x: (-x[0], x[1]))
    best = {i for n, i in scored[:BEST] if n >= SHARED}
    return best or (cited if len(cited) < BROAD * 2 else set())


def copied(text: str, cited_text: str, examples: list[str]) -> bool:
    """A small model's other habit: the worked example's findings, word for word, on lines that do not
    say them. Those are dropped; the same words where the lines say them are kept."""
    mine = _content(text)
    return any(mine and len(mine & _content(e)) / len(mine | _content(e)) >= 0.6 for e in examples) \
        and len(mine & _content(cited_text)) < SHARED


def parse(reply: str, *, first: int, end: int, texts: list[str] | None = None,
          examples: list[str] = ()) -> tuple[list[Finding], int]:
    """Findings citing lines first..end-1 (0-based; the model saw them numbered from first + 1), and
    how many finding lines were dropped for citing nothing of the part. With the part's `texts`, a
    finding that cites nothing or everything is cited by code (`ground`), and one copied from the
    worked example (`examples`, its findings' texts) is dropped."""
    found: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    dropped = 0
    for raw in (reply or "").splitlines():
        m = _LINE.match(fold(raw))
        if not m:
            continue
        kind = KINDS[m.group(1).lower().strip()]
        body = raw[len(raw) - len(m.group(2)):]  # the same span, with its diacritics kept
        cited = {n - 1 for g in CITE.findall(body) for n in numbers(g)}
        body = _CUT.sub("", CITE.sub("", body)).strip()
        segments = {n for n in cited if first <= n < end}
        owner = due = None
        if kind == "action":
            what, *fields = body.split("|")
            for f in fields:
                if fm := _FIELD.match(f):
                    value = _value(fm.group(2))
                    if fold(fm.group(1)) in ("owner", "responsabil", "who", "cine"):
                        owner = value
                    else:
                        due = value
            body = what
        text = " ".join(body.strip(" .;:-*").split())[:MAX_TEXT]
        if not text or fold(text) in _NONE:
            continue
        if texts is not None:
            segments = ground(text, segments, texts, first)
        if not segments or (texts is not None and copied(text, " ".join(texts[i - first] for i in segments),
                                                          list(examples))):
            dropped += 1
            continue
        key = (kind, fold(text))
        if key in seen or sum(f.kind == kind for f in found) >= CAPS[kind]:
            continue
        seen.add(key)
        found.append(Finding(kind, text, segments, owner, due))
    return found, dropped
