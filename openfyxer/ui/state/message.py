"""One email with its thread, attachments and draft panel (write, edit, approve and send, reject):
thin handlers over services.mail (emails, drafts, outbox) and services.assistant.drafting."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from pydantic import ValidationError as PydanticError

import reflex as rx

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.models.draft import REJECT_REASONS, Draft, DraftUpdate
from openfyxer.models.user import User
from openfyxer.services.assistant import decisions, drafting
from openfyxer.services.calendar import booking, invites, offers
from openfyxer.services.mail import drafts, emails, forward, outbox, recipients, unsubscribe
from openfyxer.ui.state.auth import _first_error
from openfyxer.ui.state.mail import MailState



def frame_height(text: str) -> str:
    """A sandboxed frame cannot tell the page its height (no script, another origin): a guess from
    the text's length, which the user can still drag."""
    lines = sum(1 + len(line) // 90 for line in text.splitlines()) if text else 10
    return f"{min(900, max(160, 32 + 21 * lines))}px"


def framed(html: str) -> str:
    """The sanitised mail as the document of a sandboxed iframe (ui/pages/mail.py): no scripts, no
    origin of ours, links open in a new tab without saying where they came from."""
    return ('<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">'
            '<base target="_blank"><style>body{margin:0;font:14px/1.5 system-ui,sans-serif;color:#1c2024;'
            'overflow-wrap:anywhere}img{max-width:100%;height:auto}</style></head><body>' + html + '</body></html>')

CALENDAR_TYPES = ("text/calendar", "application/ics")


class EmailState(MailState):
    email: dict = {}
    body_html: str = ""
    body_height: str = "400px"
    body_text: str = ""
    thread: list[dict] = []
    attachments: list[dict] = []
    has_remote_images: bool = False
    images_allowed: bool = False
    draft_id: str = ""
    draft_text: str = ""
    draft_status: str = ""
    draft_status_label: str = ""
    draft_uncertain: bool = False  # failed, and it may have reached the recipients anyway
    draft_error: str = ""  # why a send failed, as the user reads it
    draft_to: str = ""  # the recipients as the user reads and edits them, comma-separated
    draft_cc: str = ""
    correspondents: list[str] = []  # what the recipient fields suggest
    unsubscribe_page: str = ""  # a list's own page to leave it, when it offers no one-click
    draft_flags: list[str] = []
    draft_sources: list[dict] = []  # what the draft was based on: title, date, role, href
    draft_choices: list[dict] = []  # what the email asks the user to decide: value, label
    draft_edit_label: str = ""  # after approval: how much of the written draft the user changed
    invitations: list[dict] = []  # calendar invitations, cancellations and answers the email carries
    draft_slots: list[dict] = []  # times the draft offers and not yet booked: start (ISO), label
    draft_invitation: str = ""  # the meeting an invitation draft carries, as the user reads it
    reject_reason: str = ""
    instructions: str = ""
    working: bool = False
    notice: str = ""

    @rx.var
    def email_id(self) -> str:
        return str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]  # the [id] of /email/[id]

    def load(self):  # noqa: ANN201
        return self._load_page() or EmailState.watch

    @rx.event(background=True)
    async def watch(self):  # noqa: ANN201
        async for update in self._watch():
            yield update

    def _live(self) -> None:
        """A draft written in the background (or sent, or changed on another device) shows up; the
        text being edited here is left alone while its draft is still the pending one."""
        if self.working or not self.email.get("id"):
            return
        with session_scope() as db:
            current = drafts.list_drafts(db, user=self._user(db), email_id=uuid.UUID(self.email_id), status=None,
                                         limit=1)
            draft = current[0] if current else None
            if draft is None:
                return
            if str(draft.id) != self.draft_id or draft.status != self.draft_status:
                self._show_draft(draft)

    def _load(self) -> None:
        self.images_allowed, self.notice, self.instructions, self.unsubscribe_page = False, "", "", ""
        self._read()

    def _read(self) -> None:
        self.error = ""
        try:
            email_id = uuid.UUID(self.email_id)
        except ValueError:
            self.error, self.email = self._t("no such email"), {}
            return
        try:
            with session_scope() as db:
                user = self._user(db)
                detail = emails.open_email(db, user=user, email_id=email_id, allow_images=self.images_allowed,
                                           ip=self.router.session.client_ip)
                current = drafts.list_drafts(db, user=user, email_id=email_id, status=None, limit=1)
                self.correspondents = recipients.correspondents(db, user.id)
        except OpenFyxerError as e:
            self._fail(e)
            self.email = {}
            return
        self.email = {**self._row(detail), "to": ", ".join(detail.recipients or []),
                      "reason": detail.triage_reason or "", "unsubscribe": bool(detail.list_unsubscribe)}
        self.body_html, self.body_text = framed(detail.body_html) if detail.body_html else "", detail.body_text or ""
        self.body_height = frame_height(detail.body_text or detail.body_html or "")
        self.has_remote_images = detail.has_remote_images
        self.thread = [self._row(t) for t in detail.thread if t.id != detail.id]
        self.attachments = [{"name": a.filename or "attachment", "type": a.content_type or "", "size": a.size or 0}
                            for a in detail.attachments]
        self._show_draft(current[0] if current else None)
        calendar_parts = any((a.content_type or "") in CALENDAR_TYPES for a in detail.attachments)
        self._show_invitations(email_id if calendar_parts else None)

    def act(self, action: str):  # noqa: ANN201
        """Archive, delete, done, snooze: the message leaves the view, the inbox shows Undo. A star stays."""
        if not self.email.get("id"):
            return None
        if action in ("star", "unstar", "unread"):
            if self._act([self.email_id], action):
                self.email = {**self.email, "starred": action == "star"}
            return None
        if action in ("archive", "trash", "done") and self._act([self.email_id], action):
            return rx.redirect("/inbox")
        return None

    def unsubscribe(self) -> None:
        """Leave the list the message came from (one-click, else by mail through the outbox)."""
        self.notice = ""
        done = self._attempt(lambda db: unsubscribe.unsubscribe(db, user=self._user(db),
                                                                email_id=uuid.UUID(self.email_id),
                                                                ip=self.router.session.client_ip))
        if done is None:
            return
        self.unsubscribe_page = done.detail if done.how == "web" else ""
        self.notice = {"one_click": self._t("Unsubscribed: the list took it."),
                       "mailto": self._t("Unsubscribe message sent to the list."),
                       "web": self._t("This list unsubscribes on its own page:")}[done.how]

    def forward(self):  # noqa: ANN201
        """A draft passing the message on, opened in the Drafts page's editor to name its recipients."""
        if not self.email.get("id"):
            return None
        made = self._attempt(lambda db: forward.forward(db, user=self._user(db), email_id=uuid.UUID(self.email_id),
                                                        ip=self.router.session.client_ip))
        return rx.redirect(f"/drafts?edit={made.id}") if made is not None else None

    def snooze(self, choice: str):  # noqa: ANN201
        if choice and self.email.get("id") and self._act([self.email_id], "snooze", choice):
            return rx.redirect("/inbox")
        return None

    def undo(self):  # noqa: ANN201
        return self._undo()

    def _after_undo(self):  # noqa: ANN202
        self._read()

    def _show_draft(self, draft) -> None:  # noqa: ANN001
        self.draft_id = str(draft.id) if draft else ""
        self.draft_text = draft.content if draft else ""
        self.draft_to = ", ".join(draft.to_addresses or []) if draft else ""
        self.draft_cc = ", ".join(draft.cc_addresses or []) if draft else ""
        self.draft_status = draft.status if draft else ""
        self.draft_uncertain = bool(draft and draft.status == "failed" and draft.delivery_uncertain)
        self.draft_error = self._t("Not sent: {why}", why=draft.last_error or self._t("no reason was given")) \
            if draft and draft.status == "failed" else ""
        self.draft_status_label = {
            "pending": self._t("waiting for your approval"), "approved": self._t("approved, sending"),
            "sending": self._t("sending"), "sent": self._t("sent"), "rejected": self._t("rejected"),
            "failed": self._t("not sent: failed"),
        }.get(self.draft_status, self.draft_status)
        self.draft_flags = [self._flag(f) for f in draft.flags or []] if draft else []
        self.draft_sources = [self._source(x) for x in (getattr(draft, "sources", None) or [])] if draft else []
        labels = {decisions.YES: self._t("Yes"), decisions.NO: self._t("No")}
        self.draft_choices = [{"value": c, "label": labels.get(c, c)} for c in (draft.choices or [])] if draft else []
        self._show_meeting(draft)
        ratio = draft.edit_ratio if draft else None
        share = "" if ratio is None else f"{round(ratio * 100)} %"
        self.draft_edit_label = "" if ratio is None else (
            self._t("Sent as written.") if ratio == 0 else self._t("You changed {share} of the draft.", share=share))

    def _show_invitations(self, email_id: uuid.UUID | None) -> None:
        """Read in the sandbox, so only for an email with a calendar part."""
        self.invitations = []
        if email_id is None:
            return
        try:
            with session_scope() as db:
                found = invites.for_email(db, user=self._user(db), email_id=email_id)
        except OpenFyxerError as e:
            self._fail(e)
            return
        zone = ZoneInfo(self._tz or "UTC")
        self.invitations = [self._invitation(i, zone) for i in found.invitations]

    def _invitation(self, i, zone: ZoneInfo) -> dict:  # noqa: ANN001
        def span(start, end, all_day: bool) -> str:  # noqa: ANN001
            a, b = start.astimezone(zone), end.astimezone(zone)
            if all_day:
                return f"{format_date(start.date(), 'EEE d MMM', locale=self.lang)} · {self._t('All day')}"
            return f"{format_date(a, 'EEE d MMM', locale=self.lang)}, {a:%H:%M}–{b:%H:%M}"

        status = {"new": self._t("not on your calendar yet"), "updated": self._t("changed by the organizer"),
                  "outdated": self._t("a later version is on your calendar"),
                  "on_calendar": self._t("on your calendar"), "cancelled": self._t("cancelled by the organizer"),
                  "reply": self._t("an answer to your invitation")}[i.status]
        # A REPLY names the one attendee who answers (the service checks that the mail is theirs).
        answered = i.attendees[0] if i.method == "REPLY" and i.attendees else None
        return {
            "uid": i.uid, "method": i.method, "title": i.summary or self._t("(no title)"), "status": i.status,
            "status_label": status, "when": span(i.start, i.end, i.all_day) if i.start else "",
            "organizer": i.organizer, "answer": i.answer or "",
            "conflicts": ", ".join(f"{c.title or self._t('(no title)')} ({span(c.start, c.end, c.all_day)})"
                                   for c in i.conflicts[:5]),
            "can_answer": i.method == "REQUEST" and i.status != "outdated" and bool(i.me),
            "can_cancel": i.method == "CANCEL" and i.event is not None and i.sender_is_organizer,
            "can_apply": i.method == "REPLY" and answered is not None,
            "reply_label": self._t("{who} answered: {answer}", who=answered.email,
                                   answer=answered.partstat.lower()) if answered else "",
        }

    @rx.event(background=True)
    async def answer_invitation(self, uid: str, answer: str):  # noqa: ANN201
        """Accept / Tentative / Decline: the click is the approval, the REPLY goes through the outbox."""
        await self._calendar_work(lambda db, user, email_id, ip: invites.respond(
            db, user=user, email_id=email_id, uid=uid, answer=answer, ip=ip),
            self._t("Answered: the organizer is told, and your calendar follows."))

    @rx.event(background=True)
    async def cancel_invitation(self, uid: str):  # noqa: ANN201
        await self._calendar_work(lambda db, user, email_id, ip: invites.apply_cancel(
            db, user=user, email_id=email_id, uid=uid, ip=ip), self._t("Removed from your calendar."))

    @rx.event(background=True)
    async def apply_invitation_reply(self, uid: str):  # noqa: ANN201
        await self._calendar_work(lambda db, user, email_id, ip: invites.apply_reply(
            db, user=user, email_id=email_id, uid=uid, ip=ip), self._t("Your event now shows their answer."))

    def _show_meeting(self, draft) -> None:  # noqa: ANN001
        meeting = (draft.meeting if draft else None) or {}
        zone = ZoneInfo(self._tz or "UTC")

        def label(a: str, b: str) -> str:  # in the user's own zone and language
            start, end = datetime.fromisoformat(a).astimezone(zone), datetime.fromisoformat(b).astimezone(zone)
            return f"{format_date(start, 'EEE d MMM', locale=self.lang)}, {start:%H:%M}–{end:%H:%M}"

        bookable = draft is not None and not meeting.get("event_id") and draft.status in ("pending", "sent")
        self.draft_slots = [{"start": a, "label": label(a, b)} for a, b in meeting.get("slots", [])] if bookable else []
        self.draft_invitation = self._t(
            "Invitation for {when}: the event is on your calendar; it is sent when you approve.",
            when=label(meeting["start"], meeting["end"])) if (
            draft is not None and draft.calendar_method == "REQUEST" and meeting.get("start")) else ""

    def _source(self, source: dict) -> dict:
        """One thing the draft relied on, as the panel lists it: emails open here, documents on their page."""
        kind = source.get("kind")
        role = {"example": self._t("how you answered before"),
                "fact": self._t("a source of facts")}.get(source.get("role"), source.get("role") or "")
        return {"title": source.get("title") or self._t("(no subject)"), "date": source.get("date") or "",
                "role": role, "kind": kind,
                "href": f"/{'email' if kind == 'email' else 'document'}/{source.get('id', '')}"}

    def allow_images(self) -> None:
        self.images_allowed = True
        self._read()

    def set_instructions(self, value: str) -> None:
        self.instructions = value[:500]

    def set_draft_text(self, value: str) -> None:
        self.draft_text = value

    @rx.event(background=True)
    async def generate(self):  # noqa: ANN201
        await self._write(None)

    @rx.event(background=True)
    async def pick(self, choice: str):  # noqa: ANN201
        """The user's answer to what the email asks them to decide: the reply is written with it."""
        await self._write(choice)

    async def _write(self, choice: str | None) -> None:
        """The model can take seconds: it runs in a thread, outside the state lock and the event
        loop, so this page and everyone else's stay live meanwhile."""
        async with self:
            if self.working:
                return
            self.working, self.notice, self.error = True, self._t("Writing a draft…"), ""
            email_id, instructions, ip = self.email_id, self.instructions.strip() or None, self.router.session.client_ip
            if (user_id := self._signed_in_id()) is None:
                self.working, self.notice = False, ""
                return

        def write():  # noqa: ANN202
            with session_scope() as db:
                # A pick is the user's whole instruction; what they typed goes with "write again".
                draft = drafting.generate(db, user=db.get(User, user_id), email_id=uuid.UUID(email_id),
                                          instructions=None if choice is not None else instructions, choice=choice,
                                          ip=ip)
                db.flush()
                db.expunge(draft)
                return draft

        error, draft = "", None
        try:
            draft = await asyncio.to_thread(write)
        except (OpenFyxerError, ValueError) as e:
            error = getattr(e, "message", None) or "no such email"
        async with self:
            self.working, self.notice, self.error = False, "", self._t(error) if error else ""
            if draft is not None:
                self._show_draft(draft)

    @rx.event(background=True)
    async def offer_times(self):  # noqa: ANN201
        """A reply offering free times from the calendar (written by code: no model, a moment)."""
        await self._calendar_work(lambda db, user, email_id, ip: offers.offer_times(
            db, user=user, email_id=email_id, ip=ip), self._t("Times offered: pick one now, or send the offer."))

    @rx.event(background=True)
    async def book(self, start: str):  # noqa: ANN201
        """The user's pick: the event goes on the calendar now, its invitation waits for approval."""
        await self._calendar_work(lambda db, user, email_id, ip: booking.book(
            db, user=user, draft_id=uuid.UUID(self.draft_id), start=datetime.fromisoformat(start), ip=ip)[1],
            self._t("Booked: the event is on your calendar; approve the invitation to send it."))

    async def _calendar_work(self, action, notice: str) -> None:  # noqa: ANN001
        """`action(db, user, email_id, ip)` in a thread: it may talk to the calendar server, and this page
        and everyone else's stay live meanwhile. A draft it returns is shown; invitations are read again."""
        async with self:
            if self.working or (user_id := self._signed_in_id()) is None:
                return
            self.working, self.notice, self.error = True, "", ""
            email_id, ip = uuid.UUID(self.email_id), self.router.session.client_ip

        def run():  # noqa: ANN202
            with session_scope() as db:
                result = action(db, db.get(User, user_id), email_id, ip)
                if isinstance(result, Draft):
                    db.flush()
                    db.expunge(result)
                return result

        error, result = "", None
        try:
            result = await asyncio.to_thread(run)
        except OpenFyxerError as e:
            error = self._error_text(e)
        async with self:
            self.working, self.error, self.notice = False, error, "" if error else notice
            if isinstance(result, Draft):
                self._show_draft(result)
            if self.invitations:
                self._show_invitations(email_id)

    def set_draft_to(self, value: str) -> None:
        self.draft_to = value[:5000]

    def set_draft_cc(self, value: str) -> None:
        self.draft_cc = value[:5000]

    def _edited(self) -> DraftUpdate:
        def split(text: str) -> list[str]:
            return [a.strip() for a in text.replace(";", ",").split(",") if a.strip()]

        # No To yet (a forward) is kept as it is; the send asks for one.
        return DraftUpdate(content=self.draft_text, to=split(self.draft_to) or None, cc=split(self.draft_cc))

    def save_draft(self) -> None:
        self._draft_action(lambda db, user, draft_id: drafts.update(
            db, user=user, draft_id=draft_id, data=self._edited(), ip=self.router.session.client_ip),
            self._t("Saved."))

    def _approve(self, db, user, draft_id):  # noqa: ANN001, ANN202
        """The recipients and text as shown go with the approval."""
        drafts.update(db, user=user, draft_id=draft_id, data=self._edited(), ip=self.router.session.client_ip)
        return outbox.approve(db, user=user, draft_id=draft_id, ip=self.router.session.client_ip)

    def send(self) -> None:
        """The user's approval, with the text as shown (unsaved edits go too): sent once by the outbox."""
        self._draft_action(self._approve,
            self._t("Approved: it is being sent.") if not get_settings().undo_send_seconds else
            self._t("Approved: it goes in {n} seconds unless you undo it.", n=get_settings().undo_send_seconds))

    def unsend(self) -> None:
        """Undo send, while the approved reply waits out its hold: back to the user, nothing sent."""
        self._draft_action(lambda db, user, draft_id: outbox.unsend(
            db, user=user, draft_id=draft_id, ip=self.router.session.client_ip), self._t("Not sent: the draft is yours "
                                                                                     "to edit again."))

    def resend(self) -> None:
        """The user's knowing decision to send again a reply that may already have arrived."""
        self._draft_action(lambda db, user, draft_id: outbox.approve(
            db, user=user, draft_id=draft_id, content=self.draft_text, resend=True, ip=self.router.session.client_ip),
            self._t("Approved again: it is being sent."))

    def set_reject_reason(self, value: str) -> None:
        self.reject_reason = value if value in REJECT_REASONS else ""

    def reject(self) -> None:
        self._draft_action(lambda db, user, draft_id: drafts.reject(
            db, user=user, draft_id=draft_id, reason=self.reject_reason or None, ip=self.router.session.client_ip),
            self._t("Rejected."))
        self.reject_reason = ""

    def _draft_action(self, action, notice: str):  # noqa: ANN001, ANN202
        self.error, self.notice = "", ""
        if not self.draft_id:
            return None
        try:
            with session_scope() as db:
                draft = action(db, self._user(db), uuid.UUID(self.draft_id))
                db.flush()
                self._show_draft(draft)
        except PydanticError as e:  # a recipient that is no address
            self.error = _first_error(e)
            return None
        except OpenFyxerError as e:
            self._fail(e)
            return None
        self.notice = notice
        return draft
