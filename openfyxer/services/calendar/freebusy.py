"""Attendees' free/busy for the slot search, through the user's own calendar accounts.

A person is looked up with each of the user's Google / Outlook calendar accounts in turn until one
can see them (a colleague on the same Workspace or tenant, a calendar shared with the user), then
through the scheduling outbox of each CalDAV server that has one (RFC 6638: Nextcloud, Baikal,
iCloud; a server without one, such as Radicale, is not asked again for an hour). Whom
no account can see is named, and scheduled on the user's calendar alone: their time is not
guessed. Graph gives working hours too; without them a person is taken as available all day, so
only their busy time and the user's own hours decide.
"""

from __future__ import annotations

import logging
import time as clock
import uuid
from datetime import datetime, time

from sqlmodel import Session, select

from openfyxer.core import sandbox
from openfyxer.integrations import caldav, caldav_schedule, calendar_freebusy, google_calendar
from openfyxer.integrations.calendar_api import CalendarApiError
from openfyxer.models.account import EmailAccount
from openfyxer.models.calendar import CalendarAccount
from openfyxer.models.user import User
from openfyxer.services.calendar import api_sync, parse, slots
from openfyxer.services.calendar.accounts import caldav_config
from openfyxer.services.mail.oauth import OAuthError

log = logging.getLogger(__name__)
ALL_DAY = {d: ((time(0), slots.MIDNIGHT),) for d in range(7)}
NO_OUTBOX_FOR_S = 3600
_no_outbox: dict[uuid.UUID, float] = {}  # CalDAV account -> until when it is taken as not scheduling


def people(session: Session, *, user: User, addresses: list[str], start: datetime, end: datetime,
           count_tentative: bool = True) -> tuple[list[slots.Person], list[str]]:
    """(the people whose calendars were seen, the addresses no account could see)."""
    own = {a.lower() for a in session.exec(select(EmailAccount.email_address).where(
        EmailAccount.user_id == user.id)).all()} | {user.email.lower()}
    wanted = [a for a in dict.fromkeys(x.strip().lower() for x in addresses) if a and a not in own]
    wanted = wanted[:calendar_freebusy.MAX_PEOPLE]
    seen: dict[str, calendar_freebusy.Availability] = {}
    accounts = session.exec(select(CalendarAccount).where(CalendarAccount.user_id == user.id,
                                                          CalendarAccount.provider != "caldav")
                            .order_by(CalendarAccount.created_at)).all()
    for account in accounts:
        todo = [a for a in wanted if a not in seen]
        if not todo:
            break
        try:
            cfg = api_sync.config_for(session, account)
            ask = calendar_freebusy.google if isinstance(cfg, google_calendar.GoogleCalendarConfig) \
                else calendar_freebusy.graph
            answers = ask(cfg, todo, start, end)
        except (CalendarApiError, OAuthError) as e:  # one account failing leaves the others to answer
            log.warning("free/busy through calendar account %s failed: %s", account.id, e.message)
            continue
        seen |= {a: found for a, found in answers.items() if found is not None}
    for account in session.exec(select(CalendarAccount).where(CalendarAccount.user_id == user.id,
                                                              CalendarAccount.provider == "caldav")
                                .order_by(CalendarAccount.created_at)).all():
        todo = [a for a in wanted if a not in seen]
        if not todo:
            break
        seen |= _through_outbox(account, user.email, todo, start, end)
    found = [_person(seen[a], count_tentative) for a in wanted if a in seen]
    return found, [a for a in wanted if a not in seen]


def _through_outbox(account: CalendarAccount, address: str, people: list[str], start: datetime,
                    end: datetime) -> dict[str, calendar_freebusy.Availability]:
    if _no_outbox.get(account.id, 0) > clock.monotonic():
        return {}
    cfg = caldav_config(account)
    try:
        box = caldav_schedule.outbox(cfg, address)
        if box is None:
            _no_outbox[account.id] = clock.monotonic() + NO_OUTBOX_FOR_S
            return {}
        text = caldav_schedule.ask(cfg, box, people, start, end)
        # the periods were written from other people's calendars: read in the sandbox
        answers = sandbox.run(caldav_schedule.read_response, text, limits=parse.LIMITS)
    except (caldav.CalDavError, sandbox.SandboxError, ValueError, SyntaxError) as e:
        log.warning("free/busy through CalDAV account %s failed: %s", account.id, e)
        return {}
    wanted = set(people)
    return {a: calendar_freebusy.Availability(busy=b.busy, tentative=b.tentative)
            for a, b in answers.items() if b is not None and a in wanted}


def _person(available: calendar_freebusy.Availability, count_tentative: bool) -> slots.Person:
    busy = available.busy + (available.tentative if count_tentative else ())
    if available.hours is None:
        return slots.Person(hours=slots.WorkingHours(zone="UTC", days=ALL_DAY), busy=busy)
    zone, days = available.hours
    return slots.Person(hours=slots.WorkingHours(zone=zone, days={d: (span,) for d, span in days.items()}),
                        busy=busy)
