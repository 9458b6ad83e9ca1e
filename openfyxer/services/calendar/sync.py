"""Sync one calendar from its server: incremental by sync token, else a full listing compared by
etag; each resource kept whole (`calendar_objects`) and expanded into instances (`calendar_events`)
over the horizon the week view and the slot search read.

Crash-safe by construction: the token is saved in the same transaction as the changes it covers,
so a sync cut short repeats from the old token and writes the same rows again (keyed by href and by
uid + recurrence id), never twice. An instance keeps its id across syncs while it exists, so what
points at it (a meeting's recording) stays attached.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func, insert
from sqlmodel import Session, select

from openfyxer.core.db import session_scope
from openfyxer.integrations import caldav
from openfyxer.models.calendar import Calendar, CalendarAccount, CalendarEvent, CalendarObject
from openfyxer.models.types import utcnow
from openfyxer.models.user import User
from openfyxer.services.calendar import parse, timeline
from openfyxer.services.calendar.accounts import caldav_config

log = logging.getLogger(__name__)

# What is expanded into rows: a year back ("when did I last meet Ana?") and two ahead (scheduling).
PAST = timedelta(days=366)
AHEAD = timedelta(days=731)
SKIPPED_KEPT = 50  # lines about malformed events shown per calendar
# A series expanded this long ago is expanded again from its stored text: its instances must reach
# two years ahead of today, not of the day it last changed.
REEXPAND_AFTER = timedelta(days=30)


@dataclass
class SyncResult:
    full: bool = False
    changed: int = 0
    deleted: int = 0
    instances: int = 0
    skipped: list[str] = field(default_factory=list)
    error: str | None = None


def horizon(now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or utcnow()
    return now - PAST, now + AHEAD


def sync_calendar(*, calendar_id: uuid.UUID) -> SyncResult:
    """Bring one calendar up to date. A server error is kept on the calendar (shown in Settings) and
    raised again for the job's record; what was stored before stays as it was."""
    with session_scope() as session:
        cal = session.get(Calendar, calendar_id)
        if cal is None:
            return SyncResult()
        account = session.get(CalendarAccount, cal.account_id)
        user = session.get(User, cal.user_id)
        cfg, url, token, zone = caldav_config(account), cal.url, cal.sync_token, (user.timezone or "UTC")
        cal.sync_state = "syncing"
        session.add(cal)
    try:
        result = _sync(calendar_id, cfg, url, token, zone)
    except Exception as e:  # whatever stopped it, the calendar must not stay "syncing"
        message = e.message if isinstance(e, caldav.CalDavError) else f"the sync failed: {type(e).__name__}: {e}"
        with session_scope() as session:
            cal = session.get(Calendar, calendar_id)
            if cal is not None:
                cal.sync_state, cal.sync_error = "error", message[:1000]
                session.add(cal)
        raise
    return result


def _sync(calendar_id: uuid.UUID, cfg: caldav.CalDavConfig, url: str, token: str | None, zone: str) -> SyncResult:
    result = SyncResult()
    changes = None
    if token:
        try:
            changes = caldav.changes(cfg, url, token)
        except caldav.SyncTokenExpired:
            log.info("calendar %s: sync token expired, reading it whole", calendar_id)
    if changes is None:
        result.full = True
        changes = caldav.snapshot(cfg, url)
    with session_scope() as session:
        known = {o.href: o for o in session.exec(select(CalendarObject).where(
            CalendarObject.calendar_id == calendar_id)).all()}
        deleted = changes.deleted
        if result.full:  # a listing says what is gone by leaving it out
            listed = {o.href for o in changes.changed}
            deleted = [h for h in known if h not in listed]
        todo = [o for o in changes.changed if o.href not in known or known[o.href].etag != o.etag or not o.etag]
        taken, gone, old = {o.href for o in todo}, set(deleted), utcnow() - REEXPAND_AFTER
        todo += [caldav.RemoteObject(o.href, o.etag, o.data) for o in known.values()
                 if o.recurring and o.updated_at < old and o.href not in taken and o.href not in gone]
        result.deleted = _delete(session, known, deleted)
        start, end = horizon()
        parsed = parse.expand_many([o.data for o in todo], start, end, zone)
        for remote, outcome in zip(todo, parsed):
            if isinstance(outcome, str):
                result.skipped.append(f"{remote.href}: {outcome}")
                continue
            result.skipped.extend(outcome.skipped)
            obj = store_object(session, calendar_id, known.get(remote.href), remote, outcome)
            result.instances += store_instances(session, obj, outcome.instances)
            result.changed += 1
        cal = session.get(Calendar, calendar_id)
        if cal is None:  # removed while we read it
            return result
        cal.sync_token = changes.token
        cal.sync_state, cal.sync_error, cal.last_synced_at = "idle", None, utcnow()
        cal.skipped = (result.skipped + [s for s in (cal.skipped or []) if not result.full])[:SKIPPED_KEPT]
        cal.synced_events = session.exec(select(func.count()).select_from(CalendarObject).where(
            CalendarObject.calendar_id == calendar_id)).one()
        session.add(cal)
    return result


def _delete(session: Session, known: dict[str, CalendarObject], hrefs: list[str]) -> int:
    ids = [known[h].id for h in hrefs if h in known]
    if ids:
        session.exec(delete(CalendarEvent).where(CalendarEvent.object_id.in_(ids)))
        session.exec(delete(CalendarObject).where(CalendarObject.id.in_(ids)))
    return len(ids)


def store_object(session: Session, calendar_id: uuid.UUID, obj: CalendarObject | None, remote: caldav.RemoteObject,
                  parsed: timeline.Parsed) -> CalendarObject:
    uid = parsed.instances[0].uid if parsed.instances else (obj.uid if obj else "")
    if obj is None:
        obj = CalendarObject(calendar_id=calendar_id, href=remote.href)
    obj.etag, obj.data, obj.uid, obj.updated_at = remote.etag, remote.data, uid[:500], utcnow()
    obj.recurring = any(i.is_recurring for i in parsed.instances)
    session.add(obj)
    session.flush()
    return obj


def store_instances(session: Session, obj: CalendarObject, instances: list[timeline.Instance]) -> int:
    """Replace the object's instances, keeping the id of each that still exists."""
    cal = session.get(Calendar, obj.calendar_id)
    existing = {(e.uid, e.recurrence_id): e for e in session.exec(select(CalendarEvent).where(
        CalendarEvent.object_id == obj.id)).all()}
    fresh = []
    seen = set()
    for inst in instances:
        key = (inst.uid[:500], inst.recurrence_id or "")
        if key in seen:
            continue
        seen.add(key)
        values = _row(inst)
        row = existing.pop(key, None)
        if row is None:
            fresh.append({"id": uuid.uuid4(), "user_id": cal.user_id, "calendar_id": cal.id, "object_id": obj.id,
                          "provider": "caldav", "uid": key[0], "recurrence_id": key[1], "created_at": utcnow(),
                          **values})
        else:
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)
    if existing:
        session.exec(delete(CalendarEvent).where(CalendarEvent.id.in_([e.id for e in existing.values()])))
    if fresh:
        session.execute(insert(CalendarEvent), fresh)  # in bulk: a series is hundreds of rows
    return len(seen)


def _row(inst: timeline.Instance) -> dict:
    return {
        "title": inst.summary[:500] or None, "description": inst.description or None,
        "location": inst.location[:500] or None, "start_time": as_utc(inst.start), "end_time": as_utc(inst.end),
        "tzid": inst.tzid, "is_all_day": inst.all_day, "status": inst.status[:20], "transparent": inst.transparent,
        "organizer": inst.organizer[:255] or None, "attendees": [a.email for a in inst.attendees],
        "external_id": inst.uid[:255],
    }


def as_utc(value: datetime | date) -> datetime:
    """A stored instant: an all-day date becomes midnight UTC of that date (its reader places the
    date in the user's zone)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=UTC)
