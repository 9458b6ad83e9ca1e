"""Events of Google and Outlook calendars made, changed and deleted here, through their JSON APIs.

Each write goes to the provider first and what it answers is stored, under the key a later sync
finds it by (api_sync.key_of), so the sync updates the same row and never adds a second. A change
or a delete carries the etag the event was read with; editing.py turns a conflict into "the server
wins". Only single events are written: a series is changed in the provider's own app.
"""

from __future__ import annotations

from sqlmodel import Session, select

from openfyxer.core.errors import ValidationError
from openfyxer.integrations import google_calendar, graph_calendar
from openfyxer.integrations.calendar_values import EventFields, Instance
from openfyxer.models.calendar import Calendar, CalendarAccount, CalendarObject
from openfyxer.services.calendar import api_sync


def _writable(cal: Calendar) -> None:
    if not cal.writable:
        raise ValidationError(f"{cal.name} is a calendar you may only read: put the event in another one",
                              code="calendar_read_only")


def create(session: Session, cal: Calendar, account: CalendarAccount, fields: EventFields) -> CalendarObject:
    _writable(cal)
    cfg = api_sync.config_for(session, account)
    if account.provider == "google":
        inst = google_calendar.insert(cfg, cal.url, fields)
    else:
        inst = graph_calendar.create(cfg, cal.url, fields)
    return _keep(session, cal, account.provider, inst)


def update(session: Session, cal: Calendar, account: CalendarAccount, obj: CalendarObject,
           fields: EventFields) -> CalendarObject:
    _writable(cal)
    cfg = api_sync.config_for(session, account)
    if account.provider == "google":
        inst = google_calendar.patch(cfg, cal.url, _remote_id(obj), fields, obj.etag)
    else:
        inst = graph_calendar.update(cfg, _remote_id(obj), fields, obj.etag)
    return _keep(session, cal, account.provider, inst, obj)


def delete(session: Session, cal: Calendar, account: CalendarAccount, obj: CalendarObject) -> None:
    _writable(cal)
    cfg = api_sync.config_for(session, account)
    if account.provider == "google":
        google_calendar.delete(cfg, cal.url, _remote_id(obj), obj.etag)
    else:
        graph_calendar.delete(cfg, _remote_id(obj), obj.etag)


def _remote_id(obj: CalendarObject) -> str:
    if not obj.remote_id:  # synced before the ids were kept: the next sync brings it
        raise ValidationError("this event must be synced again before it can be changed here: sync the calendar",
                              code="calendar_resync_needed")
    return obj.remote_id


def _keep(session: Session, cal: Calendar, provider: str, inst: Instance,
          obj: CalendarObject | None = None) -> CalendarObject:
    key = api_sync.key_of(provider, inst)[:1000]
    if obj is None:  # a sync that ran meanwhile may have stored it already
        obj = session.exec(select(CalendarObject).where(CalendarObject.calendar_id == cal.id,
                                                        CalendarObject.href == key)).first()
    obj = obj or CalendarObject(calendar_id=cal.id, href=key, data="")
    api_sync.keep(session, obj, inst, provider)
    return obj
