"""Connected calendar servers and their calendars: connect (sign-in checked first), list, show or
hide, count as busy or not, sync on demand, remove."""

from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlmodel import Session, select

from openfyxer.core.errors import Conflict, NotFound, ValidationError
from openfyxer.core.later import later
from openfyxer.integrations import caldav
from openfyxer.models.account import EmailAccount
from openfyxer.models.calendar import (
    CalDavConnect,
    Calendar,
    CalendarAccount,
    CalendarAccountPublic,
    CalendarEvent,
    CalendarObject,
    CalendarPublic,
    CalendarUpdate,
)
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.calendar import api_sync


def caldav_config(account: CalendarAccount) -> caldav.CalDavConfig:
    return caldav.CalDavConfig(url=account.server_url, username=account.username, password=account.password or "")


def connect_caldav(session: Session, *, user: User, data: CalDavConnect, ip: str | None = None) -> CalendarAccount:
    """Sign in to the server and list its calendars, then save the account (password encrypted) and
    one row per calendar, each synced by its own job. Nothing is written when the sign-in fails."""
    url = data.url.strip()
    if session.exec(select(CalendarAccount.id).where(CalendarAccount.user_id == user.id,
                                                     CalendarAccount.server_url == url,
                                                     CalendarAccount.username == data.username)).first():
        raise Conflict(f"{data.username} on {url} is already connected", code="calendar_account_exists")
    account = CalendarAccount(user_id=user.id, provider="caldav", server_url=url, username=data.username,
                              password=data.password)
    found = caldav.calendars(caldav_config(account))
    session.add(account)
    session.flush()
    for remote in found:
        cal = Calendar(user_id=user.id, account_id=account.id, url=remote.url, name=remote.name[:255],
                       color=remote.color)
        session.add(cal)
        session.flush()
        later(session, "sync_calendar", cal.id, owner=user.id)
    audit.record(session, action="calendar.connect", user_id=user.id, entity_type="calendar_account",
                 entity_id=account.id, details={"provider": "caldav", "server_url": url, "calendars": len(found)}, ip=ip)
    return account


def connect_oauth(session: Session, *, user: User, email_account_id: uuid.UUID, ip: str | None = None
                  ) -> CalendarAccount:
    """The calendars of a Gmail or Outlook account connected for mail, signed in with its OAuth grant;
    listed before anything is saved, each then synced by its own job."""
    mail = session.get(EmailAccount, email_account_id)
    if mail is None or mail.user_id != user.id:
        raise NotFound("no such mail account")
    provider = api_sync.PROVIDER_OF.get(mail.provider)
    if provider is None or not (mail.oauth_token or mail.oauth_refresh_token):
        raise ValidationError("only a Gmail or Outlook account connected with its provider's sign-in has calendars "
                              "to use; connect other calendars with CalDAV", code="calendar_not_oauth")
    if session.exec(select(CalendarAccount.id).where(CalendarAccount.user_id == user.id,
                                                     CalendarAccount.email_account_id == mail.id)).first():
        raise Conflict(f"the calendars of {mail.email_address} are already connected", code="calendar_account_exists")
    account = CalendarAccount(user_id=user.id, provider=provider, email_account_id=mail.id,
                              server_url=provider, username=mail.email_address)
    found = api_sync.list_calendars(api_sync.config_for(session, account))
    session.add(account)
    session.flush()
    for remote in sorted(found, key=lambda r: not r.primary):
        cal = Calendar(user_id=user.id, account_id=account.id, url=remote.id[:1000], name=remote.name[:255],
                       color=remote.color, busy=remote.primary, visible=True, writable=remote.writable)
        session.add(cal)
        session.flush()
        later(session, "sync_calendar", cal.id, owner=user.id)
    audit.record(session, action="calendar.connect", user_id=user.id, entity_type="calendar_account",
                 entity_id=account.id, details={"provider": provider, "email_account_id": str(mail.id),
                                                "calendars": len(found)}, ip=ip)
    return account


def _account(session: Session, user: User, account_id: uuid.UUID) -> CalendarAccount:
    account = session.get(CalendarAccount, account_id)
    if account is None or account.user_id != user.id:
        raise NotFound("no such calendar account")
    return account


def get_calendar(session: Session, *, user: User, calendar_id: uuid.UUID) -> Calendar:
    cal = session.get(Calendar, calendar_id)
    if cal is None or cal.user_id != user.id:
        raise NotFound("no such calendar")
    return cal


def public(cal: Calendar) -> CalendarPublic:
    return CalendarPublic(id=cal.id, account_id=cal.account_id, name=cal.name, color=cal.color, visible=cal.visible,
                          busy=cal.busy, writable=cal.writable, sync_state=cal.sync_state, sync_error=cal.sync_error,
                          synced_events=cal.synced_events, skipped=list(cal.skipped or []),
                          last_synced_at=cal.last_synced_at)


def list_accounts(session: Session, *, user: User) -> list[CalendarAccountPublic]:
    accounts = session.exec(select(CalendarAccount).where(CalendarAccount.user_id == user.id)
                            .order_by(CalendarAccount.created_at)).all()
    cals = session.exec(select(Calendar).where(Calendar.user_id == user.id).order_by(Calendar.name)).all()
    return [CalendarAccountPublic(id=a.id, provider=a.provider, server_url=a.server_url, username=a.username,
                                  calendars=[public(c) for c in cals if c.account_id == a.id]) for a in accounts]


def update_calendar(session: Session, *, user: User, calendar_id: uuid.UUID, data: CalendarUpdate) -> Calendar:
    cal = get_calendar(session, user=user, calendar_id=calendar_id)
    for name, value in data.model_dump(exclude_none=True).items():
        setattr(cal, name, value)
    session.add(cal)
    session.flush()
    return cal


def request_sync(session: Session, *, user: User, calendar_id: uuid.UUID) -> tuple[Calendar, str]:
    """"Sync now": the calendar and its job id (one per calendar: asking twice adds nothing)."""
    cal = get_calendar(session, user=user, calendar_id=calendar_id)
    return cal, later(session, "sync_calendar", cal.id, owner=user.id)


def sync_all(session: Session) -> int:
    """The periodic sync: one job per calendar, its owner's."""
    rows = session.exec(select(Calendar.id, Calendar.user_id)).all()
    for calendar_id, user_id in rows:
        later(session, "sync_calendar", calendar_id, owner=user_id)
    return len(rows)


def remove_account(session: Session, *, user: User, account_id: uuid.UUID, ip: str | None = None) -> int:
    """Forget a calendar server here (nothing is deleted on the server); returns its calendars' count."""
    account = _account(session, user, account_id)
    ids = list(session.exec(select(Calendar.id).where(Calendar.account_id == account.id)).all())
    # In bulk, children first: the instances can number tens of thousands.
    if ids:
        session.exec(delete(CalendarEvent).where(CalendarEvent.calendar_id.in_(ids)))
        session.exec(delete(CalendarObject).where(CalendarObject.calendar_id.in_(ids)))
        session.exec(delete(Calendar).where(Calendar.id.in_(ids)))
    session.delete(account)
    later(session, "index_calendar", user.id, owner=user.id)  # its meetings leave the knowledge store
    audit.record(session, action="calendar.remove", user_id=user.id, entity_type="calendar_account",
                 entity_id=account.id, details={"calendars": len(ids)}, ip=ip)
    session.flush()
    return len(ids)
