"""`python -m bench.notify`: urgent mail to a Slack receiver, and a burst through the outbox.

1. Urgent mail end to end: a local Dovecot, an account connected through the product, the mailbox
   watched (IMAP IDLE, as the app does), jobs on the in-process queue, triage by the default
   pipeline, a Slack channel pointing at a local receiver. 50 urgent messages are APPENDed one by
   one; each is timed from the APPEND to the receiver's arrival: `urgent_p50_s`, `urgent_p95_s`.
2. A burst: 1,000 notifications raised at once for a webhook channel, delivered by the outbox's
   jobs to a local receiver: `deliveries_per_s` from the first raise to the last arrival.
`delivered` counts what the receivers got, `duplicates` what they got twice (by webhook-id, or by
Slack message for the same mail). The last line is the JSON figures.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("OPENFYXER_ENV_FILE", os.devnull)
os.environ.setdefault("OPENFYXER_ENVIRONMENT", "test")
os.environ.setdefault("OPENFYXER_OUTBOUND", "any")  # the receivers are on 127.0.0.1
os.environ.setdefault("OPENFYXER_REGISTRATION", "open")

from bench.corpus import ROOT  # noqa: E402
from tests.mailservers import start_dovecot, start_smtp_relay  # noqa: E402  (the test servers are the bench's too)
from tests.notify_receiver import Receiver  # noqa: E402

URGENT = 50
BURST = 1000
ARRIVAL_TIMEOUT_S = 120


def _urgent_message(to: str, i: int) -> bytes:
    m = EmailMessage()
    m["From"], m["To"] = "Dan Matei <dan.matei@client.example>", to
    m["Subject"] = f"Server {i} is down, urgent"
    m["Date"], m["Message-ID"] = format_datetime(datetime.now(UTC)), make_msgid(domain="client.example")
    m.set_content(f"Hi,\n\nServer {i} stopped answering. Could you restart it today, as soon as possible?\n\n"
                  "Thanks,\nDan")
    return m.as_bytes()


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="of-bench-notify-"))
    os.environ["OPENFYXER_DATA_DIR"] = str(work / "data")
    import subprocess

    subprocess.run([sys.executable, "-m", "openfyxer.cli", "migrate"], cwd=ROOT, check=True, env=dict(os.environ))
    dovecot, slack, hooks = start_dovecot(ssl=True), Receiver(), Receiver()
    relay = start_smtp_relay(dovecot)
    os.environ["OPENFYXER_TLS_CA_FILE"] = str(dovecot.cert_path)
    try:
        from openfyxer import jobs
        from openfyxer.core import later

        later.install(jobs.send_declared)
        urgent = _urgent_run(dovecot, relay, slack)
        burst = _burst(hooks)
        jobs.local_queue().join(60)
        got_ids = Counter(g["headers"].get("webhook-id") for g in hooks.got)
        slack_keys = Counter(json.loads(g["body"])["text"].split("\n")[0] for g in slack.got)
        out = {"urgent_p50_s": round(statistics.median(urgent), 2) if urgent else None,
               "urgent_p95_s": round(sorted(urgent)[max(0, int(0.95 * len(urgent)) - 1)], 2) if urgent else None,
               "urgent_arrived": len(urgent),
               "delivered": len(slack.got) + len(hooks.got),
               "duplicates": sum(n - 1 for n in got_ids.values()) + sum(n - 1 for n in slack_keys.values()),
               "deliveries_per_s": round(BURST / burst, 1)}
        print(json.dumps(out))
        return 0
    finally:
        slack.stop()
        hooks.stop()
        relay.stop()
        dovecot.stop()
        shutil.rmtree(work, ignore_errors=True)


def _urgent_run(dovecot, relay, slack: Receiver) -> list[float]:  # noqa: ANN001
    from openfyxer import jobs
    from openfyxer.core.db import session_scope
    from openfyxer.models.account import AccountCreate
    from openfyxer.models.notify import ChannelCreate
    from openfyxer.services import auth
    from openfyxer.services.mail import accounts, supervisor
    from openfyxer.services.notify import channels
    from tests.mailhelpers import account_body

    user = dovecot.new_user("bench")
    with session_scope() as s:
        owner = auth.register(s, email="ana@bench.example", password="Bench-password-1")
        accounts.connect_account(s, user=owner, data=AccountCreate(**account_body(user, dovecot, relay)))
        channels.create(s, user_id=owner.id, data=ChannelCreate(kind="slack", target={"url": slack.url("/slack")},
                                                               events=["urgent"]))
    jobs.local_queue().join(300)  # the first sync of the empty mailbox
    watch = supervisor.start()
    if watch is None:
        raise SystemExit("OPENFYXER_IDLE is off: the bench measures mail watched as the app watches it")
    timings = []
    try:
        time.sleep(3)  # the watcher's first connection
        for i in range(URGENT):
            before = len(slack.got)
            t0 = time.monotonic()
            conn = user.imap()
            try:
                conn.append("INBOX", None, None, _urgent_message(user.address, i))
            finally:
                conn.logout()
            got = slack.wait_for(before + 1, timeout=ARRIVAL_TIMEOUT_S)
            if len(got) > before:
                timings.append(got[before]["at"] - t0)
            print(f"urgent {i + 1}/{URGENT}: {timings[-1] if len(got) > before else 'never'}", file=sys.stderr)
        time.sleep(2)  # anything sent twice would arrive now
    finally:
        watch.stop()
    return timings


def _burst(hooks: Receiver) -> float:
    from openfyxer import jobs
    from openfyxer.core.db import session_scope
    from openfyxer.models.notify import ChannelCreate
    from openfyxer.models.user import User
    from openfyxer.services import auth
    from openfyxer.services.notify import channels, events

    with session_scope() as s:
        owner = auth.register(s, email="burst@bench.example", password="Bench-password-1")
        channels.create(s, user_id=owner.id, data=ChannelCreate(kind="webhook", target={"url": hooks.url()},
                                                               events=["urgent"]))
        owner_id = owner.id
    t0 = time.perf_counter()
    for start in range(0, BURST, 100):  # raised as mail arrives: a batch per triage transaction
        with session_scope() as s:
            user = s.get(User, owner_id)
            for i in range(start, start + 100):
                events.raise_event(s, user=user, event="urgent", key=f"urgent:{uuid.uuid4()}",
                                   payload={"subject": f"Burst {i}", "sender": "load@bench.example"})
    hooks.wait_for(BURST, timeout=600)
    elapsed = time.perf_counter() - t0
    jobs.local_queue().join(60)
    print(f"burst: {len(hooks.got)} of {BURST} in {elapsed:.1f} s", file=sys.stderr)
    return elapsed


if __name__ == "__main__":
    sys.exit(main())
