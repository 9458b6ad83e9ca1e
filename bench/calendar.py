"""`python -m bench.calendar`: calendars synced from a real CalDAV server, and the free-slot engine.

Five people in five zones, each with 1,000 events over two years on a local Radicale: 960 one-off
meetings and 40 recurring series (weekly or every two weeks, some with a cancelled and a moved
instance). Figures:
- `sync_events_per_s`: the first sync of all 5,000 resources through the product (listing,
  parsing in the sandbox, expansion over the horizon, storage in SQLite), and `first_sync_s`;
- `expand_year_ms`: one person's whole calendar expanded over a year, in process (median of 5);
- `slots_p95_ms`: 200 random requests (a two-week window, 30-90 minutes, the user and 0-2 of the
  others as attendees), each read from the database and searched, p95;
- `proposals_valid`: the share of proposed slots (three per request) free for every attendee
  and inside each one's working hours, checked by brute force against the stored events.
The last line is the JSON figures.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("OPENFYXER_ENV_FILE", os.devnull)
os.environ.setdefault("OPENFYXER_ENVIRONMENT", "test")
os.environ.setdefault("OPENFYXER_OUTBOUND", "any")  # the server is on 127.0.0.1
os.environ.setdefault("OPENFYXER_REGISTRATION", "open")  # five people sign up

from bench.corpus import ROOT  # noqa: E402
from tests.servers import start_radicale  # noqa: E402  (the test server is the bench's too)

PEOPLE = [("ana", "Europe/Bucharest"), ("bob", "America/New_York"), ("chika", "Asia/Tokyo"),
          ("dan", "Europe/London"), ("eva", "Europe/Bucharest")]
ONE_OFFS, SERIES = 960, 40
FIRST_DAY = date(2026, 1, 1)
DAYS = 730
REQUESTS = 200
PASSWORD = "bench-password"


def _local(d: date, hour: int, minute: int, zone: str) -> str:
    return f"TZID={zone}:{d:%Y%m%d}T{hour:02d}{minute:02d}00"


def person_calendar(seed: int, zone: str) -> str:
    """One VCALENDAR holding a person's 1,000 events, in their zone (the server stores each UID apart)."""
    rng = random.Random(seed)
    parts = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//OpenFyxer bench//EN"]
    stamp = "DTSTAMP:20260101T000000Z"
    for i in range(ONE_OFFS):
        d = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        hour, minute, length = rng.randrange(8, 18), rng.choice((0, 15, 30, 45)), rng.choice((30, 45, 60, 90))
        end = datetime(d.year, d.month, d.day, hour, minute) + timedelta(minutes=length)
        parts += ["BEGIN:VEVENT", f"UID:one-{seed}-{i}@bench", stamp, f"DTSTART;{_local(d, hour, minute, zone)}",
                  f"DTEND;{_local(end.date(), end.hour, end.minute, zone)}", f"SUMMARY:Meeting {i}",
                  *(["TRANSP:TRANSPARENT"] if i % 25 == 0 else []), "END:VEVENT"]
    for i in range(SERIES):
        d = FIRST_DAY + timedelta(days=rng.randrange(60))
        hour, interval = rng.randrange(8, 17), rng.choice((1, 2))
        uid = f"series-{seed}-{i}@bench"
        parts += ["BEGIN:VEVENT", f"UID:{uid}", stamp, f"DTSTART;{_local(d, hour, 0, zone)}",
                  f"DTEND;{_local(d, hour, 30, zone)}", f"RRULE:FREQ=WEEKLY;INTERVAL={interval};COUNT={100 // interval}",
                  f"SUMMARY:Series {i}"]
        cancelled, moved = d + timedelta(weeks=2 * interval), d + timedelta(weeks=4 * interval)
        parts += [f"EXDATE;{_local(cancelled, hour, 0, zone)}", "END:VEVENT"]
        parts += ["BEGIN:VEVENT", f"UID:{uid}", stamp, f"RECURRENCE-ID;{_local(moved, hour, 0, zone)}",
                  f"DTSTART;{_local(moved + timedelta(days=1), 16, 0, zone)}",
                  f"DTEND;{_local(moved + timedelta(days=1), 16, 30, zone)}", f"SUMMARY:Series {i} (moved)",
                  "END:VEVENT"]
    parts.append("END:VCALENDAR")
    return "\r\n".join(parts) + "\r\n"


def _upload(server, name: str, data: str) -> None:  # noqa: ANN001
    import caldav
    import requests

    with caldav.DAVClient(url=server.url, username=name, password=PASSWORD) as client:
        cal = client.principal().make_calendar(name="Work", cal_id="work")
        # Radicale takes a whole calendar PUT on the collection: one request instead of 1,000.
        r = requests.put(str(cal.url), data=data.encode(), auth=(name, PASSWORD),
                         headers={"Content-Type": "text/calendar"}, timeout=120)
        r.raise_for_status()


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="of-bench-calendar-"))
    server = start_radicale({name: PASSWORD for name, _ in PEOPLE})
    try:
        os.environ["OPENFYXER_DATA_DIR"] = str(work / "data")
        subprocess.run([sys.executable, "-m", "openfyxer.cli", "migrate"], cwd=ROOT, check=True, env=dict(os.environ))
        datas = {name: person_calendar(seed, zone) for seed, (name, zone) in enumerate(PEOPLE)}
        t0 = time.perf_counter()
        for name, data in datas.items():
            _upload(server, name, data)
        print(f"in {time.perf_counter() - t0:.0f} s uploaded {len(PEOPLE)} calendars of {ONE_OFFS + SERIES} events to Radicale", file=sys.stderr)
        return _measure(server, datas)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def _measure(server, datas: dict[str, str]) -> int:  # noqa: ANN001
    from openfyxer.core import later
    from openfyxer.core.db import session_scope
    from sqlmodel import select

    from openfyxer.models.calendar import CalDavConnect, Calendar
    from openfyxer.services import auth
    from openfyxer.services.calendar import accounts, sync, timeline

    later.install(lambda jobs: None)  # the sync is run here, timed, not by the jobs connect declares
    users = {}
    with session_scope() as s:
        for name, zone in PEOPLE:
            user = auth.register(s, email=f"{name}@bench.example", password="Bench-password-1", timezone=zone)
            accounts.connect_caldav(s, user=user, data=CalDavConnect(url=server.url, username=name, password=PASSWORD))
            users[name] = user.id
    with session_scope() as s:
        calendar_ids = list(s.exec(select(Calendar.id)).all())
    t0 = time.perf_counter()
    results = [sync.sync_calendar(calendar_id=c) for c in calendar_ids]
    first_sync_s = time.perf_counter() - t0
    events = sum(r.changed for r in results)
    instances = sum(r.instances for r in results)
    print(f"first sync: {events} events, {instances} instances in {first_sync_s:.1f} s; "
          f"skipped {sum(len(r.skipped) for r in results)}", file=sys.stderr)

    year = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    expand_ms = []
    for _ in range(5):
        t0 = time.perf_counter()
        timeline.expand(datas["ana"], *year, default_zone="Europe/Bucharest")
        expand_ms.append((time.perf_counter() - t0) * 1000)

    slot_ms, valid, proposed = _slot_requests(users)
    out = {"events": events, "series": SERIES * len(PEOPLE), "instances": instances,
           "first_sync_s": round(first_sync_s, 1), "sync_events_per_s": round(events / first_sync_s, 1),
           "expand_year_ms": round(statistics.median(expand_ms), 1),
           "slots_p95_ms": round(sorted(slot_ms)[int(0.95 * len(slot_ms)) - 1], 1),
           "slots_p50_ms": round(statistics.median(slot_ms), 1),
           "proposals": proposed, "proposals_valid": round(valid / max(1, proposed), 4)}
    print(json.dumps(out))
    return 0


def _slot_requests(users: dict) -> tuple[list[float], int, int]:  # noqa: ANN001
    from openfyxer.core.db import session_scope
    from openfyxer.models.user import User
    from openfyxer.services.calendar import scheduling, slots

    rng = random.Random(7)
    now = datetime.now(UTC)
    timings, valid, proposed = [], 0, 0
    with session_scope() as s:
        people = {name: s.get(User, uid) for name, uid in users.items()}
        for _ in range(REQUESTS):
            me, *others = rng.sample(sorted(people), 1 + rng.randrange(3))
            start = now + timedelta(days=rng.randrange(1, 180), hours=rng.randrange(24))
            end, minutes = start + timedelta(days=14), rng.choice((30, 45, 60, 90))
            t0 = time.perf_counter()
            attendees = [_person(s, people[o], start, end) for o in others]
            found = scheduling.free_slots(s, user=people[me], start=start, end=end, duration_minutes=minutes,
                                          others=attendees, now=now)
            offer = slots.propose(found, zone=people[me].timezone, limit=3)
            timings.append((time.perf_counter() - t0) * 1000)
            for slot in offer:
                proposed += 1
                valid += all(_free_and_working(s, people[p], slot) for p in [me, *others])
    return timings, valid, proposed


def _person(s, user, start: datetime, end: datetime):  # noqa: ANN001, ANN202
    from openfyxer.services import settings as user_settings
    from openfyxer.services.calendar import events, scheduling, slots

    prefs = user_settings.scheduling_prefs(user_settings.get_or_create(s, user_id=user.id))
    busy = events.busy(s, user=user, start=start - timedelta(hours=2), end=end + timedelta(hours=2))
    return slots.Person(hours=scheduling.working_hours(prefs, user.timezone), busy=tuple(busy))


def _free_and_working(s, user, slot) -> bool:  # noqa: ANN001
    """Checked apart from the engine: every stored instance that blocks time, and 09:00-17:00 on a weekday
    in the person's own zone (the default working hours the bench leaves in place)."""
    from sqlmodel import select

    from openfyxer.models.calendar import CalendarEvent

    zone = ZoneInfo(user.timezone)
    a, b = slot.start.astimezone(zone), slot.end.astimezone(zone)
    if a.date() != b.date() and not (b.hour == 0 and b.minute == 0) or a.weekday() >= 5:
        return False
    if (a.hour, a.minute) < (9, 0) or (b.hour, b.minute) > (17, 0):
        return False
    rows = s.exec(select(CalendarEvent).where(CalendarEvent.user_id == user.id, CalendarEvent.status != "CANCELLED",
                                              CalendarEvent.transparent.is_(False),
                                              CalendarEvent.start_time < slot.end + timedelta(days=1),
                                              CalendarEvent.end_time > slot.start - timedelta(days=1))).all()
    for e in rows:
        if e.is_all_day:
            first = datetime.combine(e.start_time.date(), datetime.min.time(), tzinfo=zone)
            last = datetime.combine(e.end_time.date(), datetime.min.time(), tzinfo=zone)
        else:
            first, last = e.start_time, e.end_time
        if first < slot.end and last > slot.start:
            return False
    return True


if __name__ == "__main__":
    sys.exit(main())
