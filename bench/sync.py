"""`python -m bench.sync`: first sync of the SpamAssassin corpus from a local Dovecot, beside mbsync.

Loads all 6,046 messages into a fresh Dovecot INBOX, then times OpenFyxer's full first sync
(fetch, parse, store in SQLite; no AI), mbsync (Debian isync) copying the same mailbox to a
Maildir, and OpenFyxer's re-sync with nothing changed. The last line is the JSON figures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENFYXER_ENV_FILE", os.devnull)
os.environ.setdefault("OPENFYXER_ENVIRONMENT", "test")

from bench.corpus import ROOT, messages  # noqa: E402
from tests.mailservers import start_dovecot, start_smtp_relay  # noqa: E402  (the test servers are the bench's too)


def _mbsync(dovecot, user, password: str, work: Path) -> float:  # noqa: ANN001
    mbsync = shutil.which("mbsync")
    if not mbsync:
        raise SystemExit("mbsync not found: apt-get install isync")
    (work / "maildir").mkdir()
    conf = work / "mbsyncrc"
    conf.write_text(f"""IMAPAccount bench
Host {dovecot.host}
Port {dovecot.imap_port}
User {user}
Pass {password}
SSLType None
AuthMechs LOGIN

IMAPStore far
Account bench

MaildirStore near
Path {work}/maildir/
Inbox {work}/maildir/INBOX
SubFolders Verbatim

Channel bench
Far :far:
Near :near:
Patterns INBOX
Create Near
SyncState *
""")
    start = time.perf_counter()
    out = subprocess.run([mbsync, "-c", str(conf), "-q", "bench"], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"mbsync failed: {out.stderr[-2000:]}")
    took = time.perf_counter() - start
    copied = sum(1 for _ in (work / "maildir" / "INBOX" / "cur").iterdir()) + \
        sum(1 for _ in (work / "maildir" / "INBOX" / "new").iterdir())
    print(f"mbsync copied {copied} messages in {took:.2f} s")
    return took


def main() -> int:
    corpus = [raw for _, raw in messages()]
    print(f"corpus: {len(corpus)} messages, {sum(map(len, corpus)) / 1e6:.1f} MB")
    work = Path(tempfile.mkdtemp(prefix="of-bench-sync-"))
    dovecot = start_dovecot(ssl=True)
    relay = start_smtp_relay(dovecot)
    try:
        user = dovecot.new_user("bench")
        dovecot.deliver_many_maildir(user.name, "INBOX", corpus)
        os.environ["OPENFYXER_DATA_DIR"] = str(work / "data")
        os.environ["OPENFYXER_TLS_CA_FILE"] = str(dovecot.cert_path)
        subprocess.run([sys.executable, "-m", "openfyxer.cli", "migrate"], cwd=ROOT, check=True, env=dict(os.environ))
        from openfyxer.services.mail import sync
        from tests.mailhelpers import connect_account

        # Warm Dovecot's index the way mbsync will find it: both runs read an indexed mailbox.
        conn = user.imap()
        conn.select("INBOX", readonly=True)
        conn.logout()
        mbsync_s = _mbsync(dovecot, user.name, user.password, work)

        account_id = connect_account(user, dovecot, relay)
        from openfyxer.core import later

        later.install(lambda jobs: None)  # the sync alone is measured, not the triage it declares after it
        start = time.perf_counter()
        result = sync.sync_account(account_id=account_id)
        openfyxer_s = time.perf_counter() - start
        print(f"openfyxer stored {result.new} messages in {openfyxer_s:.2f} s ({result.parse_errors} flagged unparseable)")
        start = time.perf_counter()
        again = sync.sync_account(account_id=account_id)
        resync_s = time.perf_counter() - start
        print(f"re-sync: {again.new} new, {again.flag_changes} flag changes in {resync_s:.3f} s")
    finally:
        relay.stop()
        dovecot.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"messages": result.new, "openfyxer_s": round(openfyxer_s, 3), "mbsync_s": round(mbsync_s, 3),
                      "ratio": round(openfyxer_s / mbsync_s, 3), "resync_s": round(resync_s, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
