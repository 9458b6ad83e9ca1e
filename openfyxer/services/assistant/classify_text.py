"""Text helpers shared by the classifiers: tokens, URL domains, sentences, the new part of a reply."""

from __future__ import annotations

import re
import unicodedata

_URL = re.compile(r"(?:https?://|www\.)([\w.-]+)[^\s<>\"')\]]*", re.I)
_EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
_TOKEN = re.compile(r"[^\W\d_](?:[\w'’-]*\w)?|\d+(?:[.,]\d+)*|[$€£!?%]")
_MAX_CHARS = 20_000  # spam bodies can be huge; the first pages tell as much as the rest


def fold(text: str) -> str:
    """Lower case without diacritics: Romanian mail is written both ways ("și" and "si")."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """Folded word tokens; numbers become a shape ('n3' = three digits), URLs and addresses a tag."""
    text = _URL.sub(" urltoken ", text[:_MAX_CHARS])
    text = _EMAIL.sub(" emailtoken ", text)
    out = []
    for tok in _TOKEN.findall(fold(text)):
        if tok[0].isdigit():
            out.append(f"n{min(len(tok), 9)}")
        else:
            out.append(tok)
    return out


def url_domains(text: str) -> list[str]:
    """The last two labels of each linked host ("news.example.com" -> "example.com")."""
    out = []
    for host in _URL.findall(text[:_MAX_CHARS]):
        labels = host.lower().strip(".").split(".")
        out.append(".".join(labels[-2:]))
    return out


# Where the quoted thread starts: what the sender wrote is above it, and only that asks anything.
_QUOTE_START = re.compile(
    r"^(?:On .{0,200}wrote:|În .{0,200}a scris:|In .{0,200}a scris:|Pe .{0,200}a scris:|"
    r"-{2,} ?(?:Original Message|Forwarded message|Mesaj original|Mesaj redirecționat) ?-{2,}|"
    r"From: .+|De la: .+|-- ?)$",
    re.M | re.I,
)


def new_text(body: str) -> str:
    """The part of a reply its sender wrote: quoted lines, the quoted thread and the signature removed."""
    match = _QUOTE_START.search(body)
    if match:
        body = body[:match.start()]
    return "\n".join(line for line in body.splitlines() if not line.lstrip().startswith(">"))


# A sentence ends at . ! ? or … followed by space, or at a blank line / bullet; abbreviations such
# as "e.g." are rare in short mail and splitting there costs little.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”)\]]*\s+|\n\s*\n|\n\s*[-*•]\s+")


def sentences(text: str, *, limit: int = 40) -> list[str]:
    """Sentences of `text` (lines joined), at most `limit`, each cut to 400 characters."""
    parts = []
    for chunk in _SENTENCE_END.split(text):
        chunk = " ".join(chunk.split())
        if len(chunk) >= 2 and any(c.isalpha() for c in chunk):
            parts.append(chunk[:400])
            if len(parts) >= limit:
                break
    return parts
