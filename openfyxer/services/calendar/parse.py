"""Calendar data from a server or a mail, read in the sandbox: a stranger wrote it, and a crafted
RRULE or a deeply nested file must cost a child process its limits, not the server its memory."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from openfyxer.core import sandbox
from openfyxer.services.calendar import timeline

# A batch of a sync: a first sync of thousands of events is read in several children, each bounded.
BATCH = 250
# Children at work at once: the sandbox's own slots bound them, this bounds what waits in memory.
AHEAD = 2
LIMITS = sandbox.Limits(memory_mb=1024, cpu_seconds=90, wall_seconds=120)


def expand_batch(datas: list[str], start: datetime, end: datetime, zone: str) -> list[timeline.Parsed | str]:
    """Each resource's instances in [start, end), or the line that says why it could not be read.
    Runs in the child: one unreadable resource does not lose the others."""
    out: list[timeline.Parsed | str] = []
    for data in datas:
        try:
            out.append(timeline.expand(data, start, end, default_zone=zone))
        except timeline.CalendarDataError as e:
            out.append(str(e)[:300])
    return out


def expand_many(datas: list[str], start: datetime, end: datetime, zone: str) -> list[timeline.Parsed | str]:
    """`expand_batch` in the sandbox, BATCH resources per child."""
    return [outcome for chunk in expand_chunks(datas, start, end, zone) for outcome in chunk]


def expand_chunks(datas: list[str], start: datetime, end: datetime,
                  zone: str) -> Iterator[list[timeline.Parsed | str]]:
    """What `expand_many` returns, a batch at a time and in order, with the next batches already at
    work in their children: the caller stores one while the sandbox reads the others."""
    chunks = [datas[i:i + BATCH] for i in range(0, len(datas), BATCH)]
    if len(chunks) <= 1:
        yield from (_expand(chunk, start, end, zone) for chunk in chunks)
        return
    with ThreadPoolExecutor(max_workers=AHEAD, thread_name_prefix="expand") as pool:
        waiting = deque(pool.submit(_expand, chunk, start, end, zone) for chunk in chunks[:AHEAD])
        following = iter(chunks[AHEAD:])
        try:
            while waiting:
                done = waiting.popleft().result()
                chunk = next(following, None)
                if chunk is not None:
                    waiting.append(pool.submit(_expand, chunk, start, end, zone))
                yield done
        finally:
            for future in waiting:  # the caller stopped early: start nothing more
                future.cancel()


def _expand(chunk: list[str], start: datetime, end: datetime, zone: str) -> list[timeline.Parsed | str]:
    try:
        return sandbox.run(expand_batch, chunk, start, end, zone, limits=LIMITS)
    except sandbox.SandboxError as e:
        # One resource in the batch is hostile or huge: read them one by one to keep the rest.
        if len(chunk) == 1:
            return [f"left out: {e}"[:300]]
        return _one_by_one(chunk, start, end, zone)


def _one_by_one(chunk: list[str], start: datetime, end: datetime, zone: str) -> list[timeline.Parsed | str]:
    out: list[timeline.Parsed | str] = []
    for data in chunk:
        try:
            out.extend(sandbox.run(expand_batch, [data], start, end, zone, limits=LIMITS))
        except sandbox.SandboxError as e:
            out.append(f"left out: {e}"[:300])
    return out
