"""Labelled sentences from other people's mail that ship with OpenFyxer, beside our own seed set.

`labelled/email_intent.tsv` is the Parakweet email-intent set (Enron business mail, each
sentence labelled "asks for something / proposes": Yes or No), redistributed under its
Apache-2.0 licence, which sits beside it (`labelled/email_intent.LICENSE`). Our seed sentences
alone taught the model what a request looks like in tidy examples; real business mail is terser
and messier ("Please get it scheduled.", "Are you still available Weds or Thurs a.m."), and with
these 3,656 sentences the shipped model scores 0.83 instead of 0.74 on held-out rows of the same
set (`python -m bench.triage`).
Its labels are what their annotators decided, including some we would call otherwise (a forwarded
promotion's "please forward this" is a Yes); the bulk rules in classify_bulk still keep list mail
out of To respond whatever the sentence model says.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("labelled") / "email_intent.tsv"


@cache
def public_examples() -> tuple[tuple[str, bool], ...]:
    """(sentence, asks for something) pairs, in the file's order (the bench's held-out rows index it)."""
    rows = []
    for n, line in enumerate(DATA.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        label, sep, text = line.partition("\t")
        if not sep or label not in ("Yes", "No") or not text.strip():
            raise ValueError(f"{DATA}:{n}: expected 'Yes' or 'No', a tab and a sentence")
        rows.append((text, label == "Yes"))
    return tuple(rows)
