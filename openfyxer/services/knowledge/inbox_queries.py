"""Questions about the state of the user's own mail ("what do I need to reply to today?", "which drafts
are waiting?", "ce mi-a trimis Ana săptămâna trecută?"), answered from the database.

A fixed set of read-only lists (QUERIES), each a plain function over the user's own mail and drafts
through services.mail.emails and drafts. Which one answers is decided by rules first (English and
Romanian patterns); a question the rules miss that still talks about mail may be routed by the model,
which can only name one of the lists (and a person named in the question): anything else it says is
ignored, and nothing it says reaches SQL or changes anything. Periods ("today", "last week",
"săptămâna trecută") are computed here, in the user's time zone. The answer is written by code, in
the question's language, with the rows as its numbered sources; no model writes it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from openfyxer.core.errors import OpenFyxerError
from openfyxer.models.knowledge_api import Source
from openfyxer.models.settings import UserSettings
from openfyxer.models.user import User
from openfyxer.services.assistant import language, llm, prompts
from openfyxer.services.mail import drafts, emails

log = logging.getLogger(__name__)

QUERIES = ("needs_reply", "urgent", "unread", "from_person", "drafts_waiting")
NEEDS_REPLY = ("to_respond", "urgent")
SHOWN = 10  # rows listed (and cited); the count says how many there are in all
SCAN = 200  # rows read when a person's name is matched word by word after the database's rough match
CHOICE_TOKENS = 24


@dataclass(frozen=True)
class Query:
    """One of the fixed lists, with its filters: who the mail is from, and the period it arrived in."""

    name: str  # one of QUERIES
    sender: str | None = None
    period: str | None = None  # a key of PERIODS
    lang: str = "en"


@dataclass(frozen=True)
class Listing:
    text: str
    sources: list[Source]


# --- periods, in the user's time zone --------------------------------------------------------------

def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tz).astimezone(UTC)


def _bounds(key: str, tz: ZoneInfo, now: datetime) -> tuple[datetime | None, datetime | None]:
    today = now.astimezone(tz).date()
    if key == "today":
        return _midnight(today, tz), None
    if key == "yesterday":
        return _midnight(today - timedelta(days=1), tz), _midnight(today, tz)
    if key == "this_week":
        return _midnight(today - timedelta(days=today.weekday()), tz), None
    if key == "last_week":  # the last 7 days: from the same weekday a week ago
        return _midnight(today - timedelta(days=7), tz), None
    if key == "this_month":
        return _midnight(today.replace(day=1), tz), None
    if key == "last_month":
        return _midnight(today - timedelta(days=30), tz), None
    return None, None


PERIODS = (  # the more specific first: "săptămâna trecută" before "săptămâna"
    ("yesterday", r"\b(?:yesterday|ieri)\b"),
    ("last_week", r"\b(?:last|past|previous)\s+(?:week|7\s+days|seven\s+days)\b|\bs[aă]pt[aă]m[aâ]na\s+trecut[aă]"
                  r"|\bultima\s+s[aă]pt[aă]m[aâ]n[aă]|\bultimele\s+(?:7|[sș]apte)\s+zile\b"),
    ("this_week", r"\bthis\s+week\b|\bs[aă]pt[aă]m[aâ]na\s+(?:asta|aceasta|curent[aă])\b"),
    ("last_month", r"\b(?:last|past|previous)\s+(?:month|30\s+days|thirty\s+days)\b|\bluna\s+trecut[aă]"
                   r"|\bultima\s+lun[aă]|\bultimele\s+30\s+de\s+zile\b"),
    ("this_month", r"\bthis\s+month\b|\bluna\s+(?:asta|aceasta|curent[aă])\b"),
    ("today", r"\b(?:today|tonight|this\s+morning|azi|ast[aă]zi)\b"),
)
_PERIODS = [(key, re.compile(pattern, re.I)) for key, pattern in PERIODS]


def period_of(question: str) -> str | None:
    return next((key for key, pattern in _PERIODS if pattern.search(question)), None)


def zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# --- which list: rules, then (maybe) the model -----------------------------------------------------

def _rx(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


# A question about what mail says ("... about the budget") is for retrieval, not a list.
_TOPIC = _rx(r"\b(?:about|regarding|concerning|despre|legat\s+de|referitor\s+la|privind|cu\s+privire\s+la)\b|\bre:")
# "How should I answer Dan?" asks for advice, not a list ("how many" does ask for one).
_HOW = _rx(r"^\s*(?:how\b(?!\s+(?:many|much)\b)|why\b|cum\b|de\s+ce\b)")

_RULES: dict[str, dict[str, list[re.Pattern]]] = {
    "drafts_waiting": {
        "en": [_rx(r"\bdrafts?\b.*\b(?:waiting|pending|approv\w*|review\w*|unsent|not\s+sent|outstanding|left|ready)\b"),
               _rx(r"\b(?:waiting|pending|unapproved|unsent|outstanding)\s+(?:\w+\s+)?drafts?\b"),
               _rx(r"^\s*(?:which|what|any|show|list|do\s+i\s+have|are\s+there|how\s+many)\b.*\bdrafts\b")],
        "ro": [_rx(r"\bciorn\w*\b.*\b(?:a[sșş]teapt[aă]|a[sșş]teptare|aprob\w*|neaprobat\w*|netrimis\w*|de\s+trimis)"),
               _rx(r"\b(?:a[sșş]teapt[aă]|neaprobate|netrimise)\b.*\bciorn\w*"),
               _rx(r"^\s*(?:ce|care|c[aâ]te|am|sunt|arat[aă]|listeaz[aă])\b.*\bciorn(?:e|ele)\b")],
    },
    "needs_reply": {
        "en": [_rx(r"\b(?:need|needs|needing)\s+(?:to\s+)?(?:a\s+|an\s+|my\s+)?"
                   r"(?:reply|replies|respond|response|responses|answer|answers)\b"),
               _rx(r"\b(?:have|has|got)\s+to\s+(?:reply|respond|answer)\b|\b(?:should|must|ought\s+to)\s+(?:i\s+)?"
                   r"(?:reply|respond|answer)\b"),
               _rx(r"\b(?:waiting|awaiting|waits)\s+(?:for\s+)?(?:a\s+|an\s+|my\s+)?(?:reply|replies|response|answer)\b"),
               _rx(r"\bunanswered\b|\b(?:not|haven'?t|have\s+not)\s+(?:yet\s+)?(?:replied|answered|responded)\b")],
        "ro": [_rx(r"\btrebuie\s+s[aă]\s+(?:r[aă]spund|dau\s+r[aă]spuns)"),
               _rx(r"\bam\s+de\s+r[aă]spuns\b|\b(?:mailuri|e-?mailuri|mesaje)\s+de\s+r[aă]spuns\b"
                   r"|\bla\s+ce\s+(?:mai\s+)?r[aă]spund\b"),
               _rx(r"\ba[sșş]teapt[aă]\s+(?:un\s+|vreun\s+)?r[aă]spuns|\ba[sșş]teptarea\s+(?:unui\s+)?r[aă]spuns"),
               _rx(r"\bf[aă]r[aă]\s+r[aă]spuns\b|\b(?:nu\s+am|n-am)\s+(?:[iî]nc[aă]\s+)?r[aă]spuns\b")],
    },
    "urgent": {
        # "urgent" as what is asked for ("which emails are urgent?"), not as a word in a question about a
        # thing ("what is the urgent deadline?")
        "en": [_rx(r"^\s*(?:any|anything|what|what'?s|which|show|list|is\s+there|are\s+there|do\s+i\s+have|how\s+many|"
                   r"got)\b.*\burgent\b(?:\s+(?:today|now|right\s+now|this\s+morning|for\s+me|in\s+my\s+inbox))?"
                   r"\s*[?.!]*\s*$"),
               _rx(r"\burgent\s+(?:mail|e-?mails?|messages?|stuff|things)\b|\banything\s+urgent\b")],
        "ro": [_rx(r"^\s*(?:ce|care|am|e|este|sunt|exist[aă]|c[aâ]te|vreun|ceva)\b.*\burgent\w*"
                   r"(?:\s+(?:azi|ast[aă]zi|acum|pentru\s+mine|[iî]n\s+inbox))?\s*[?.!]*\s*$"),
               _rx(r"\b(?:mailuri|e-?mailuri|mesaje|ceva|vreun\s+\w+|emailurile|mailurile)\s+urgent\w*")],
    },
    "unread": {
        "en": [_rx(r"\bunread\b|\b(?:not|haven'?t|have\s+not)\s+(?:yet\s+)?read\b"),
               _rx(r"\bnew\s+(?:mail|e-?mails?|messages?)\b")],
        "ro": [_rx(r"\bnecitit\w*|\b(?:nu\s+am|n-am)\s+(?:[iî]nc[aă]\s+)?citit\b"),
               _rx(r"\b(?:mailuri|e-?mailuri|mesaje)\s+noi\b")],
    },
}
# Whoever the mail is from: an address, or a name (a word, and a capitalised surname after it).
_SURNAME = r"(?:\s+[A-ZĂÂÎȘŞȚŢ][^\W\d_]*(?:-[^\W\d_]+)?)?"
_NAME = r"([\w.+'-]+@[\w-]+(?:\.[\w-]+)+|[^\W\d_][\w'-]*" + _SURNAME + ")"
# After a Romanian verb the object comes too ("cine a trimis factura"): there a person is capitalised.
_CAPITALISED = r"([\w.+'-]+@[\w-]+(?:\.[\w-]+)+|[A-ZĂÂÎȘŞȚŢ][\w'-]*" + _SURNAME + ")"
_SENDER_RULES: dict[str, list[re.Pattern]] = {
    "en": [re.compile(r"(?i:\b(?:mails?|e-?mails?|messages?|inbox|anything|something|news|letters?|replies|reply)\s+"
                      r"(?:\w+\s+){0,2}from\s+)" + _NAME),
           re.compile(r"(?i:\b(?:did|has|have)\s+)" + _NAME + r"(?i:\s+(?:send|sent|write|written|wrote|email|emailed|"
                                                         r"mail|mailed|forward|forwarded)\b)"),
           re.compile(_NAME + r"(?i:\s+(?:sent|emailed|wrote|mailed)\s+me\b)")],
    "ro": [re.compile(r"(?i:\b(?:mailuri\w*|e-?mailuri\w*|mail\w*|mesaje\w*|ceva|nimic|r[aă]spunsuri)\s+(?:\w+\s+){0,2}"
                      r"de\s+la\s+)" + _NAME),
           re.compile(r"(?i:\b(?:mi-a|mi\s+a|mi-au|a|au)\s+(?:mai\s+)?(?:trimis|scris)\s+)" + _CAPITALISED),
           re.compile(_NAME + r"(?i:\s+(?:mi-a|mi\s+a)\s+(?:trimis|scris)\b)")],
}
_FROM = {"en": re.compile(r"(?i:\bfrom\s+)" + _NAME), "ro": re.compile(r"(?i:\bde\s+la\s+)" + _NAME)}
_NOT_NAMES = {
    "me", "my", "mine", "i", "you", "your", "we", "us", "our", "they", "them", "he", "him", "she", "her", "it",
    "the", "a", "an", "any", "anyone", "anybody", "someone", "somebody", "everyone", "people", "who", "whom",
    "what", "which", "last", "this", "past", "today", "yesterday", "tomorrow", "work", "home", "there", "here",
    "mi", "mie", "eu", "tu", "noi", "voi", "ei", "ele", "el", "ea", "cine", "ce", "care", "azi", "astăzi", "ieri",
    "mâine", "săptămâna", "luna", "cineva", "oricine", "nimeni", "toți", "toate", "nou", "noi",
    "was", "were", "is", "are", "be", "been", "has", "have", "had", "do", "does", "did", "that", "these", "those",
    "its", "no", "nobody", "one", "all", "not", "ever", "just", "already", "also", "still",
}
_MAILISH = _rx(r"\b(?:inbox|mail|mails|e-?mails?|messages?|drafts?|repl(?:y|ies)|respond|unread|mailuri\w*|"
               r"e-?mailuri\w*|mesaj\w*|ciorn\w*|r[aă]spun\w*|necitit\w*|urgent\w*|c[aă]su[tț]a|trimis)\b")
_SENDER_OK = re.compile(r"^[^\W\d_][\w .@'+-]{0,79}$")


def _fold(text: str) -> str:
    """Lower case without diacritics ("Ștefan" -> "stefan")."""
    return "".join(c for c in unicodedata.normalize("NFKD", (text or "").lower()) if not unicodedata.combining(c))


def _clean_name(name: str | None) -> str | None:
    name = (name or "").strip().strip(".,;:!?'\"")
    if not name or _fold(name.split()[0]) in {_fold(w) for w in _NOT_NAMES}:
        return None
    return name if _SENDER_OK.match(name) else None


def _sender(question: str, *, anywhere: bool) -> tuple[str | None, str | None]:
    """The person the question asks about, and the language of the words that named them."""
    for lang, patterns in _SENDER_RULES.items():
        for pattern in patterns:
            for m in pattern.finditer(question):
                if name := _clean_name(m.group(1)):
                    return name, lang
    if anywhere:  # a list was asked for already: a plain "from Dan" narrows it
        for lang, pattern in _FROM.items():
            for m in pattern.finditer(question):
                if name := _clean_name(m.group(1)):
                    return name, lang
    return None, None


def match(question: str) -> Query | None:
    """The list the rules pick for a question, with its filters, or None."""
    question = " ".join((question or "").split())
    if not question or _TOPIC.search(question) or _HOW.search(question) or _CONTENT.search(question):
        return None
    period = period_of(question)
    for name, by_lang in _RULES.items():
        for lang, patterns in by_lang.items():
            if any(p.search(question) for p in patterns):
                sender = None if name == "drafts_waiting" else _sender(question, anywhere=True)[0]
                return Query(name, sender, period, lang)
    sender, lang = _sender(question, anywhere=False)
    if sender:
        return Query("from_person", sender, period, lang or "en")
    return None


# The question is about the user's own mailbox ("is my inbox on fire?", "am I behind on mail?").
_MINE = _rx(r"\b(?:my|me|mine|i|i'm|i've|am|meu|mea|mei|mele|mi|mie|eu)\b")
# ...and not about what some mail says: "which email says ...", "find the mail that mentions ...".
_CONTENT = _rx(r"\b(?:says?|said|mentions?|mentioned|contains?|written|wrote\s+that|quote\w*|find|search|"
               r"which\s+(?:e-?mail|mail|message)|spune|scrie|men[tț]ioneaz\w*|con[tț]ine|"
               r"caut\w*|g[aă]se[sș]te)\b")


def looks_like_inbox(question: str) -> bool:
    """Asks about the state of the user's own mail, not about what some mail says: only then is the
    model asked to pick a list (every other question goes to retrieval without that extra call)."""
    question = " ".join((question or "").split())
    return bool(question) and len(question) <= 300 and bool(_MAILISH.search(question)) \
        and bool(_MINE.search(question)) and not _TOPIC.search(question) and not _CONTENT.search(question)


def parse_choice(text: str, question: str) -> tuple[str, str | None] | None:
    """The model's pick: one of QUERIES and, if named in the question, a person; anything else is None."""
    line = next((raw for raw in (text or "").splitlines() if raw.strip()), "")
    m = re.match(r"^\s*[`'\"*]*([a-z_]+)[`'\"*]*\s*[:|,-]?\s*(.*?)\s*[`'\".]*\s*$", line)
    if not m or m.group(1) not in QUERIES:
        return None
    sender = _clean_name(m.group(2)) if m.group(2) else None
    if sender and not all(re.search(rf"(?<!\w){re.escape(_fold(w))}(?!\w)", _fold(question)) for w in sender.split()):
        sender = None  # a person the question does not name is the model's invention
    if m.group(1) == "from_person" and not sender:
        return None
    return m.group(1), None if m.group(1) == "drafts_waiting" else sender


def _choose(session: Session, user: User, question: str) -> tuple[str, str | None] | None:
    """Ask the model to name a list (read-only settings lookup; a model that fails names nothing)."""
    row = session.exec(select(UserSettings).where(UserSettings.user_id == user.id)).first()
    try:
        choice = llm.choose(row)
        text = llm.complete(choice, prompts.inbox_choice_messages(question), max_tokens=CHOICE_TOKENS,
                            temperature=0.0).text
    except OpenFyxerError as e:
        log.info("inbox question not routed by the model: %s", e.message)
        return None
    return parse_choice(text, question)


def pick(session: Session, *, user: User, question: str) -> Query | None:
    """Rules first; for a question about mail they miss, the model's constrained choice."""
    if (query := match(question)) is not None:
        return query
    if not looks_like_inbox(question):
        return None
    chosen = _choose(session, user, question)
    if chosen is None:
        return None
    lang = language.detect(question, default=user.language if user.language in ("en", "ro") else "en")
    return Query(chosen[0], chosen[1], period_of(question), "ro" if lang == "ro" else "en")


# --- the lists ------------------------------------------------------------------------------------

@dataclass
class Found:
    kind: str  # "email" | "draft"
    rows: list  # EmailSummary or Draft, newest first, at most SHOWN
    total: int


def _person_matches(name: str, sender: str | None, sender_name: str | None) -> bool:
    """Every word of `name` is a whole word of the sender's name or address ("Ana" is not "Diana")."""
    if "@" in name:
        return _fold(name) == _fold(sender or "")
    local, _, domain = _fold(sender or "").partition("@")
    words = set(re.findall(r"\w+", _fold(sender_name or ""))) | set(re.findall(r"[^\W\d_]+", local)) \
        | set(re.findall(r"[^\W\d_]+", domain.rsplit(".", 1)[0]))  # "Acme" is acme.ro's
    return all(w in words for w in re.findall(r"\w+", _fold(name)))


def _mail(session: Session, user: User, query: Query, now: datetime, **filters) -> Found:  # noqa: ANN003
    after, before = _bounds(query.period, zone(user), now) if query.period else (None, None)
    if query.name in ("needs_reply", "urgent") and query.period == "today":
        after = before = None  # "what do I reply to today": what is open now, whenever it came
    if not query.sender:
        rows, total = emails.list_emails(session, user=user, received_after=after, received_before=before,
                                         limit=SHOWN, **filters)
        return Found("email", rows, total)
    rough = max(re.findall(r"[\w.@+'-]+", query.sender), key=len)
    rows, _ = emails.list_emails(session, user=user, received_after=after, received_before=before, sender=rough,
                                 limit=SCAN, **filters)
    rows = [r for r in rows if _person_matches(query.sender, r.sender, r.sender_name)]
    return Found("email", rows[:SHOWN], len(rows))


def needs_reply(session: Session, user: User, query: Query, now: datetime) -> Found:
    """To respond or urgent, in the inbox, unread or not answered yet; the most recent first."""
    return _mail(session, user, query, now, categories=NEEDS_REPLY, awaiting_reply=True)


def urgent(session: Session, user: User, query: Query, now: datetime) -> Found:
    """Urgent mail in the inbox that is still open (unread or not answered)."""
    return _mail(session, user, query, now, category="urgent", awaiting_reply=True)


def unread(session: Session, user: User, query: Query, now: datetime) -> Found:
    """Unread mail in the inbox, spam left out."""
    return _mail(session, user, query, now, is_read=False, exclude_categories=("spam",))


def from_person(session: Session, user: User, query: Query, now: datetime) -> Found:
    """Mail from one person, in the inbox, within the period if one is named (spam left out)."""
    return _mail(session, user, query, now, exclude_categories=("spam",))


def drafts_waiting(session: Session, user: User, query: Query, now: datetime) -> Found:  # noqa: ARG001
    """Drafts the user has not approved or rejected yet."""
    rows = drafts.list_drafts(session, user=user, status="pending", limit=SCAN)
    return Found("draft", rows[:SHOWN], len(rows))


RUN: dict[str, Callable[[Session, User, Query, datetime], Found]] = {
    "needs_reply": needs_reply, "urgent": urgent, "unread": unread, "from_person": from_person,
    "drafts_waiting": drafts_waiting,
}


def run(session: Session, *, user: User, query: Query, now: datetime | None = None) -> Found:
    return RUN[query.name](session, user, query, now or datetime.now(UTC))


# --- the answer, written by code --------------------------------------------------------------------

MONTHS = {"en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
          "ro": ("ian.", "feb.", "mar.", "apr.", "mai", "iun.", "iul.", "aug.", "sept.", "oct.", "nov.", "dec.")}
WORDS = {
    "en": {"today": "today", "yesterday": "yesterday", "no_subject": "(no subject)", "to": "to", "urgent": "urgent",
           "recent": " (the {k} most recent)"},
    "ro": {"today": "azi", "yesterday": "ieri", "no_subject": "(fără subiect)", "to": "către", "urgent": "urgent",
           "recent": " (cele mai recente {k})"},
}
WHEN = {
    "en": {"today": " today", "yesterday": " from yesterday", "this_week": " this week", "last_week": " in the last 7 days",
           "this_month": " this month", "last_month": " in the last 30 days"},
    "ro": {"today": " azi", "yesterday": " de ieri", "this_week": " săptămâna aceasta",
           "last_week": " în ultimele 7 zile", "this_month": " luna aceasta", "last_month": " în ultimele 30 de zile"},
}
# Per list and language: (one, many, none). {count} is "3 emails" / "3 emailuri", {who} " from Ana",
# {when} " in the last 7 days"; each heading is followed by the numbered rows.
HEADINGS = {
    "en": {
        "needs_reply": ("1 email{who} needs a reply{when}:", "{count}{who} need a reply{when}:",
                        "Nothing{who} needs a reply{when}."),
        "urgent": ("1 urgent email{who} is still open{when}:", "{n} urgent emails{who} are still open{when}:",
                   "No urgent mail{who} is waiting{when}."),
        "unread": ("1 unread email{who}{when}:", "{n} unread emails{who}{when}:", "No unread mail{who}{when}."),
        "from_person": ("1 email{who}{when}:", "{count}{who}{when}:", "No mail{who}{when}."),
        "drafts_waiting": ("1 draft is waiting for your approval:", "{n} drafts are waiting for your approval:",
                           "No drafts are waiting for your approval."),
    },
    "ro": {
        "needs_reply": ("Un email{who} așteaptă răspuns{when}:", "{count}{who} așteaptă răspuns{when}:",
                        "Nu ai nimic{who} la care să răspunzi{when}."),
        "urgent": ("Un email urgent{who} este încă deschis{when}:", "{count} urgente{who} sunt încă deschise{when}:",
                   "Niciun email urgent{who} nu așteaptă{when}."),
        "unread": ("Un email necitit{who}{when}:", "{count} necitite{who}{when}:", "Niciun email necitit{who}{when}."),
        "from_person": ("Un email{who}{when}:", "{count}{who}{when}:", "Niciun email{who}{when}."),
        "drafts_waiting": ("O ciornă așteaptă aprobarea ta:", "{ciorne} așteaptă aprobarea ta:",
                           "Nicio ciornă nu așteaptă aprobarea ta."),
    },
}
WHO = {"en": " from {name}", "ro": " de la {name}"}


def _ro_count(n: int, word: str) -> str:
    """Romanian puts "de" between a number from 20 on and its noun ("20 de emailuri", "101 emailuri")."""
    return f"{n} de {word}" if n >= 20 and not 1 <= n % 100 <= 19 else f"{n} {word}"


def _day(moment: datetime | None, tz: ZoneInfo, now: datetime, lang: str) -> str:
    if moment is None:
        return ""
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        return f"{WORDS[lang]['today']}, {local:%H:%M}"
    if local.date() == today - timedelta(days=1):
        return WORDS[lang]["yesterday"]
    text = f"{local.day} {MONTHS[lang][local.month - 1]}"
    return text if local.year == today.year else f"{text} {local.year}"


def _one_line(text: str | None, limit: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def write(found: Found, query: Query, user: User, now: datetime | None = None) -> Listing:
    """The rows as a short numbered list in the question's language, each one a source."""
    now, tz, lang = now or datetime.now(UTC), zone(user), query.lang if query.lang in HEADINGS else "en"
    one, many, none = HEADINGS[lang][query.name]
    n = found.total
    fields = {"n": n, "who": WHO[lang].format(name=query.sender) if query.sender else "",
              "when": WHEN[lang].get(query.period or "", ""),
              "count": _ro_count(n, "emailuri") if lang == "ro" else f"{n} emails",
              "ciorne": _ro_count(n, "ciorne")}
    if n == 0:
        return Listing(none.format(**fields), [])
    heading = (one if n == 1 else many).format(**fields)
    if n > len(found.rows):
        heading = heading[:-1] + WORDS[lang]["recent"].format(k=len(found.rows)) + ":"
    lines, sources = [heading], []
    for i, row in enumerate(found.rows, 1):
        if found.kind == "draft":
            when = row.updated_at or row.created_at
            title = row.subject or WORDS[lang]["no_subject"]
            to = ", ".join(row.to_addresses or [])
            lines.append(f"[{i}] {_one_line(title)} — {WORDS[lang]['to']} {_one_line(to, 60)} "
                         f"({_day(when, tz, now, lang)})")
            snippet = " ".join((row.content or "").split())[:240]
        else:
            when = row.received_at
            title = row.subject or WORDS[lang]["no_subject"]
            flag = f", {WORDS[lang]['urgent']}" if query.name == "needs_reply" and row.category == "urgent" else ""
            lines.append(f"[{i}] {_one_line(row.sender_name or row.sender or '?', 60)} — {_one_line(title)} "
                         f"({_day(when, tz, now, lang)}{flag})")
            snippet = row.snippet
        sources.append(Source(n=i, kind=found.kind, id=row.id, title=title,
                              date=when.astimezone(tz).strftime("%Y-%m-%d") if when else None,
                              snippet=snippet, score=1.0))
    return Listing("\n".join(lines), sources)


def answer(session: Session, *, user: User, question: str, now: datetime | None = None) -> Listing | None:
    """The listing that answers a question about the mailbox's state, or None for any other question."""
    query = pick(session, user=user, question=question)
    if query is None:
        return None
    now = now or datetime.now(UTC)
    return write(run(session, user=user, query=query, now=now), query, user, now)
