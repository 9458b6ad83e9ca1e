"""`python -m bench.replay`: needs-reply on real mailboxes replayed in date order, judged on what the user
actually replied to, with and without learning from the user's behaviour.

Nobody here has a personal mailbox with its Sent folder to give away, so the mailboxes are rebuilt
from the SpamAssassin corpus' mailing lists: the "user" is one of the people who write there, their
mailbox is the list's traffic, their Sent folder their own posts. A message counts as replied to
when one of the user's posts answers it (In-Reply-To, else the last References entry). Messages go
through the product's parser and store and are sorted one at a time with `triage.triage_batch` at
the message's own date, the user's posts filed as Sent as they happen, so what the behaviour layer
learns is only what the user had done by then. Where a habit decided, the verdict of the other
layers is computed too: the same replay without learning.

List mail is bulk mail, which the product never sorts To respond on its own: without learning, every
message is "no reply needed", so the accuracy without learning is the share not replied to. What
learning adds shows in recall and F1 of "replied". The last line is the JSON figures.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from email import message_from_bytes
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

os.environ.setdefault("OPENFYXER_ENV_FILE", os.devnull)
os.environ.setdefault("OPENFYXER_ENVIRONMENT", "test")

from bench.corpus import ROOT, messages  # noqa: E402

MIN_REPLIES = 25  # people who answered at least this many corpus messages are the users replayed
USERS = 4


def _header(m, name: str) -> str:  # noqa: ANN001
    return str(m.get(name) or "").strip()


def corpus_posts() -> list[dict]:
    """Every ham message with a date, as {raw, id, parent ids, sender, list, date}."""
    out = []
    for group, raw in messages():
        if "ham" not in group:
            continue
        m = message_from_bytes(raw)
        try:
            date = parsedate_to_datetime(_header(m, "Date"))
        except (TypeError, ValueError):
            continue
        if date is None or date.tzinfo is None:
            continue
        refs = _header(m, "References").split()
        out.append({"raw": raw, "id": _header(m, "Message-ID"), "irt": (_header(m, "In-Reply-To").split() or [""])[0],
                    "last_ref": refs[-1] if refs else "", "sender": parseaddr(_header(m, "From"))[1].lower(),
                    "list": _header(m, "List-Id"), "date": date})
    return out


def mailboxes(posts: list[dict]) -> list[tuple[str, list[dict], set[str]]]:
    """(user, their list's messages and their own posts by date, ids of the messages they replied to)."""
    ids = {p["id"] for p in posts if p["id"]}

    def parent(p: dict) -> str | None:
        return p["irt"] if p["irt"] in ids else (p["last_ref"] if p["last_ref"] in ids else None)

    replies = Counter(p["sender"] for p in posts if parent(p))
    users = [u for u, n in replies.most_common() if n >= MIN_REPLIES]
    chosen, lists_taken = [], set()
    for user in users:
        own = [p for p in posts if p["sender"] == user]
        main_list = Counter(p["list"] for p in own).most_common(1)[0][0]
        if not main_list or main_list in lists_taken:
            continue  # one user per list, and only mail that came through a list
        lists_taken.add(main_list)
        box = [p for p in posts if p["list"] == main_list or p["sender"] == user]
        replied = {parent(p) for p in own if parent(p)}
        chosen.append((user, sorted(box, key=lambda p: p["date"]), replied))
        if len(chosen) == USERS:
            break
    return chosen


def _without_habits(db, user, email, now) -> bool:  # noqa: ANN001
    """needs_reply as the layers other than behaviour decide it (asked only where a habit decided)."""
    from openfyxer.integrations import embeddings
    from openfyxer.services.assistant import classifiers, triage

    vector = embeddings.embed([triage.email_text(email)])[0]
    verdict = triage.decide(email, vector=vector, spam_p=float(classifiers.spam_probabilities([email])[0]),
                            request_p=float(classifiers.request_probabilities([email], [vector])[0]), priority=set(),
                            learned=triage._learned(db, user.id), now=now)
    return verdict.needs_reply


def replay(user_address: str, box: list[dict]) -> list[tuple[bool, bool, str, str]]:
    """(needs_reply, needs_reply without the behaviour layer, reason, message id) for every message of
    the box the user did not write."""
    from openfyxer.core.db import session_scope
    from openfyxer.models.account import EmailAccount, MailFolder
    from openfyxer.models.email import Email
    from openfyxer.models.user import User
    from openfyxer.services.assistant import triage
    from openfyxer.services.mail import mailstore
    from openfyxer.services.mail.mime import parse_message

    out = []
    with session_scope() as db:
        user = User(email=f"replay-{user_address}", hashed_password="!no-login")
        db.add(user)
        db.flush()
        account = EmailAccount(user_id=user.id, provider="imap", email_address=user_address, username=user_address,
                               imap_host="127.0.0.1", imap_port=1, imap_security="none")
        db.add(account)
        db.flush()
        folders = {}
        for role in ("inbox", "sent"):
            folders[role] = MailFolder(account_id=account.id, name=role.upper(), role=role, uidvalidity=1)
            db.add(folders[role])
        db.flush()
        account_id, user_id = account.id, user.id
        folder_ids = {role: f.id for role, f in folders.items()}
    for p in box:
        mine = p["sender"] == user_address
        with session_scope() as db:
            account, folder = db.get(EmailAccount, account_id), db.get(MailFolder, folder_ids["sent" if mine else "inbox"])
            folder.last_uid += 1
            _, stored = mailstore.store_chunk(db, account=account, folder=folder, uidvalidity=1, items=[
                mailstore.Fetched(uid=folder.last_uid, flags=("\\Seen",) if mine else (), raw=p["raw"],
                                  parsed=parse_message(p["raw"]))])
            if mine or not stored:
                continue
            email = db.get(Email, stored[0])
            if email.processed_at is not None:
                continue  # a duplicate Message-ID: already sorted
            user = db.get(User, user_id)
            triage.triage_batch(db, user=user, emails=[email], now=p["date"])
            plain = _without_habits(db, user, email, p["date"]) if email.triaged_by == "habit" else email.needs_reply
            out.append((email.needs_reply, plain, email.triage_reason or "", p["id"]))
    return out


def scores(predicted: list[bool], truth: list[bool]) -> dict:
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    n_pred, n_true = sum(predicted), sum(truth)
    return {"accuracy": round(sum(p == t for p, t in zip(predicted, truth, strict=True)) / max(1, len(truth)), 4),
            "precision": round(tp / n_pred, 4) if n_pred else None, "recall": round(tp / n_true, 4) if n_true else None,
            "f1": round(2 * tp / (n_pred + n_true), 4) if n_pred + n_true else None}


def bench_replay() -> dict:
    os.environ["OPENFYXER_DATA_DIR"] = str(Path(tempfile.mkdtemp(prefix="of-bench-replay-")))
    import subprocess

    subprocess.run([sys.executable, "-m", "openfyxer.cli", "migrate"], cwd=ROOT, check=True, env=dict(os.environ),
                   stdout=subprocess.DEVNULL)
    boxes = mailboxes(corpus_posts())
    figures, pooled = {"replay_users": len(boxes)}, {True: ([], []), False: ([], [])}
    t0 = time.perf_counter()
    for user, box, replied in boxes:
        rows = replay(user, box)
        truth = [r[3] in replied for r in rows]
        for learning in (True, False):
            predicted = [r[0 if learning else 1] for r in rows]
            pooled[learning][0].extend(predicted)
            pooled[learning][1].extend(truth)
            print(f"{user:28} {'learning' if learning else 'rules   '} {len(rows):5} messages, replied "
                  f"{sum(truth):3}: {scores(predicted, truth)}", file=sys.stderr, flush=True)
        habits = Counter("answers" if r[2].startswith("you answered") else "ignores" for r in rows
                         if r[2].startswith(("you answered", "it may ask")))
        print(f"{'':28} decided by habit: {dict(habits)}", file=sys.stderr, flush=True)
    on, off = scores(*pooled[True]), scores(*pooled[False])
    truth = pooled[True][1]
    figures.update({
        "replay_messages": len(truth), "replay_replied_share": round(sum(truth) / max(1, len(truth)), 4),
        "replay_needs_reply_accuracy": on["accuracy"], "replay_replied_precision": on["precision"],
        "replay_replied_recall": on["recall"], "replay_replied_f1": on["f1"],
        "replay_needs_reply_accuracy_without_learning": off["accuracy"],
        "replay_replied_recall_without_learning": off["recall"], "replay_replied_f1_without_learning": off["f1"],
        "replay_s": round(time.perf_counter() - t0, 1),
    })
    return figures


def main() -> None:
    print(json.dumps(bench_replay()))


if __name__ == "__main__":
    main()
