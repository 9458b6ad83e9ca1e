"""Action items read by code from what was said: "Maria will send the invoice tomorrow", "John, please
write the report by Friday", "Ana va trimite factura mâine".

A small model reading a long part misses many of the actions said in it (the packaged one found 2 of 6
in a ten-minute meeting); a person or a named helper committing to a task is said in a few set ways, in
English and Romanian alike. A line said that way is an action item in its own words: nothing is
paraphrased, so nothing is invented, and the item cites the line it is. These are added to what the
model found; the model's wording of the same item wins (merge.py folds the two together).

Conservative on purpose: a named owner or "I/we" followed by a commitment and a task verb; questions
other than requests ("can you ...?"), negations and hedges ("maybe", "might", "if") are not actions."""

from __future__ import annotations

import re
import unicodedata

from openfyxer.services.meetings.extract import Finding, fold

# Verbs that name a task someone can finish, in the forms said after "will" / "va" / "să". Broad verbs
# ("get", "make", "do", "see", "be") are left out: "we will see" and "it will be fine" are not tasks.
_TASKS_EN = (
    "send", "write", "prepare", "call", "book", "schedule", "install", "review", "check", "update", "finish",
    "draft", "share", "email", "contact", "organise", "organize", "set", "follow", "fix", "look", "talk", "ask",
    "order", "buy", "arrange", "create", "test", "deploy", "plan", "confirm", "circulate", "present", "submit",
    "deliver", "sign", "pay", "invite", "reach", "find", "investigate", "compile", "collect", "gather", "clean",
    "move", "migrate", "upgrade", "document", "publish", "reply", "respond", "forward", "remind", "research",
    "draw", "design", "build", "implement", "complete", "finalise", "finalize", "coordinate", "handle", "run",
    "analyse", "analyze", "estimate", "negotiate", "print", "file", "register", "renew", "cancel", "post",
    "upload", "translate", "summarise", "summarize", "speak", "meet", "visit", "hire", "train", "phone", "ring",
    "put", "bring", "take", "give", "produce", "provide", "chase", "approve", "sort")
# Romanian verbs after "va" / "o să" / "să" (the subjunctive and the infinitive forms both appear).
_TASKS_RO = (
    "trimit", "scri", "pregat", "sun", "rezerv", "program", "instal", "verific", "actualiz", "termin", "redact",
    "contact", "organiz", "repar", "intreb", "comand", "cumpar", "aranj", "cre", "testa", "testez", "planific",
    "confirm", "prezint", "prezent", "depun", "livr", "semn", "plat", "invit", "gas", "analiz", "colect",
    "strang", "mut", "migr", "document", "public", "raspund", "aminti", "reaminti", "cercet", "proiect",
    "implement", "complet", "finaliz", "coordon", "ocup", "estim", "negoci", "tipar", "inregistr", "reinno",
    "anul", "incarc", "tradu", "rezum", "discut", "vorb", "intalni", "vizit", "angaj", "instrui", "aduc", "da",
    "lua", "ia", "face", "faca", "fac", "pune", "puna", "urmar", "revizui", "revizu", "aprob", "stabil")

# Words that start a sentence with a capital and are not a person's name.
_NOT_NAMES = {
    "i", "we", "you", "he", "she", "they", "it", "this", "that", "these", "those", "there", "then", "so", "and",
    "but", "or", "the", "a", "an", "ok", "okay", "yes", "no", "well", "now", "also", "maybe", "perhaps", "if",
    "everyone", "everybody", "somebody", "someone", "nobody", "anyone", "all", "team", "sales", "marketing",
    "finance", "legal", "management", "who", "what", "when", "where", "why", "how", "let", "please", "thanks",
    "thank", "good", "great", "right", "sure", "next", "today", "tomorrow", "monday", "tuesday", "wednesday",
    "thursday", "friday", "saturday", "sunday", "eu", "noi", "tu", "voi", "el", "ea", "ei", "ele", "si", "dar",
    "deci", "apoi", "da", "nu", "bine", "acum", "cine", "ce", "cand", "unde", "cum", "toti", "toata", "echipa",
    "maine", "azi", "astazi", "luni", "marti", "miercuri", "joi", "vineri", "sambata", "duminica", "te", "va",
}
_NAME = r"(?P<who>[A-ZĂÂÎȘŞȚŢ][\w'’-]+(?:\s+[A-ZĂÂÎȘŞȚŢ][\w'’-]+)?)"
_SELF = r"(?P<self>I|we|We|eu|Eu|noi|Noi)"
_LEAD = r"(?:^|[.!?;]\s+|\b(?:and|so|then|ok|okay|also|si|deci|apoi)\s*,?\s+)"
# English: "<Name> will / is going to / should / needs to / has to / must / can <verb>", "I'll <verb>",
# "<Name>, please / can you / could you <verb>", "<Name> to <verb>" (the minutes-taker's own shorthand).
_MODAL_EN = r"(?:will|'ll|’ll|is going to|are going to|am going to|should|needs? to|has to|have to|must|can|" \
            r"is to|agreed to|offered to|volunteered to|promised to)"
_EN = [
    re.compile(_LEAD + _NAME + r"\s+" + _MODAL_EN + r"\s+(?:also\s+|then\s+|first\s+)?(?P<verb>[a-z]+)"),
    re.compile(_LEAD + _SELF + r"(?:\s+|\s*(?='|’))" + _MODAL_EN + r"\s+(?:also\s+|then\s+)?(?P<verb>[a-z]+)"),
    re.compile(_LEAD + _NAME + r"\s*,\s*(?:please|can you|could you|would you|will you)\s+(?:please\s+)?"
               r"(?P<verb>[a-z]+)"),
    re.compile(r"(?:^|[.!?;]\s+)(?:action(?: item)?\s*[:\-]\s*)" + _NAME + r"\s+(?:to|will)\s+(?P<verb>[a-z]+)"),
]
# Romanian, read on text with its diacritics folded: "<Nume> va / o să / trebuie să / se ocupă să <verb>",
# "eu voi / o să <verb>", "<Nume>, te rog (să) <verb>", "<Nume>, poți să <verb>".
_NAME_FOLDED = r"(?P<who>[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)"
_MODAL_RO = r"(?:va|o sa|trebuie sa|urmeaza sa|se ocupa sa|se ocupa de|s-a oferit sa|a promis ca|promite sa)"
_RO = [
    re.compile(_LEAD + _NAME_FOLDED + r"\s+" + _MODAL_RO + r"\s+(?:si\s+)?(?P<verb>[a-z]+)"),
    re.compile(_LEAD + r"(?P<self>Eu|eu|Noi|noi)\s+(?:voi|vom|o sa|trebuie sa)\s+(?P<verb>[a-z]+)"),
    re.compile(_LEAD + _NAME_FOLDED + r"\s*,\s*(?:te rog(?: sa)?|poti sa|ai putea sa|vrei sa)\s+(?P<verb>[a-z]+)"),
]
_HEDGE = re.compile(r"\b(maybe|perhaps|might|if|unless|not|never|won't|wont|don't|can't|cannot|probably|"
                    r"poate|daca|nu|niciodata|probabil)\b", re.I)
_REQUEST = re.compile(r"\b(can you|could you|would you|will you|poti sa|ai putea sa|vrei sa)\b", re.I)
_SENTENCE = re.compile(r"[^.!?]+[.!?]?")
_DUE = re.compile(
    r"\b(today|tonight|tomorrow|(?:by|on|before|until|next|this)\s+(?:the\s+)?(?:end of (?:the )?(?:day|week|month)|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|week|month|\d{1,2}(?:st|nd|rd|th)?(?:\s+\w+)?)|"
    r"azi|astazi|maine|poimaine|(?:pana|pana la|pana pe|pana vineri|luni|marti|miercuri|joi|vineri|saptamana "
    r"viitoare|luna viitoare)(?:\s+(?:luni|marti|miercuri|joi|vineri|sambata|duminica|viitoare))?)\b", re.I)
MAX_TEXT = 300


def _is_task(verb: str, romanian: bool) -> bool:
    verb = verb.lower()
    if romanian:
        return any(verb.startswith(stem) for stem in _TASKS_RO) and len(verb) >= 2
    return verb in _TASKS_EN or verb.rstrip("s") in _TASKS_EN


def _clean(sentence: str) -> str:
    text = " ".join(sentence.split()).strip(" ,;-")
    text = re.sub(r"^(?:(?:and|so|then|ok|okay|also|right|well|și|si|deci|apoi)\b[\s,]*)+", "", text, flags=re.I)
    return (text[:1].upper() + text[1:])[:MAX_TEXT]


def _owner(who: str | None) -> str | None:
    if not who:
        return None
    words = [w for w in who.split() if fold(w) not in _NOT_NAMES]  # "Then Maria", "Maria Please"
    return " ".join(words) or None


def _one(sentence: str, romanian: bool) -> tuple[bool, str | None, str | None] | None:
    """(is an action, its owner, its due words) for one sentence, or None."""
    folded = sentence
    if romanian:  # names are found by their capitals: fold() would lower them, so diacritics go here
        folded = "".join(c for c in unicodedata.normalize("NFKD", sentence) if not unicodedata.combining(c))
    if sentence.rstrip().endswith("?") and not _REQUEST.search(fold(sentence)):
        return None
    for pattern in (_RO if romanian else _EN):
        m = pattern.search(folded)
        if not m or not _is_task(m.group("verb"), romanian):
            continue
        before_verb = folded[m.start():m.end("verb")]
        if _HEDGE.search(before_verb):
            continue
        groups = m.groupdict()
        owner = _owner(groups.get("who"))
        if groups.get("who") and owner is None:
            continue  # "The budget will ...", "Everyone should ...": no person named
        due = _DUE.search(fold(sentence))
        return True, owner, due.group(0) if due else None
    return None


def find(texts: list[str], *, first: int, language: str) -> list[Finding]:
    """The action items said in transcript lines texts (the line first + k is texts[k]), one per line at
    most, each citing its line."""
    romanian = (language or "en").lower().startswith("ro")
    found: list[Finding] = []
    for k, line in enumerate(texts):
        for sentence in _SENTENCE.findall(line or ""):
            if len(sentence.split()) < 3:
                continue
            hit = _one(sentence, romanian)
            if hit is None:
                continue
            _, owner, due = hit
            found.append(Finding("action", _clean(sentence), {first + k}, owner, due))
            break
    return found
