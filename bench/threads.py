"""The draft benchmark's threads (data in bench.threads_data and bench.threads_grounding) and how
they are stored.

`python -m bench.threads` checks the data and prints a summary: threads per language, those with
user instructions, grounding threads (the answer is a fact in Ana's other mail or documents:
`uses`) and ask threads (nothing there decides it: `asks_user`), the background items they bring,
and whether language.detect reads each incoming email as the language it is written in (the
product replies in the language it detects). No model runs.

Rows are written the way a sync leaves them: one Email per message, sharing a thread id (the
root Message-ID), In-Reply-To/References chained, Ana's own messages filed as Sent, the rest as
Inbox; the email to answer is `to_respond`. A thread's `background` goes in before drafting:
earlier emails as synced rows of their own (February, Inbox or Sent), documents through
services.knowledge.documents.add, as an upload would; the caller indexes both.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import make_msgid
from pathlib import PurePath

os.environ.setdefault("OPENFYXER_ENV_FILE", os.devnull)
os.environ.setdefault("OPENFYXER_ENVIRONMENT", "test")

from bench.threads_data import ANA, SENT, THREADS  # noqa: E402
from bench.threads_grounding import THREADS as GROUNDING_THREADS  # noqa: E402

LANGS = ("en", "ro")
INTENTS = ("accept", "decline")
# The mail is "received" in the first week of March 2026, one thread after the other.
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BACKGROUND_KINDS = {"email": {"sender", "to", "subject", "date", "body"}, "document": {"filename", "date", "text"}}
DOCUMENT_SUFFIXES = (".txt", ".md", ".csv")  # what services.knowledge.doctext reads as plain text


def normalize(text: str) -> str:
    """Lower case without diacritics (ș and ş alike), for matching keywords in drafts."""
    decomposed = unicodedata.normalize("NFKD", (text or "").replace("\u2019", "'").replace("\u2018", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def pattern(expr: str) -> re.Pattern:
    """A checklist pattern: matched on normalized text, anchored at the start of a word."""
    return re.compile(r"(?<!\w)(?:" + normalize(expr) + ")")


@dataclass(frozen=True)
class Thread:
    id: str
    lang: str
    topic: str
    subject: str
    earlier: list[tuple[str, str, str]]
    incoming: tuple[str, str, str]
    facts: list[str]
    good_reply: str
    mention: list[list[str]]
    must_not: list[str] = field(default_factory=list)
    instructions: str | None = None
    intent: str | None = None
    # Grounding (bench.threads_grounding): what is in Ana's mailbox and documents before drafting,
    # the fact the draft must use from it, or (asks_user) the question it must leave open.
    background: list[dict] = field(default_factory=list)
    uses: list[list[str]] = field(default_factory=list)
    asks_user: bool = False
    invents: list[str] = field(default_factory=list)
    asks_about: list[str] = field(default_factory=list)

    @property
    def sender_name(self) -> str:
        return self.incoming[0]

    @property
    def sender_first_name(self) -> str:
        words = [w for w in re.split(r"\s+", self.sender_name) if w and not w.endswith(".")]
        return words[0] if words else ""

    @property
    def participant_names(self) -> set[str]:
        names = {self.incoming[0], *(m[0] for m in self.earlier), ANA[0]}
        return {part for n in names for part in n.split() if len(part) > 2}

    def source_text(self) -> str:
        """Everything the model was shown from the thread (for the echo check)."""
        return "\n".join([self.subject, *(m[2] for m in self.earlier), self.incoming[2]])

    def mention_groups(self) -> list[list[re.Pattern]]:
        return [[pattern(p) for p in group] for group in self.mention]

    def forbidden(self) -> list[re.Pattern]:
        return [pattern(p) for p in self.must_not]

    def uses_groups(self) -> list[list[re.Pattern]]:
        return [[pattern(p) for p in group] for group in self.uses]

    def inventions(self) -> list[re.Pattern]:
        return [pattern(p) for p in self.invents]

    def ask_topics(self) -> list[re.Pattern]:
        return [pattern(p) for p in self.asks_about]

    def background_text(self) -> str:
        return "\n".join(f"{b.get('subject') or b.get('filename')}\n{b.get('body') or b.get('text')}"
                         for b in self.background)


def load() -> list[Thread]:
    """The threads, checked: unique ids, known languages and intents, patterns that compile."""
    threads = [Thread(**t) for t in THREADS + GROUNDING_THREADS]
    ids = [t.id for t in threads]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"duplicate thread ids: {sorted(dupes)}")
    for t in threads:
        if t.lang not in LANGS:
            raise ValueError(f"{t.id}: language {t.lang!r} not in {LANGS}")
        if t.intent is not None and t.intent not in INTENTS:
            raise ValueError(f"{t.id}: intent {t.intent!r} not in {INTENTS}")
        if t.intent and not t.instructions:
            raise ValueError(f"{t.id}: an intent needs the instructions it comes from")
        if not t.mention or not all(t.mention):
            raise ValueError(f"{t.id}: every thread needs at least one non-empty mention group")
        if not 0 <= len(t.earlier) <= 3:
            raise ValueError(f"{t.id}: 0 to 3 earlier messages")
        t.mention_groups(), t.forbidden(), t.inventions(), t.ask_topics()  # compile now, not mid-run
        _check_grounding(t)
    return threads


def _check_grounding(t: Thread) -> None:
    """The background is well-formed; a `uses` fact is in it and not in the thread (else nothing is
    tested); an ask thread has something to fail on."""
    for n, item in enumerate(t.background):
        keys = BACKGROUND_KINDS.get(item.get("kind"))
        if keys is None or set(item) - {"kind"} != keys:
            raise ValueError(f"{t.id}: background {n} must be an email {sorted(BACKGROUND_KINDS['email'])} or a "
                             f"document {sorted(BACKGROUND_KINDS['document'])}")
        day = date.fromisoformat(item["date"])
        if (day.year, day.month) != (2026, 2):
            raise ValueError(f"{t.id}: background {n} is dated {day}; the mailbox's past is February 2026")
        if item["kind"] == "email" and (len(item["sender"]) != 2 or "@" not in item["sender"][1]
                                        or "@" not in item["to"]):
            raise ValueError(f"{t.id}: background {n}: sender is (name, address), to an address")
        if item["kind"] == "document" and PurePath(item["filename"]).suffix.lower() not in DOCUMENT_SUFFIXES:
            raise ValueError(f"{t.id}: background {n}: a document is one of {DOCUMENT_SUFFIXES}")
    if t.uses and t.asks_user:
        raise ValueError(f"{t.id}: a thread either uses a fact or asks for it, not both")
    if t.uses and not t.background:
        raise ValueError(f"{t.id}: a `uses` fact needs the background that holds it")
    thread_text, background = normalize(t.source_text()), normalize(t.background_text())
    for group, pats in zip(t.uses, t.uses_groups()):
        if not group:
            raise ValueError(f"{t.id}: empty uses group")
        if inside := [p.pattern for p in pats if p.search(thread_text)]:
            raise ValueError(f"{t.id}: uses {inside} already matches the thread itself")
        if not any(p.search(background) for p in pats):
            raise ValueError(f"{t.id}: uses group {group} matches nothing in the background")
    if t.asks_user and not t.invents:
        raise ValueError(f"{t.id}: an ask thread needs `invents` (what answering anyway would say)")
    if t.asks_about and not t.asks_user:
        raise ValueError(f"{t.id}: asks_about only makes sense on an asks_user thread")


def store_sent(session, account) -> int:  # noqa: ANN001
    """Ana's Sent mail, the style profile's source, dated in February."""
    from openfyxer.models.email import Email

    for i, (to, subject, body) in enumerate(SENT):
        session.add(Email(account_id=account.id, message_id=make_msgid(domain="brightlane.ro"), subject=subject,
                          sender=account.email_address, sender_name=ANA[0], recipients=[to], body_text=body,
                          folder_role="sent", received_at=START - timedelta(days=30 - i)))
    session.flush()
    return len(SENT)


def store(session, account, thread: Thread, index: int):  # noqa: ANN001, ANN201
    """The thread's messages as synced rows; returns the Email to answer."""
    from openfyxer.models.email import Email

    when = START + timedelta(hours=3 * index)
    root, refs, last = None, [], None
    messages = [*thread.earlier, thread.incoming]
    for n, (name, address, body) in enumerate(messages):
        mine = address == account.email_address
        other = thread.incoming[1]
        msgid = make_msgid(domain=address.rsplit("@", 1)[-1])
        root = root or msgid
        incoming = n == len(messages) - 1
        last = Email(
            account_id=account.id, message_id=msgid, thread_id=root, in_reply_to=refs[-1] if refs else None,
            references=list(refs), subject=("Re: " if n else "") + thread.subject, sender=address.lower(),
            sender_name=name, recipients=[other] if mine else [account.email_address], body_text=body,
            folder_role="sent" if mine else "inbox", received_at=when - timedelta(minutes=40 * (len(messages) - n)),
            category="to_respond" if incoming else None, needs_reply=incoming, is_read=not incoming,
        )
        session.add(last)
        refs.append(msgid)
    session.flush()
    return last


def store_background(session, account, user, thread: Thread) -> int:  # noqa: ANN001
    """The thread's background: emails as synced rows of their own, documents as uploads. The caller
    indexes them (documents.add declares an index_document job; the mail needs index_account)."""
    from openfyxer.models.email import Email
    from openfyxer.services.knowledge import documents

    for n, item in enumerate(thread.background):
        # Mid-morning, a minute apart: two items of one day keep their order.
        when = datetime.fromisoformat(item["date"]).replace(hour=9, minute=n, tzinfo=UTC)
        if item["kind"] == "email":
            name, address = item["sender"]
            msgid = make_msgid(domain=address.rsplit("@", 1)[-1])
            session.add(Email(account_id=account.id, message_id=msgid, thread_id=msgid, subject=item["subject"],
                              sender=address.lower(), sender_name=name, recipients=[item["to"]],
                              body_text=item["body"], folder_role="sent" if address == account.email_address
                              else "inbox", received_at=when, is_read=True))
        else:
            doc = documents.add(session, user=user, filename=item["filename"],
                                content_type=mimetypes.guess_type(item["filename"])[0], data=item["text"].encode())
            doc.created_at = when  # uploaded in February, like the mail around it
    session.flush()
    return len(thread.background)


def summary(threads: list[Thread]) -> dict:
    from openfyxer.services.assistant import language

    per_lang = {lang: sum(t.lang == lang for t in threads) for lang in LANGS}
    detected = {t.id: language.detect(f"{'Re: ' if t.earlier else ''}{t.subject}\n{t.incoming[2]}") for t in threads}
    wrong = {i: d for i, d in detected.items() if d != next(t.lang for t in threads if t.id == i)}
    return {"threads": len(threads), **{f"threads_{k}": v for k, v in per_lang.items()},
            "with_instructions": sum(bool(t.instructions) for t in threads),
            "ro_without_diacritics": sum(t.lang == "ro" and not re.search("[ăâîșşțţ]", t.incoming[2], re.I)
                                         for t in threads),
            "earlier_messages": sum(len(t.earlier) for t in threads), "sent_mail": len(SENT),
            **{f"grounding_threads_{lang}": sum(bool(t.uses) and t.lang == lang for t in threads) for lang in LANGS},
            **{f"ask_threads_{lang}": sum(t.asks_user and t.lang == lang for t in threads) for lang in LANGS},
            **{f"background_{kind}s": sum(b["kind"] == kind for t in threads for b in t.background)
               for kind in BACKGROUND_KINDS},
            "detector_agrees": round(1 - len(wrong) / len(threads), 3), "detector_wrong": wrong}


def main() -> int:
    threads = load()
    for t in threads:
        extra = f"  [instructions: {t.instructions}]" if t.instructions else ""
        extra += (f"  [{'uses a fact' if t.uses else 'asks'}; background: "
                  f"{', '.join(b['kind'] for b in t.background) or 'none'}]") if t.uses or t.asks_user else ""
        print(f"{t.id:20} {t.lang}  {len(t.earlier)} earlier  {t.topic}{extra}")
    print(json.dumps(summary(threads), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
