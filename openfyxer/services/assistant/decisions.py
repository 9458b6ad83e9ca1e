"""What an email asks the user to decide, found by rules, so that a draft never decides for them.

"Would Tuesday at 10:00 or Wednesday at 14:00 work?", "Can you approve the $4,800 spend?",
"Mergem cu ErgoWorks sau cu DeskPro?": the answer is the user's choice, not something a model
may pick. The draft panel offers the answers (`choices`) and the reply is written once the user
picks one (drafting.generate with the choice as the user's instruction); until then the
automatic draft leaves the question to the user.

Two shapes are recognised in the sender's new text (never in quoted mail):
- either/or: a question naming two to four alternatives ("A or B?", "A, B sau C?"), which
  become the choices as the sender wrote them;
- yes/no: a request for approval, agreement or confirmation, or a question about the user's own
  commitment ("Did you sign it?"), whose choices are YES and NO.
Rules and not the model: they are exact about what the sender wrote, cost nothing per email,
and a question they miss only means the draft panel offers no buttons.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from openfyxer.services.assistant.classify_text import fold, new_text

YES, NO = "yes", "no"
MAX_OPTION_WORDS = 8
MAX_CHOICES = 4

_SENTENCE = re.compile(r"[^.!?\n]*\?", re.M)
_OR_WORD = re.compile(r"\s+(?:or|sau|ori)\s+", re.I)
# The question asks what the user wants or decides, not a fact.
_DECISION_CUE = re.compile(
    r"\b(?:prefer\w*|rather|want|should|shall|would|works?|suits?|pick|picked|choose|chose|decide|decided|go with|"
    r"like|convine|preferați|preferati|preferi|alegeți|alegeti|alegi|decis|decideți|decideti|mergem|vreți|vreti|"
    r"vrei|doriți|doriti|dorești|doresti|potrivește|potriveste|alegem|rămânem|ramanem)\b", re.I)
# What comes before the alternatives: the asking, not an option ("Would you prefer", "Mergem cu").
_LEAD = re.compile(
    r"^(?:(?:and|so|also|then|but|ok|okay|hi|hello|deci|și|si|atunci)\W+)*"
    r"(?:which (?:one )?(?:would|do|should|shall|will) (?:you|we) (?:prefer|like|want|pick|choose|go with)[:,]?|"
    r"(?:would|do|will) you (?:prefer|rather|like|want)(?: (?:to )?(?:go with|have|use|do|meet|pick|choose))?[:,]?|"
    r"(?:should|shall|do|can|could) (?:we|i) (?:go with|pick|choose|use|book|order|do|meet|schedule it for|"
    r"move it to|go for|take)|"
    r"(?:is|are|would|will|does|do|should) |"
    r"(?:preferați|preferi|alegeți|alegi|vreți|vrei|doriți|dorești)(?: să)?(?: (?:mergem|alegem|folosim|facem))?"
    r"(?: (?:cu|pe))?|(?:mergem|alegem|folosim|rămânem|ramanem|facem|programăm|programam|stabilim)(?: (?:cu|pe|la))?|"
    r"(?:să|sa) (?:mergem|alegem|folosim|facem|programăm|programam|stabilim)(?: (?:cu|pe|la))?|"
    r"(?:este|e|sunt) (?:mai bine|ok|în regulă|in regula)?)\s*",
    re.I)
# What comes after the alternatives: the rest of the asking ("... work for you?", "... pentru tine?").
_TAIL = re.compile(
    r"\s*(?:(?:would|will|does|do) (?:that |it )?(?:work|suit|be (?:better|best|ok|okay|fine))|works? (?:better |best )?"
    r"(?:for you|for us|better|best)|suits? you|better for you|is better|would be better|for you|"
    r"(?:îți|iti|vă|va) (?:convine|convin|merge|este bine)|(?:e|este|ar fi) mai bine|pentru (?:tine|dumneavoastră|"
    r"dumneavoastra|voi)|please|vă rog|te rog)\b.*$", re.I)
# A preposition repeated before the next alternative ("cu ErgoWorks sau cu DeskPro").
_REPEATED = re.compile(r"^(?:cu|pe|la|with|for|at|on)\s+", re.I)
# Alternatives that are not choices: "a day or two", "or not", "more or less", "or so".
_NOT_OPTION = re.compile(r"^(?:not|so|two|three|later|else|other|something|anything|more|less|nu|altceva|"
                         r"mai (?:târziu|tarziu)|ceva|both|either|neither|whatever)\b", re.I)
_YES_NO = re.compile(
    r"\b(?:(?:can|could|would|will) you (?:please )?(?:approve|sign off|confirm|agree|ok|okay|authori[sz]e|green ?light)|"
    r"(?:do|would) you (?:approve|agree|confirm)|(?:are|is) (?:you|it|that) (?:ok|okay|fine|happy|alright|all right)"
    r" (?:with|if|for (?:us|me) to)|(?:can|could|shall|should|may) (?:we|i) (?:go ahead|proceed|move forward|sign|"
    r"order|book|buy|hire|renew|extend|approve|confirm)|please (?:approve|sign off|confirm (?:that|whether|if|you))|"
    r"(?:need|want) your (?:approval|ok|okay|go-ahead|sign-off|confirmation)|do we have your (?:approval|ok|go-ahead)|"
    r"(?:aprobați|aprobi|aprobati)|(?:sunteți|sunteti|ești|esti) de acord|(?:îmi|imi|ne) (?:dați|dati|dai) "
    r"(?:acordul|ok)|(?:putem|pot) (?:să|sa) (?:mergem|merg|continuăm|continuam|semnăm|semnam|comandăm|comandam|"
    r"confirmăm|confirmam|rezervăm|rezervam|aprobăm|aprobam)|(?:confirmați|confirmati|confirmi)|"
    r"(?:avem|am) (?:acordul|aprobarea) (?:dumneavoastră|dumneavoastra|tău|tau))", re.I)
# A question about the user's own commitment ("Did you sign the DPA?", "Ați semnat actul?"): only they
# know, and a draft that answers "yes" for them states a decision the sources do not hold.
_COMMITTED = re.compile(
    r"(?:^(?:(?:and|so|also|but|ok|okay|one more thing|și|si|deci|apropo)\W+)*|\b(?:whether|if|dacă|daca)\s+)"
    r"(?:(?:did|have|has) (?:you|we|ana|brightlane)|(?:was|has) (?:it|this|that|the \w+) (?:been )?|"
    r"(?:(?:l|le|i)-)?(?:ați|ati|ai|a fost|s-a|au) )\s*(?:already |finally |now |deja |în sfârșit |in sfarsit )?"
    r"(?:sign|signed|approve|approved|decide|decided|agree|agreed|accept|accepted|book|booked|order|ordered|pay|"
    r"paid|commit|committed|semnat|aprobat|decis|acceptat|plătit|platit|comandat|rezervat|confirmat)\b", re.I)
# Abbreviations whose period ends no sentence ("actul adițional nr. 2?").
_ABBREVIATION = re.compile(r"\b(nr|art|str|alin|pct|dl|dna|etc|approx|no|vs)\.\s", re.I)


def _options(question: str) -> list[str]:
    if not _DECISION_CUE.search(question):
        return []  # "is the training online or on site?" asks a fact, not the user's choice
    body = question.strip().rstrip("?").strip()
    clauses = [c.strip() for c in re.split(r"\s*[,;:]\s+|\s+[-–]\s+", body) if c.strip()]
    at = max((n for n, c in enumerate(clauses) if _OR_WORD.search(c)), default=None)
    if at is None:
        return []
    # "the blue, the green or the red": short clauses just before the one with "or" are options too.
    first = at
    while first > 0 and len(clauses[first - 1].split()) <= 3 and not _LEAD.match(clauses[first - 1] + " "):
        first -= 1
    clause = _TAIL.sub("", _LEAD.sub("", clauses[at], count=1))
    alternatives = _OR_WORD.split(clause)
    if len(alternatives) < 2:
        return []
    parts = [*clauses[first:at], *alternatives]
    parts = [parts[0].strip(" \"'“”„"), *(_REPEATED.sub("", p.strip(" \"'“”„")) for p in parts[1:])]
    parts = [p for p in parts if p]
    if not 2 <= len(parts) <= MAX_CHOICES or any(_NOT_OPTION.match(p) for p in parts):
        return []
    # "ErgoWorks or DeskPro for the new chairs": the last option carries the question's tail.
    last, first_words = parts[-1], set(parts[0].lower().split())
    cut = re.search(r"\s(?:for|to|in|on|with|pentru|în|cu)\s", last, re.I)
    if cut and cut.group(0).strip().lower() not in first_words and len(last.split()) > len(parts[0].split()) + 1:
        parts[-1] = last[:cut.start()].strip()
    # "the report in PDF or Excel": the option before "or" carries the question's head; keep as many
    # of its last words as the longest other option has (a leading preposition aside).
    longest = max(len(_REPEATED.sub("", p).split()) for p in parts[1:])
    if len(parts[-2].split()) > longest + 1:
        parts[-2] = " ".join(parts[-2].split()[-longest:])
    if any(not p or len(p.split()) > MAX_OPTION_WORDS for p in parts):
        return []
    return [p[0].upper() + p[1:] if p[:1].islower() else p for p in parts]


def choices(subject: str | None, body: str | None) -> list[str]:
    """The answers the user may pick, or [] when the email asks them to decide nothing (rules say)."""
    text = _ABBREVIATION.sub(r"\1 ", new_text(body or "")[:4000])
    questions = [q.strip() for q in _SENTENCE.findall(text)]
    for q in questions:
        if found := _options(q):
            return found
    if any(_YES_NO.search(q) or _COMMITTED.search(q) for q in questions) or _YES_NO.search(re.sub(r"\s+", " ", text)):
        return [YES, NO]
    return []


def instruction(choice: str) -> str:
    """The user's pick, as the instruction the reply is written with."""
    if choice == YES:
        return "Say yes: approve, agree or confirm what is asked."
    if choice == NO:
        return "Say no, politely: do not approve or agree to what is asked."
    return f"Choose this option and say so: {choice}"


# ----------------------------------------------------------------------------- a draft that decides
# Until the user picks, a draft may thank, acknowledge and say they will confirm; a sentence that
# approves, signs, refuses or picks one option is the decision made for them. Matched on folded text
# (no diacritics, lower case), so "am semnat" and "am semnat" written without accents are one.
_DECIDES_YES_NO = re.compile(
    r"^\W*(?:yes|yep|sure thing|absolutely|da)\b|"
    r"\b(?:i|we)(?:'ve| have| had| do| did| will|'ll)?(?: (?:not|never|already|just|now|also|gladly|happily))* "
    r"(?:approved?|sign(?:ed)?|agreed?|accept(?:ed)?|ordered|booked|paid|decided|cho(?:se|sen)|picked|"
    r"confirm(?:ed)?|authori[sz]ed?)\b|"
    r"\b(?:i|we) (?:can(?:not|'t)?|could(?:n't)?|won't|am (?:not )?able to|am happy to|are happy to) "
    r"(?:approve|sign|agree|accept|go ahead|proceed|confirm)\b|"
    r"\b(?:approved|signed|authori[sz]ed)\b|"
    r"\b(?:please|you can|you may|feel free to|happy for you to) (?:go ahead|proceed|place the order|order|book|sign)\b|"
    r"\b(?:am|l-am|le-am|i-am|nu am|nu l-am|n-am|nu le-am)\s+(?:deja |inca |si )?"
    r"(?:semnat|aprobat|acceptat|comandat|rezervat|confirmat|decis|ales|platit)\b|"
    r"\b(?:aprob|semnez|accept|confirm|sunt de acord|suntem de acord|nu sunt de acord)\b|"
    r"\b(?:puteti|poti|puteți) (?:merge|continua|comanda|plasa|semna|incepe|rezerva)\b|"
    r"\b(?:aprobat|semnat)\b")
# Not a statement of the decision: a question, a condition, or the promise to answer later.
_NOT_DECIDING = re.compile(
    r"\?|\b(?:if|whether|unless|once|daca|odata ce|dupa ce|soon|shortly|curand|in curand|get back|come back|"
    r"let you know|revin|reveni|reveniti|check|verific|verifica|look into|review)\b|"
    r"\b(?:will|'ll|shall|going to|voi|vom|o sa)\s+(?:\w+\s+)?(?:confirm|confirma|reply|respond|answer|raspunde|"
    r"decide|hotari)", re.I)
# Naming one option decides only with words of choosing ("Let's go with ErgoWorks", "marți ne convine").
_PICKS = re.compile(
    r"\b(?:go(?:ing)? with|choose|chose|chosen|pick(?:ed)?|prefer\w*|works?|suits?|take|book(?:ed)?|let's|lets|"
    r"fine|good|great|perfect|best|better|decided|mergem|merg|alegem|aleg|ales|convine|ramanem|optam|optez|"
    r"rezerv\w*|confirm\w*|e bine|este bine|mai bine)\b")
# A sentence of the draft; "nr. 2", "9.800" and "$4,800" do not end one.
_SPAN = re.compile(r"(?:\b(?:nr|art|str|alin|pct|dl|dna|etc|approx|no|vs)\.\s*|\d[.,]\d|[^.!?])+(?:[.!?]+|$)", re.I)
_ASK_BLOCK = re.compile(r"\[\[.*?\]\]", re.S)


def _option_words(option: str) -> set[str]:
    return {w for w in re.findall(r"\w+", fold(option)) if len(w) >= 3 or w.isdigit()}


def _decides(statement: str, offered: list[str]) -> bool:
    folded = fold(statement)
    if _NOT_DECIDING.search(folded):
        return False
    if offered == [YES, NO]:
        return bool(_DECIDES_YES_NO.search(folded))
    if _OR_WORD.search(folded) or re.search(r"\b(?:and|si|both|amandoua|ambele)\b", folded):
        return False  # the options named side by side: repeated, not picked
    if not _PICKS.search(folded):
        return False
    words = set(re.findall(r"\w+", folded))
    named = [o for o in offered if (need := _option_words(o)) and len(need & words) * 2 >= len(need)]
    return len(named) == 1


def deciding(draft: str, offered: list[str]) -> list[str]:
    """The draft's sentences that make the decision `offered` leaves to the user (none: it waits)."""
    if not offered:
        return []
    out = []
    for line in _ASK_BLOCK.sub(" ", draft or "").splitlines():
        out += [s.strip() for s in (m.group(0) for m in _SPAN.finditer(line)) if s.strip() and _decides(s, offered)]
    return out


def without_decision(draft: str, offered: list[str], question: str) -> str:
    """The draft with its deciding sentences taken out, and the decision left to the user as a
    [[Ask: ...]] (the sender's own question) if the draft asks them nothing yet."""
    return without_sentences(draft, lambda s: _decides(s, offered), question)


def without_sentences(draft: str, drop: Callable[[str], bool], question: str) -> str:
    """The draft without the sentences `drop` picks, with a [[Ask: question]] for the user before the
    sign-off if the draft asks them nothing yet. Lines holding a [[...]] block are kept whole."""
    lines = []
    for line in (draft or "").splitlines():
        if "[[" in line:
            lines.append(line)
            continue
        kept = "".join(s for s in (m.group(0) for m in _SPAN.finditer(line)) if not (s.strip() and drop(s)))
        if kept.strip() or not line.strip():
            lines.append(kept.strip() if kept.strip() else line)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not _ASK_BLOCK.search(text):
        ask = f"[[Ask: {question}]]"
        paragraphs = text.split("\n\n")
        # Before the sign-off, where the user will look for it before sending.
        at = len(paragraphs) - 1 if len(paragraphs) >= 2 else len(paragraphs)
        text = "\n\n".join([*paragraphs[:at], ask, *paragraphs[at:]])
    return text


def sentences(draft: str) -> list[str]:
    """The draft's sentences outside [[...]] blocks, as without_sentences cuts them."""
    out = []
    for line in _ASK_BLOCK.sub(" ", draft or "").splitlines():
        out += [s.strip() for s in (m.group(0) for m in _SPAN.finditer(line)) if s.strip()]
    return out


def question(body: str | None) -> str | None:
    """The sender's sentence that asks the user to decide (as `choices` found it)."""
    text = _ABBREVIATION.sub(r"\1 ", new_text(body or "")[:4000])
    questions = [" ".join(q.split()) for q in _SENTENCE.findall(text)]
    for q in questions:
        if _options(q) or _YES_NO.search(q) or _COMMITTED.search(q):
            return q
    return questions[0] if questions else None
