"""`python -m workers.worker`: an RQ worker for the OpenFyxer queue (needs OPENFYXER_REDIS_URL)."""

from __future__ import annotations

import argparse
import sys

from openfyxer.core.config import get_settings
from openfyxer.core.logging import setup_logging
from openfyxer.jobs import QUEUE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument("--simple", action="store_true", help="run jobs in this process (no fork)")
    args = parser.parse_args(argv)
    settings = get_settings()
    setup_logging(settings.log_level)
    if not settings.redis_url:
        print("OPENFYXER_REDIS_URL is not set: jobs run inside the app process, no worker needed.", file=sys.stderr)
        return 2
    from rq import Queue, SimpleWorker, Worker

    from openfyxer.integrations.redis_store import client

    conn = client(settings.redis_url)
    cls = SimpleWorker if args.simple else Worker
    worker = cls([Queue(QUEUE, connection=conn)], connection=conn)
    worker.work(burst=args.burst, with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
