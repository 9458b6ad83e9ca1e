"""Calendar data from a server or a mail, read in the sandbox: a stranger wrote it, and a crafted
RRULE or a deeply nested file must cost a child process its limits, not the server its memory."""

from __future__ import annotations

from datetime import datetime

from openfyxer.core import sandbox
from openfyxer.services.calendar import timeline

# A batch of a sync: a first sync of thousands of events is read in several children, each bounded.
BATCH = 400
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
    out: list[timeline.Parsed | str] = []
    for i in range(0, len(datas), BATCH):
        chunk = datas[i:i + BATCH]
        try:
            out.extend(sandbox.run(expand_batch, chunk, start, end, zone, limits=LIMITS))
        except sandbox.SandboxError as e:
            # One resource in the batch is hostile or huge: read them one by one to keep the rest.
            if len(chunk) == 1:
                out.append(f"left out: {e}"[:300])
            else:
                out.extend(_one_by_one(chunk, start, end, zone))
    return out


def _one_by_one(chunk: list[str], start: datetime, end: datetime, zone: str) -> list[timeline.Parsed | str]:
    out: list[timeline.Parsed | str] = []
    for data in chunk:
        try:
            out.extend(sandbox.run(expand_batch, [data], start, end, zone, limits=LIMITS))
        except sandbox.SandboxError as e:
            out.append(f"left out: {e}"[:300])
    return out
