"""The draft benchmark's threads (data in bench.threads_data) and how they are stored.

`python -m bench.threads` checks the data and prints a summary: threads per language, those with
user instructions, and whether language.detect reads each incoming email as the language it is
written in (the product replies in the language it detects). No model runs.

Rows are written the way a sync leaves them: one Email per message, sharing a thread id (the
root Message-ID), In-Reply-To/References chained, Ana's own messages filed as Sent, the rest as
Inbox; the email to answer is `to_respond`.
"""

from __future__ import annotations

import json
import os
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import make_msgid

os.environ.setdefault("OPENFYXER_ENV_FILE", os.devnull)
os.environ.setdefault("OPENFYXER_ENVIRONMENT", "test")

from bench.threads_data import ANA, SENT, THREADS  # noqa: E402

LANGS = ("en", "ro")
INTENTS = ("accept", "decline")
# The mail is "received" in the first week of March 2026, one thread after the other.
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


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


def load() -> list[Thread]:
    """The threads, checked: unique ids, known languages and intents, patterns that compile."""
    threads = [Thread(**t) for t in THREADS]
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
        t.mention_groups(), t.forbidden()  # compile now: a typo fails here, not mid-run
    return threads


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
            "detector_agrees": round(1 - len(wrong) / len(threads), 3), "detector_wrong": wrong}


def main() -> int:
    threads = load()
    for t in threads:
        extra = f"  [instructions: {t.instructions}]" if t.instructions else ""
        print(f"{t.id:20} {t.lang}  {len(t.earlier)} earlier  {t.topic}{extra}")
    print(json.dumps(summary(threads), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
