"""Amounts of money in a draft come from somewhere, or the draft asks.

The small model fills a price question with any figure it has seen: one from the prompt's worked
example, or another client's invoice that the grounding offered because it was about the same kind
of work. A sentence stating an amount is kept only if that amount is in what the draft may quote:
the email and its thread, the user's instructions and own replies to this sender, and the sources
grounding allows for amounts (for a question about this person's price, only documents and mail
that concern them: their own deal, or the user's price list, never someone else's). Otherwise the
sentence goes and the user is asked ([[Ask: ...]]), as with a decision the draft must not make.
"""

from __future__ import annotations

import re

from openfyxer.services.assistant import decisions
from openfyxer.services.assistant.classify_text import fold

_CURRENCY = r"(?:eur|euro|euros|usd|ron|lei|gbp|chf|€|\$|£|dollars?|pounds?)"
_NUMBER = r"\d(?:[\d,.\u00a0\u202f ]*\d)?(?:\s?k\b)?"
_MONEY = re.compile(rf"(?:{_CURRENCY}\s?{_NUMBER}|{_NUMBER}\s?{_CURRENCY}(?![a-z]))", re.I)
_DIGITS = re.compile(r"\d[\d,.\u00a0\u202f ]*\d|\d")
# What someone asks when they want a figure for themselves: a price, a quote, a rate, a cost.
_PRICE_ASK = re.compile(r"\b(?:price|pricing|prices|cost|costs|quote|quotation|estimate|rate|rates|fee|fees|"
                        r"how much|budget for|tarif\w*|pret\w*|cost\w*|ofert\w*|cotati\w*|cat (?:ne |va |o sa )?cost\w*)\b")


def _value(token: str) -> str:
    """One figure as plain digits: "EUR 12,400.00", "12.400 lei" and "12 400" are all 12400; "10k" 10000."""
    thousands = bool(re.search(r"\d\s?k\b", token, re.I))
    digits = re.sub(r"[^\d,.]", "", token)
    # A comma or dot followed by exactly two digits at the end is a decimal part (",50", ".00").
    whole, cents = (digits[:-3], digits[-2:]) if re.search(r"[.,]\d\d$", digits) else (digits, "")
    whole = re.sub(r"[.,]", "", whole)
    value = whole + ("000" if thousands else "")
    return value + (cents if cents.strip("0") else "")


def figures(text: str) -> set[str]:
    """The amounts of money a text states."""
    return {_value(m.group(0)) for m in _MONEY.finditer(text or "")}


def numbers(text: str) -> set[str]:
    """Every number a text holds, as plain digits (a source may state an amount without its currency)."""
    return {_value(m.group(0)) for m in _DIGITS.finditer(text or "")} | figures(text)


def asks_price(text: str) -> bool:
    return bool(_PRICE_ASK.search(fold(text or "")))


def unsourced(draft: str, allowed: str) -> list[str]:
    """The draft's sentences that state an amount found nowhere in `allowed`."""
    known = numbers(allowed)
    return [s for s in decisions.sentences(draft) if figures(s) - known]


def without_unsourced(draft: str, allowed: str, question: str) -> tuple[str, list[str]]:
    """(the draft without those sentences, asking the user instead; the sentences taken out)."""
    gone = unsourced(draft, allowed)
    if not gone:
        return draft, []
    known = numbers(allowed)
    return decisions.without_sentences(draft, lambda s: bool(figures(s) - known), question), gone
