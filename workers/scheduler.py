"""`python -m workers.scheduler`: enqueues the periodic jobs (needs OPENFYXER_REDIS_URL), and
watches every active mailbox (IMAP IDLE, unless OPENFYXER_IDLE=false) so new mail is synced in seconds.

RQ's CronScheduler gives each run a random job id, so two schedulers would enqueue twice;
ours claims each period with a Redis key and uses deterministic ids, so running several is safe.
Each scheduler also holds one IDLE connection per account: their sync jobs coalesce (one job id per
account), but a second scheduler doubles the connections, so set OPENFYXER_IDLE=false on the others.
"""

from __future__ import annotations

import signal
import sys
import threading

from openfyxer.core.config import get_settings
from openfyxer.core.logging import setup_logging
from openfyxer.jobs import run_scheduler
from openfyxer.services.mail import supervisor as mail_watch


def main() -> int:
    settings = get_settings()
    setup_logging(settings.log_level)
    if not settings.redis_url:
        print("OPENFYXER_REDIS_URL is not set: the app process schedules its own jobs.", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    watchers = mail_watch.start()
    try:
        run_scheduler(stop)
    finally:
        if watchers is not None:
            watchers.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
