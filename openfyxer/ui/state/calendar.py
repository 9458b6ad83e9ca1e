"""The Calendar page: connected calendars, a week in the user's zone, new events, finding a time."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import reflex as rx
from babel.dates import format_date, format_time

from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError, ValidationError
from openfyxer.models.calendar import CalDavConnect, CalendarUpdate, EventWrite
from openfyxer.services.calendar import accounts, editing, events, scheduling
from openfyxer.ui.state.mail import MailState

FIND_DAYS = 14  # "find a time" looks this far ahead
SYNC_WAIT_S = 90  # how long an open page follows a sync it started
AGENDA_DAYS = 30


class CalendarState(MailState):
    calendars: list[dict] = []
    writable_calendars: list[dict] = []
    # The event the form is changing ("" : the form makes a new one); an all-day one keeps its length in days.
    editing_id: str = ""
    editing_all_day: bool = False
    editing_days: int = 1
    # What the form does not show of the event being changed, sent back as it was (an update writes every field).
    editing_kept: dict[str, str] = {}
    notice: str = ""
    week_start: str = ""  # ISO date of the Monday shown, in the user's zone
    week_label: str = ""
    days: list[dict] = []
    view: str = "week"  # "week", or "agenda": the next AGENDA_DAYS days that have events, as a list
    agenda: list[dict] = []
    slots: list[dict] = []
    proposals: list[dict] = []

    def load(self):  # noqa: ANN201
        self.notice, self.slots, self.proposals = "", [], []
        self.week_start = ""
        return self._load_page()

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self._tz or "UTC")

    def _monday(self) -> date:
        if self.week_start:
            return date.fromisoformat(self.week_start)
        today = datetime.now(self._zone()).date()
        return today - timedelta(days=today.weekday())

    def _load(self) -> None:
        with session_scope() as db:
            user = self._user(db)
            self._read_calendars(db, user)
            self._read_week(db, user)

    def _read_calendars(self, db, user) -> None:  # noqa: ANN001
        states = {"idle": self._t("Synced"), "syncing": self._t("Syncing…"), "error": self._t("Sync failed")}
        self.calendars = [
            {"id": str(c.id), "name": c.name or self._t("(no name)"), "server": a.server_url, "visible": c.visible,
             "busy": c.busy, "state": c.sync_state, "state_label": states.get(c.sync_state, c.sync_state),
             "error": c.sync_error or "", "count": self._t("{n} events", n=self._num(c.synced_events)),
             "skipped": "; ".join(c.skipped or [])[:300], "writable": c.writable}
            for a in accounts.list_accounts(db, user=user) for c in a.calendars]
        # a new event can go only where the provider lets the user write (not a subscribed holidays calendar)
        self.writable_calendars = [c for c in self.calendars if c["writable"]]

    def _read_week(self, db, user) -> None:  # noqa: ANN001
        monday = self._monday()
        self.week_start = monday.isoformat()
        self.days = self._by_day(db, user, monday, 7)
        last = monday + timedelta(days=6)
        self.week_label = f"{format_date(monday, 'd MMM', locale=self.lang)} – {format_date(last, 'd MMM y', locale=self.lang)}"
        if self.view == "agenda":
            today = datetime.now(self._zone()).date()
            self.agenda = [d for d in self._by_day(db, user, today, AGENDA_DAYS, long_labels=True) if d["events"]]

    def _by_day(self, db, user, first: date, count: int, long_labels: bool = False) -> list[dict]:  # noqa: ANN001
        """Each of `count` days from `first` (in the user's zone) with its events; one over several days
        shows on each."""
        zone = self._zone()
        start = datetime.combine(first, time(0), tzinfo=zone)
        found = events.list_events(db, user=user, start=start, end=start + timedelta(days=count))
        by_day: dict[date, list[dict]] = {first + timedelta(days=i): [] for i in range(count)}
        for e in found:
            a, b = events.local_span(e, zone)
            day = a.astimezone(zone).date()
            for d in by_day:  # an event over several days shows on each
                if a < datetime.combine(d + timedelta(days=1), time(0), tzinfo=zone) and \
                        b > datetime.combine(d, time(0), tzinfo=zone) or (a == b and d == day):
                    by_day[d].append(self._event_row(e, a.astimezone(zone), b.astimezone(zone)))
        label = "EEEE d MMMM" if long_labels else "EEE d MMM"
        return [{"iso": d.isoformat(), "label": format_date(d, label, locale=self.lang), "events": rows}
                for d, rows in by_day.items()]

    def show(self, view: str | list[str]) -> None:
        self.view = "agenda" if view == "agenda" else "week"
        self._redraw()

    def _event_row(self, e, a: datetime, b: datetime) -> dict:  # noqa: ANN001
        when = self._t("All day") if e.is_all_day else \
            f"{format_time(a, 'HH:mm', locale=self.lang)}–{format_time(b, 'HH:mm', locale=self.lang)}"
        days = max(1, (b.date() - a.date()).days) if e.is_all_day else 1
        return {"id": str(e.id), "title": e.title or self._t("(no title)"), "when": when,
                "location": e.location or "", "tentative": e.status == "TENTATIVE", "all_day": e.is_all_day,
                "days": days, "date": a.date().isoformat(), "start_hm": a.strftime("%H:%M"),
                "end_hm": b.strftime("%H:%M"), "raw_title": e.title or "", "description": e.description or ""}

    def _redraw(self) -> None:
        try:
            self._load()
        except OpenFyxerError as e:
            self._fail(e)

    def next_week(self) -> None:
        self.week_start = (self._monday() + timedelta(days=7)).isoformat()
        self._redraw()

    def previous_week(self) -> None:
        self.week_start = (self._monday() - timedelta(days=7)).isoformat()
        self._redraw()

    def this_week(self) -> None:
        self.week_start = ""
        self._redraw()

    async def connect(self, form: dict):  # noqa: ANN201
        """Signs in to the server and lists its calendars (network work: in a thread); then follows the
        first sync so the week fills in as it lands."""
        self.error, self.notice = "", ""
        fields = {k: (form.get(k) or "").strip() for k in ("url", "username")}
        fields["password"] = form.get("caldav_password") or ""
        ip = self.router.session.client_ip
        account = await self._off_loop(lambda db, user: accounts.connect_caldav(
            db, user=user, data=CalDavConnect(**fields), ip=ip))
        if account is None:
            return None
        self.notice = self._t("Connected; the calendars are syncing.")
        self._redraw()
        return [rx.set_value("caldav_password", ""), CalendarState.follow_sync]

    @rx.event(background=True)
    async def follow_sync(self):  # noqa: ANN201
        for _ in range(SYNC_WAIT_S):
            await asyncio.sleep(1)
            async with self:
                self._redraw()
                if not any(c["state"] == "syncing" for c in self.calendars):
                    return

    def set_flag(self, calendar_id: str, name: str, value: bool) -> None:
        try:
            with session_scope() as db:
                accounts.update_calendar(db, user=self._user(db), calendar_id=uuid.UUID(calendar_id),
                                         data=CalendarUpdate(**{name: value}))
        except OpenFyxerError as e:
            self._fail(e)
        self._redraw()

    def sync_now(self, calendar_id: str):  # noqa: ANN201
        try:
            with session_scope() as db:
                accounts.request_sync(db, user=self._user(db), calendar_id=uuid.UUID(calendar_id))
        except OpenFyxerError as e:
            self._fail(e)
            return None
        self._redraw()
        return CalendarState.follow_sync

    def _local(self, day: str, at: str) -> datetime:
        try:
            return datetime.combine(date.fromisoformat(day), time.fromisoformat(at), tzinfo=self._zone())
        except ValueError:
            raise ValidationError(self._t("Give a date and times such as 2027-03-17 and 14:30.")) from None

    def _form_event(self, form: dict) -> EventWrite:
        day, title = (form.get("event_date") or "").strip(), (form.get("event_title") or "").strip()
        calendar_id = None if self.editing_id else \
            uuid.UUID(form.get("event_calendar") or self.writable_calendars[0]["id"])
        if self.editing_id and self.editing_all_day:
            try:
                first = date.fromisoformat(day)
            except ValueError:
                raise ValidationError(self._t("Give a date and times such as 2027-03-17 and 14:30.")) from None
            return EventWrite(calendar_id=calendar_id, title=title, all_day=True, start_date=first,
                              end_date=first + timedelta(days=self.editing_days), **self.editing_kept)
        start, end = self._local(day, form.get("event_start") or ""), self._local(day, form.get("event_end") or "")
        return EventWrite(calendar_id=calendar_id, title=title, start=start, end=end, tzid=self._tz,
                          **self.editing_kept)

    async def save_event(self, form: dict):  # noqa: ANN201
        """A new event in the user's zone, or the one being changed; written to the calendar's server first."""
        self.error, self.notice = "", ""
        try:
            data = self._form_event(form)
        except (OpenFyxerError, ValueError, IndexError) as e:
            self.error = e.message if isinstance(e, OpenFyxerError) else self._t("Choose a calendar and a title.")
            return None
        changing = self.editing_id
        if changing:
            done = await self._off_loop(lambda db, user: editing.update_event(
                db, user=user, event_id=uuid.UUID(changing), data=data))
        else:
            done = await self._off_loop(lambda db, user: editing.create_event(db, user=user, data=data))
        if done is None:
            return None
        self.notice = self._t("Changed in your calendar.") if changing else self._t("Added to your calendar.")
        first = data.start_date or data.start.date()
        self.week_start = (first - timedelta(days=first.weekday())).isoformat()
        return self.cancel_edit()

    def edit_event(self, row: dict):  # noqa: ANN201
        """Puts the event in the form to be changed (one occurrence, for a series)."""
        self.error, self.notice = "", ""
        self.editing_id, self.editing_all_day = row["id"], bool(row["all_day"])
        self.editing_days = int(row["days"] or 1)
        self.editing_kept = {"description": row["description"], "location": row["location"]}
        return [rx.set_value("event_title", row["raw_title"]), rx.set_value("event_date", row["date"]),
                *([] if self.editing_all_day else [rx.set_value("event_start", row["start_hm"]),
                                                   rx.set_value("event_end", row["end_hm"])]),
                rx.set_focus("event_title")]  # (not scroll_to: it runs through eval, which the CSP refuses)

    def cancel_edit(self):  # noqa: ANN201
        self.editing_id, self.editing_all_day, self.editing_days, self.editing_kept = "", False, 1, {}
        self._redraw()
        return [rx.set_value(f, "") for f in ("event_title", "event_start", "event_end")]

    async def delete_event(self, event_id: str) -> None:
        self.error, self.notice = "", ""
        done = await self._off_loop(lambda db, user: editing.delete_event(db, user=user,
                                                                          event_id=uuid.UUID(event_id)) or True)
        if done:
            self.notice = self._t("Deleted from your calendar.")
            if self.editing_id == event_id:
                self.editing_id, self.editing_all_day, self.editing_kept = "", False, {}
        self._redraw()

    def find_time(self, form: dict) -> None:
        """Three times to offer and the other free slots of the next two weeks, from the slot engine."""
        self.error, self.slots, self.proposals = "", [], []
        try:
            minutes = int(form.get("duration") or 30)
            start = datetime.now(UTC)
            with session_scope() as db:
                user = self._user(db)
                offered = scheduling.proposals(db, user=user, start=start, end=start + timedelta(days=FIND_DAYS),
                                               duration_minutes=minutes)
                free = scheduling.free_slots(db, user=user, start=start, end=start + timedelta(days=FIND_DAYS),
                                             duration_minutes=minutes, limit=24)
        except (OpenFyxerError, ValueError) as e:
            self.error = e.message if isinstance(e, OpenFyxerError) else self._t("Choose how long the meeting lasts.")
            return
        self.proposals = [self._slot(s) for s in offered]
        self.slots = [self._slot(s) for s in free if s not in offered][:20]
        if not offered:
            self.notice = self._t("No free time of that length in your working hours in the next two weeks.")

    def _slot(self, s) -> dict:  # noqa: ANN001
        a, b = s.start.astimezone(self._zone()), s.end.astimezone(self._zone())
        return {"label": f"{format_date(a, 'EEE d MMM', locale=self.lang)}, "
                         f"{format_time(a, 'HH:mm', locale=self.lang)}–{format_time(b, 'HH:mm', locale=self.lang)}",
                "date": a.date().isoformat(), "start": a.strftime("%H:%M"), "end": b.strftime("%H:%M")}

    def use_slot(self, slot: dict):  # noqa: ANN201
        """Puts the chosen time in the new-event form."""
        return [rx.set_value("event_date", slot["date"]), rx.set_value("event_start", slot["start"]),
                rx.set_value("event_end", slot["end"])]
