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

from sqlalchemy import delete, func
from sqlmodel import Session, select

from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.core.later import later
from openfyxer.integrations import caldav
from openfyxer.models.calendar import Calendar, CalendarAccount, CalendarEvent, CalendarObject
from openfyxer.models.types import utcnow
from openfyxer.models.user import User
from openfyxer.services.calendar import api_sync, parse
from openfyxer.services.calendar.accounts import caldav_config

# Kept importable from here: what editing and the invitations write goes through the same store.
from openfyxer.services.calendar.store import (  # noqa: F401
    REEXPAND_AFTER, SKIPPED_KEPT, SyncResult, horizon, store_instances, store_new, store_object,
)

log = logging.getLogger(__name__)


def sync_calendar(*, calendar_id: uuid.UUID) -> SyncResult:
    """Bring one calendar up to date. A server error is kept on the calendar (shown in Settings) and
    raised again for the job's record; what was stored before stays as it was."""
    with session_scope() as session:
        cal = session.get(Calendar, calendar_id)
        if cal is None:
            return SyncResult()
        account = session.get(CalendarAccount, cal.account_id)
        user = session.get(User, cal.user_id)
        provider, url, token, zone = account.provider, cal.url, cal.sync_token, (user.timezone or "UTC")
        cfg = caldav_config(account) if provider == "caldav" else None
        cal.sync_state = "syncing"
        session.add(cal)
    try:
        if cfg is None:
            # Google and Outlook calendars come expanded from their APIs.
            result = api_sync.sync_api_calendar(calendar_id)
        else:
            result = _sync(calendar_id, cfg, url, token, zone)
    except Exception as e:  # whatever stopped it, the calendar must not stay "syncing"
        message = e.message if isinstance(e, OpenFyxerError) else f"the sync failed: {type(e).__name__}: {e}"
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
        cal = session.get(Calendar, calendar_id)
        if cal is None:  # removed while we read it
            return result
        _store(session, cal, known, todo, zone, result)
        cal.sync_token = changes.token
        cal.sync_state, cal.sync_error, cal.last_synced_at = "idle", None, utcnow()
        cal.skipped = (result.skipped + [s for s in (cal.skipped or []) if not result.full])[:SKIPPED_KEPT]
        cal.synced_events = session.exec(select(func.count()).select_from(CalendarObject).where(
            CalendarObject.calendar_id == calendar_id)).one()
        session.add(cal)
        # Even with nothing changed: time moved on, and a series' latest meeting with it.
        later(session, "index_calendar", cal.user_id, owner=cal.user_id)
    return result


def _store(session: Session, cal: Calendar, known: dict[str, CalendarObject], todo: list[caldav.RemoteObject],
           zone: str, result: SyncResult) -> None:
    start, end = horizon()
    remotes = iter(todo)
    for outcomes in parse.expand_chunks([o.data for o in todo], start, end, zone):
        new = []
        for outcome, remote in zip(outcomes, remotes):  # outcomes first: zip must not take a remote past them
            if isinstance(outcome, str):
                result.skipped.append(f"{remote.href}: {outcome}")
                continue
            result.skipped.extend(outcome.skipped)
            result.changed += 1
            if remote.href in known:
                obj = store_object(session, cal.id, known[remote.href], remote, outcome)
                result.instances += store_instances(session, obj, outcome.instances)
            else:
                new.append((remote, outcome))
        result.instances += store_new(session, cal, new)


def _delete(session: Session, known: dict[str, CalendarObject], hrefs: list[str]) -> int:
    ids = [known[h].id for h in hrefs if h in known]
    if ids:
        session.exec(delete(CalendarEvent).where(CalendarEvent.object_id.in_(ids)))
        session.exec(delete(CalendarObject).where(CalendarObject.id.in_(ids)))
    return len(ids)
