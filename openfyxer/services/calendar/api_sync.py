"""Google and Outlook calendars, read through their JSON APIs with the mail account's OAuth grant.

Google Calendar v3 (`syncToken`) and Microsoft Graph (`calendarView/delta`) both hand out instances
already expanded, so each instance is kept as its own object (keyed by what the API removes it by)
with its one row. The token and the start of the window it was opened on are saved together, in the
same transaction as the changes they cover: a sync cut short repeats from the old token. A window
older than a month is opened again by a full listing, as the CalDAV series are re-expanded, so the
calendar keeps reaching two years ahead. A token the API forgot (410) means a full listing, without
duplicates: what the listing leaves out is deleted.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.core.later import later
from openfyxer.integrations import google_calendar, graph_calendar
from openfyxer.integrations.calendar_api import CalendarAuthError, RemoteCalendar, SyncTokenExpired
from openfyxer.integrations.calendar_values import Instance
from openfyxer.models.account import EmailAccount
from openfyxer.models.calendar import Calendar, CalendarAccount, CalendarEvent, CalendarObject
from openfyxer.models.types import utcnow
from openfyxer.services.calendar import store
from openfyxer.services.mail import oauth

log = logging.getLogger(__name__)
REFRESH_MARGIN = timedelta(minutes=2)
PROVIDER_OF = {"gmail": "google", "outlook": "microsoft"}  # mail account provider -> calendar provider

Config = google_calendar.GoogleCalendarConfig | graph_calendar.GraphCalendarConfig


def config_for(session: Session, account: CalendarAccount) -> Config:
    """The API's address and a valid access token (refreshed, and kept, when about to expire)."""
    mail = session.get(EmailAccount, account.email_account_id) if account.email_account_id else None
    if mail is None:
        raise CalendarAuthError("the mail account these calendars signed in with was removed")
    settings = get_settings()
    if account.provider == "google":
        return google_calendar.GoogleCalendarConfig(access_token=oauth.access_token_for(session, mail),
                                                    api_base=settings.google_calendar_api_base)
    if not (account.password and account.token_expires_at and account.token_expires_at - REFRESH_MARGIN > utcnow()):
        tokens = oauth.graph_token(session, mail)
        account.password = tokens.access_token
        account.token_expires_at = tokens.expires_at or utcnow() + timedelta(minutes=30)
        session.add(account)
        session.flush()
    return graph_calendar.GraphCalendarConfig(access_token=account.password, api_base=settings.graph_api_base)


def list_calendars(cfg: Config) -> list[RemoteCalendar]:
    if isinstance(cfg, google_calendar.GoogleCalendarConfig):
        return google_calendar.calendars(cfg)
    return graph_calendar.calendars(cfg)


def _split(stored: str | None) -> tuple[datetime | None, str | None]:
    if not stored or " " not in stored:
        return None, None
    opened, token = stored.split(" ", 1)
    try:
        return datetime.fromisoformat(opened), token
    except ValueError:
        return None, None


def _key(uid: str, recurrence_id: str | None) -> str:
    return f"{uid}#{recurrence_id or ''}"


def key_of(provider: str, inst: Instance) -> str:
    """What the object of an instance is stored under: what the API removes it by (see _fetch)."""
    return inst.remote_id if provider == "microsoft" else _key(inst.uid, inst.recurrence_id)


def keep(session: Session, obj: CalendarObject, inst: Instance, provider: str) -> None:
    """The instance as its object's one row, with the id and version the API writes it back by."""
    obj.uid, obj.recurring, obj.updated_at = inst.uid[:500], inst.is_recurring, utcnow()
    obj.etag, obj.remote_id = inst.etag[:255] or None, inst.remote_id[:1024] or None
    session.add(obj)
    session.flush()
    store.store_instances(session, obj, [inst], provider=provider)


def _fetch(cfg: Config, remote_id: str, token: str | None, start: datetime, end: datetime
           ) -> tuple[list[tuple[str, Instance]], list[str], str, list[str]]:
    """(objects changed as (key, instance), keys removed, next token, skipped lines); keys are what
    the API removes an instance by: Google's (uid, recurrence id), Graph's event id."""
    if isinstance(cfg, google_calendar.GoogleCalendarConfig):
        got = google_calendar.sync(cfg, remote_id, token, time_min=None if token else start,
                                   time_max=None if token else end)
        removed = [_key(uid, rid) if rid else f"{uid}#*" for uid, rid in got.cancelled]
        return [(_key(i.uid, i.recurrence_id), i) for i in got.events], removed, got.next_sync_token, got.skipped
    got = graph_calendar.delta(cfg, remote_id, start, end, token)
    ids = {key: gid for gid, key in got.keys.items()}
    return [(ids[(i.uid, i.recurrence_id)], i) for i in got.events], got.removed, got.delta_link, got.skipped


def sync_api_calendar(calendar_id: uuid.UUID) -> store.SyncResult:
    with session_scope() as session:
        cal = session.get(Calendar, calendar_id)
        if cal is None:
            return store.SyncResult()
        cfg = config_for(session, session.get(CalendarAccount, cal.account_id))
        remote_id, stored = cal.url, cal.sync_token
    opened, token = _split(stored)
    now = utcnow()
    if opened is None or opened < now - store.REEXPAND_AFTER:
        token = None
    start, end = store.horizon(now)
    try:
        changed, removed, next_token, skipped = _fetch(cfg, remote_id, token, start, end)
    except SyncTokenExpired:
        log.info("calendar %s: the API forgot the sync token, reading it whole", calendar_id)
        token = None
        changed, removed, next_token, skipped = _fetch(cfg, remote_id, None, start, end)
    result = store.SyncResult(full=token is None, skipped=list(skipped))
    with session_scope() as session:
        cal = session.get(Calendar, calendar_id)
        if cal is None:  # removed while we read it
            return result
        provider = session.get(CalendarAccount, cal.account_id).provider
        known = {o.href: o for o in session.exec(select(CalendarObject).where(
            CalendarObject.calendar_id == calendar_id)).all()}
        listed = {key for key, _ in changed}
        if result.full:
            gone = [h for h in known if h not in listed]
        else:
            gone = [h for h in known for r in removed if h == r or (r.endswith("#*") and h.startswith(r[:-1]))]
        result.deleted = _delete(session, [known.pop(h) for h in dict.fromkeys(gone) if h in known])
        for key, inst in changed:
            obj = known.get(key) or CalendarObject(calendar_id=calendar_id, href=key[:1000], data="")
            keep(session, obj, inst, provider)
            known[key] = obj
            result.instances += 1
            result.changed += 1
        cal.sync_token = f"{(now if token is None else opened).isoformat()} {next_token}"
        cal.sync_state, cal.sync_error, cal.last_synced_at = "idle", None, utcnow()
        cal.skipped = (result.skipped + [s for s in (cal.skipped or []) if not result.full])[:store.SKIPPED_KEPT]
        cal.synced_events = session.exec(select(func.count()).select_from(CalendarObject).where(
            CalendarObject.calendar_id == calendar_id)).one()
        session.add(cal)
        later(session, "index_calendar", cal.user_id, owner=cal.user_id)  # meetings feed the knowledge graph
    return result


def _delete(session: Session, objects: list[CalendarObject]) -> int:
    ids = [o.id for o in objects]
    if ids:
        session.exec(delete(CalendarEvent).where(CalendarEvent.object_id.in_(ids)))
        session.exec(delete(CalendarObject).where(CalendarObject.id.in_(ids)))
    return len(ids)
