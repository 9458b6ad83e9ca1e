"""Checks on what a model wrote before the user sees it as a draft.

The drafting model has no tools and cannot send; these checks catch a draft that a hostile email
steered: addresses or links that appear nowhere in the thread, claims of attachments, the system
prompt quoted back, or secrets. A flagged draft is shown with its flags; it is never sent unless
the user approves it anyway.
"""

from __future__ import annotations

import re

from openfyxer.services.assistant.prompts import ASK_OPEN, SYSTEM_PROMPT_MARKERS

_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+|\b(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>\"')\]]*", re.I)
_ATTACH = re.compile(r"\b(attached|attachment|enclosed|atașat|atasat|anexat|în anexă|in anexa)\b", re.I)
_SECRET = re.compile(r"(sk-[A-Za-z0-9_-]{10,}|-----BEGIN [A-Z ]*PRIVATE KEY|\bpassword\s*[:=]\s*\S+|"
                     r"\bparol[aă]\s*[:=]\s*\S+|enc:v1:)", re.I)
# The question a draft leaves for the user ("[[Ask: did we sign the contract?]]"), spacing and case forgiven.
_ASK = re.compile(r"\[\[\s*" + re.escape(ASK_OPEN[2:-1]) + r"\s*:\s*(.*?)\s*\]\]", re.I | re.S)


def _norm_url(u: str) -> str:
    return u.lower().rstrip(".,;:!?").removeprefix("https://").removeprefix("http://").removeprefix("www.")


def _shingles(text: str, n: int = 7) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def check(draft: str, *, thread_text: str, thread_addresses: set[str], thread_has_attachments: bool,
          trusted_text: str = "", system_prompt: str = "") -> list[str]:
    """Flags for the draft; an empty list means nothing suspicious was found.

    Addresses and links count as known only when they are in the thread's headers or in text the user
    wrote (`trusted_text`): one that appears only in the body of someone else's email is exactly what
    an injected instruction asks the model to repeat.
    """
    flags = []
    known = {a.lower() for a in thread_addresses} | {a.lower() for a in _ADDRESS.findall(trusted_text or "")}
    new_addresses = sorted({a.lower() for a in _ADDRESS.findall(draft)} - known)
    if new_addresses:
        flags.append("new_address: " + ", ".join(new_addresses[:5]))
    known_urls = {_norm_url(u) for u in _URL.findall(trusted_text or "")}
    new_urls = sorted({_norm_url(u) for u in _URL.findall(draft)} - known_urls)
    if new_urls:
        flags.append("new_link: " + ", ".join(new_urls[:5]))
    if _ATTACH.search(draft) and not thread_has_attachments:
        flags.append("mentions_attachment")
    low = draft.lower()
    if any(m in low for m in SYSTEM_PROMPT_MARKERS) or (system_prompt and _shingles(draft) & _shingles(system_prompt)):
        flags.append("quotes_system_prompt")
    if _SECRET.search(draft):
        flags.append("possible_secret")
    if questions := asks(draft):
        flags.append("asks_user: " + " | ".join(q[:200] for q in questions[:3]))
    return flags


def asks(draft: str) -> list[str]:
    """The questions the draft leaves for the user ([[Ask: ...]]); it must not go out with them."""
    return [" ".join(q.split()) or "?" for q in _ASK.findall(draft or "")]


ECHO_LIMIT = 0.5


def echo_share(draft: str, source: str, n: int = 4) -> float:
    """The share of the draft's word n-grams that are in `source`: near 1, the draft repeats the
    email it should answer (a small model's usual failure) instead of replying to it."""
    mine = _shingles(draft, n)
    return len(mine & _shingles(source, n)) / len(mine) if mine else 0.0
