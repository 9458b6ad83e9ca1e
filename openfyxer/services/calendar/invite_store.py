"""The user's stored copy of an event they were invited to (or organise): found by UID across their
calendars, written back with its etag, removed. The server is the source of truth, as in editing.py:
a 412 means the server's copy changed meanwhile and wins."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, select

from openfyxer.integrations import caldav
from openfyxer.models.calendar import Calendar, CalendarAccount, CalendarEvent, CalendarObject
from openfyxer.models.user import User
from openfyxer.services.calendar import editing, itip, parse, sync
from openfyxer.services.calendar.accounts import caldav_config


@dataclass(frozen=True)
class Stored:
    obj: CalendarObject
    calendar: Calendar
    event: itip.Invitation  # the stored resource read like an invitation (method None)


def find(session: Session, user: User, uids: list[str]) -> dict[str, Stored]:
    """The stored resource of each UID on any of the user's calendars (read in the sandbox: the
    server's text is the sender's text once an invitation is accepted)."""
    if not uids:
        return {}
    rows = session.exec(select(CalendarObject, Calendar).join(Calendar, Calendar.id == CalendarObject.calendar_id)
                        .where(Calendar.user_id == user.id, CalendarObject.uid.in_(uids))
                        .order_by(CalendarObject.updated_at)).all()
    if not rows:
        return {}
    read = itip.read([obj.data for obj, _ in rows], user.timezone or "UTC")
    by_uid = {i.uid: i for i in read.invitations}
    return {obj.uid: Stored(obj, cal, by_uid[obj.uid]) for obj, cal in rows if obj.uid in by_uid}


def first_instance(session: Session, object_id: uuid.UUID) -> CalendarEvent | None:
    return session.exec(select(CalendarEvent).where(CalendarEvent.object_id == object_id)
                        .order_by(CalendarEvent.start_time)).first()


def put(session: Session, user: User, cal: Calendar, *, uid: str, data: str,
        stored: Stored | None = None) -> CalendarEvent | None:
    """Create the resource (none with this UID was stored) or replace the stored one while its etag
    holds; then store it as a sync would, expanded in the sandbox."""
    config = caldav_config(session.get(CalendarAccount, cal.account_id))
    try:
        remote = caldav.put(config, calendar_url=cal.url, uid=uid, data=data,
                            href=stored.obj.href if stored else None, etag=stored.obj.etag if stored else None)
    except caldav.CalDavConflict as e:
        raise editing.server_wins(session, cal, user) from e
    parsed = parse.expand_many([remote.data], *sync.horizon(), user.timezone or "UTC")[0]
    if isinstance(parsed, str):  # the server holds it; the next sync will say why it is not shown
        return None
    obj = sync.store_object(session, cal.id, stored.obj if stored else None, remote, parsed)
    sync.store_instances(session, obj, parsed.instances)
    return first_instance(session, obj.id)


def remove(session: Session, user: User, stored: Stored) -> None:
    """Delete the resource on its server (while its etag holds) and here."""
    cal = stored.calendar
    try:
        caldav.delete(caldav_config(session.get(CalendarAccount, cal.account_id)), calendar_url=cal.url,
                      href=stored.obj.href, etag=stored.obj.etag)
    except caldav.CalDavConflict as e:
        raise editing.server_wins(session, cal, user) from e
    session.exec(delete(CalendarEvent).where(CalendarEvent.object_id == stored.obj.id))
    session.delete(stored.obj)
    session.flush()
