"""Home: what needs attention today (meetings, urgent mail, drafts), and mail per category per day."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import reflex as rx
from babel.dates import format_date, format_time

from openfyxer.core.db import session_scope
from openfyxer.services.calendar import accounts as calendar_accounts, events
from openfyxer.services.mail import drafts, emails
from openfyxer.ui.state.mail import CATEGORIES, MailState


class HomeState(MailState):
    """What needs attention today, and mail per category per day; redrawn as mail arrives."""

    urgent: list[dict] = []
    to_respond: list[dict] = []
    drafts_waiting: int = 0
    drafts_label: str = ""
    quality_label: str = ""  # the share of the assistant's drafts the user sent with small edits
    per_day: list[dict] = []
    today: list[dict] = []  # the meetings of today in the user's zone, all-day ones first
    today_label: str = ""
    has_calendar: bool = False

    def load(self):  # noqa: ANN201
        return self._load_page() or HomeState.watch

    @rx.event(background=True)
    async def watch(self):  # noqa: ANN201
        async for update in self._watch():
            yield update

    def _load(self) -> None:
        with session_scope() as db:
            user = self._user(db)
            # What still wants an answer, read or not: answering (here or from another client) or Done clears it.
            urgent, _ = emails.list_emails(db, user=user, category="urgent", awaiting_reply=True, limit=10)
            to_respond, _ = emails.list_emails(db, user=user, category="to_respond", awaiting_reply=True, limit=10)
            self.drafts_waiting = len(drafts.list_drafts(db, user=user, status="pending", limit=500))
            self.drafts_label = self._t("{count} drafts waiting for your approval", count=self._num(self.drafts_waiting))
            daily = emails.daily_counts(db, user=user, days=14)
            quality = drafts.quality(db, user=user)
            self._read_today(db, user)
        judged = quality.approved + quality.rejected
        share = "" if quality.share is None else f"{round(quality.share * 100)} %"
        self.quality_label = self._t("No drafts sent or rejected in the last 30 days.") if not judged else self._t(
            "Draft quality: {share} sent with small edits ({small} of {judged} in the last 30 days; {rejected} "
            "rejected)", share=share, small=self._num(quality.small_edits),
            judged=self._num(judged), rejected=self._num(quality.rejected))
        self.urgent, self.to_respond = [self._row(e) for e in urgent], [self._row(e) for e in to_respond]
        self.per_day = [{**{c: d.get(c, 0) for c in CATEGORIES}, "day": d["day"][5:]} for d in daily]

    def _read_today(self, db, user) -> None:  # noqa: ANN001
        """Today's meetings on the shown calendars, as the Calendar page places them in the user's zone."""
        zone = ZoneInfo(self._tz or "UTC")
        day = datetime.now(zone).date()
        start = datetime.combine(day, time(0), tzinfo=zone)
        found = [(e, *events.local_span(e, zone)) for e in
                 events.list_events(db, user=user, start=start, end=start + timedelta(days=1))]
        found.sort(key=lambda x: (not x[0].is_all_day, x[1]))
        self.has_calendar = bool(found) or bool(calendar_accounts.list_accounts(db, user=user))
        self.today_label = format_date(day, "EEEE d MMMM", locale=self.lang)
        self.today = [{"id": str(e.id), "title": e.title or self._t("(no title)"), "location": e.location or "",
                       "when": self._t("All day") if e.is_all_day else
                       f"{format_time(a.astimezone(zone), 'HH:mm', locale=self.lang)}–"
                       f"{format_time(b.astimezone(zone), 'HH:mm', locale=self.lang)}"} for e, a, b in found]
