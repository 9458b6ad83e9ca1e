"""The meeting page's minutes (summary, decisions, action items, open questions) and what is done with
them: written again, an item removed or added, a reminder for an action item, the follow-up email, the
attendees. Handlers over services.meetings (minutes, editing, reminders, followup), as the API's are."""

from __future__ import annotations

import re
import uuid
from datetime import date

import reflex as rx

from openfyxer.models.meeting import Meeting
from openfyxer.models.meeting_minutes import (
    ActionItemEdit, Attendee, ItemEdit, MeetingDetailsUpdate, Minutes, MinutesEdit,
)
from openfyxer.models.draft import Draft
from openfyxer.services.mail import outbox
from openfyxer.services.meetings import editing, export, followup, minutes, recordings, reminders
from openfyxer.ui.state.meeting import MeetingState

SECTIONS = ("summary", "decisions", "action_items", "questions")
_ATTENDEE = re.compile(r"^\s*(?P<name>[^<]*?)\s*<(?P<email>[^>]+)>\s*$")


class MinutesState(MeetingState):
    minutes_status: str = "none"  # none | summarizing | done | failed
    minutes_error: str = ""
    minutes_edited: bool = False
    sections: dict[str, list[dict]] = {name: [] for name in SECTIONS}
    minutes_notes: list[str] = []
    attendees_text: str = ""  # one per line, "Name <address>"
    draft_link: str = ""
    draft: dict = {}  # the follow-up email: id, to, subject, content, status

    def load(self):  # noqa: ANN201
        return self._load_page() or MinutesState.watch

    @rx.event(background=True)
    async def watch(self):  # noqa: ANN201
        async for update in self._watch():
            yield update

    def _read(self) -> None:
        super()._read()
        from openfyxer.core.db import session_scope

        with session_scope() as db:
            meeting = recordings.get(db, user=self._user(db), meeting_id=self._id())
            self._show_minutes(meeting, followup.draft_of(db, meeting))

    def _show_minutes(self, m: Meeting, d: Draft | None) -> None:
        out = editing.public(m)
        self.minutes_status, self.minutes_error, self.minutes_edited = out.status, out.error or "", out.edited
        shown = out.minutes or Minutes()
        long = m.samples >= 3600 * 16000
        self.sections = {name: [self._item(i, n, long) for n, i in enumerate(getattr(shown, name))]
                         for name in SECTIONS}
        self.minutes_notes = list(shown.notes)
        self.attendees_text = "\n".join(f"{a.get('name') or ''} <{a['email']}>".strip() if a.get("email")
                                        else (a.get("name") or "") for a in m.attendees or [])
        self.draft_link = "/drafts" if m.follow_up_draft_id else ""
        self.draft = {"id": str(d.id), "to": ", ".join(d.to_addresses or []), "subject": d.subject or "",
                      "content": d.content, "status": d.status,
                      "status_label": {"pending": self._t("waiting for your approval"),
                                       "approved": self._t("approved, sending"), "sending": self._t("sending"),
                                       "sent": self._t("sent"),
                                       "failed": self._t("not sent: failed"), "rejected": self._t("rejected")
                                       }.get(d.status, d.status)} if d else {}

    def _item(self, item, index: int, long: bool) -> dict:  # noqa: ANN001
        owner = getattr(item, "owner_name", None) or getattr(item, "owner_email", None) or ""
        due = getattr(item, "due", None)
        return {"id": item.id, "index": index, "text": item.text, "owner": owner,
                "due": self._day(due) + (f" {item.due_time}" if getattr(item, "due_time", None) else "") if due else "",
                "flagged": bool(item.flags),
                "cites": [{"at": f"{c.start_s:.2f}", "label": export.clock(c.start_s, hours=long)} for c in item.cites]}

    def _day(self, d: date) -> str:
        from babel.dates import format_date

        return format_date(d, format="medium", locale=self.lang or "en")

    def write_again(self) -> None:
        self.error, self.notice = "", ""
        if self._attempt(lambda db: minutes.request(db, user=self._user(db), meeting_id=self._id(),
                                                    overwrite_edits=True, ip=self.router.session.client_ip)):
            self.notice = self._t("The minutes are being written again.")
        self._read()

    def remove_item(self, section: str, item_id: str) -> None:
        if section not in SECTIONS:
            return
        self._edit(section, lambda items: [i for i in items if i.id != item_id])

    def add_item(self, form: dict) -> None:
        section = str(form.get("section") or "")
        text = " ".join(str(form.get("text") or "").split())
        if section not in SECTIONS or not text:
            return
        extra = {}
        if section == "action_items":
            extra = {"owner_name": str(form.get("owner") or "").strip() or None,
                     "due": date.fromisoformat(str(form["due"])) if form.get("due") else None}
        self._edit(section, lambda items: [*items, {"text": text, **extra}])

    def _edit(self, section: str, change) -> None:  # noqa: ANN001
        self.error, self.notice = "", ""

        def apply(db):  # noqa: ANN001, ANN202
            meeting = recordings.get(db, user=self._user(db), meeting_id=self._id())
            current = getattr(Minutes.model_validate(meeting.minutes or {}), section)
            edits = [self._as_edit(section, i) for i in change(current)]
            return editing.edit(db, user=self._user(db), meeting_id=self._id(),
                                data=MinutesEdit(**{section: edits}), ip=self.router.session.client_ip)

        if self._attempt(apply) is not None:
            self.notice = self._t("Saved. Minutes you edited are not written over unless you ask.")
        self._read()

    @staticmethod
    def _as_edit(section: str, item) -> ItemEdit:  # noqa: ANN001
        if isinstance(item, dict):  # a new one the user typed
            return ActionItemEdit(**item) if section == "action_items" else ItemEdit(**item)
        if section == "action_items":
            return ActionItemEdit(id=item.id, text=item.text, owner_name=item.owner_name,
                                  owner_email=item.owner_email, due=item.due, due_time=item.due_time)
        return ItemEdit(id=item.id, text=item.text)

    def remind(self, index: int) -> None:
        self.error, self.notice = "", ""
        row = self._attempt(lambda db: reminders.remind(db, user=self._user(db), meeting_id=self._id(), index=int(index),
                                                        ip=self.router.session.client_ip))
        if row is not None:
            self.notice = self._t("You will be reminded on {when}.", when=self._when(row.due_at))

    def write_follow_up(self) -> None:
        self.error, self.notice = "", ""
        got = self._attempt(lambda db: followup.write(db, user=self._user(db), meeting_id=self._id(),
                                                      ip=self.router.session.client_ip))
        if got is not None:
            self.notice = self._t("The follow-up email waits in Drafts for your approval.")
        self._read()

    def approve_follow_up(self, form: dict) -> None:
        """The user's approval of the follow-up email as they left it: sent once, by the outbox."""
        self.error, self.notice = "", ""
        draft_id = self.draft.get("id")
        if not draft_id:
            return
        text = str(form.get("content") or "")
        if self._attempt(lambda db: outbox.approve(db, user=self._user(db), draft_id=uuid.UUID(draft_id), content=text,
                                                   ip=self.router.session.client_ip)) is not None:
            self.notice = self._t("Approved: the follow-up email is being sent.")
        self._read()

    def save_attendees(self, form: dict) -> None:
        self.error, self.notice = "", ""
        people = []
        for line in str(form.get("attendees") or "").splitlines():
            if not line.strip():
                continue
            found = _ATTENDEE.match(line)
            if found:
                people.append(Attendee(name=found["name"].strip('" '), email=found["email"].strip()))
            elif "@" in line:
                people.append(Attendee(email=line.strip()))
            else:
                people.append(Attendee(name=line.strip()))
        if self._attempt(lambda db: editing.details(db, user=self._user(db), meeting_id=self._id(),
                                                    data=MeetingDetailsUpdate(attendees=people),
                                                    ip=self.router.session.client_ip)) is not None:
            self.notice = self._t("Attendees saved.")
        self._read()
