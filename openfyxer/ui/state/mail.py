"""Inbox, one email with its draft, and the drafts queue: thin handlers over the same services
the REST API calls (services.emails, drafts, drafting, outbox)."""

from __future__ import annotations

import asyncio
import uuid

import reflex as rx

from openfyxer import jobs
from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.models.draft import DraftUpdate
from openfyxer.models.email_api import EmailUpdate
from openfyxer.models.user import User
from openfyxer.services import drafting, drafts, emails, outbox
from openfyxer.ui.state.session import SessionState

CATEGORIES = ("urgent", "to_respond", "fyi", "newsletter", "spam")
PAGE_SIZE = 50


def _when(value) -> str:  # noqa: ANN001
    return value.strftime("%d %b %Y %H:%M") if value else ""


def _row(e) -> dict:  # noqa: ANN001
    return {"id": str(e.id), "sender": e.sender_name or e.sender or "", "subject": e.subject or "(no subject)",
            "snippet": e.snippet, "received": _when(e.received_at), "is_read": e.is_read,
            "category": e.category or "unsorted", "needs_reply": e.needs_reply}


class MailState(SessionState):
    """What every mail page shares: the signed-in user, looked up for each handler."""

    error: str = ""

    def _user(self, db):  # noqa: ANN001, ANN202
        user = self._live_user(db)
        if user is None:
            raise OpenFyxerError("your session has ended; sign in again")
        return user

    def _load_page(self):  # noqa: ANN202
        """on_load: sign-in first (or back to /login), then the page's own `_load`.

        Each page state names its own `load` (Reflex makes handlers only of a class's own methods;
        one inherited from here would run on this parent state instead)."""
        redirect = self.require_login()
        if redirect is not None:
            return redirect
        self.error = ""
        try:
            self._load()
        except OpenFyxerError as e:
            self.error = e.message
        return None

    def _load(self) -> None:
        """What the page reads; errors it raises are shown on the page."""


class InboxState(MailState):
    category: str = "to_respond"
    query: str = ""
    page: int = 0
    total: int = 0
    rows: list[dict] = []
    counts: dict[str, int] = {}
    unread: dict[str, int] = {}
    selected: list[str] = []

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    def load(self):  # noqa: ANN201
        return self._load_page()

    def _load(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        self.error = ""
        try:
            with session_scope() as db:
                user = self._user(db)
                counts = emails.category_counts(db, user=user)
                items, self.total = emails.list_emails(db, user=user, category=self.category or None,
                                                       q=self.query or None, limit=PAGE_SIZE,
                                                       offset=self.page * PAGE_SIZE)
        except OpenFyxerError as e:
            self.error = e.message
            return
        self.counts = {c: counts.get(c, {}).get("total", 0) for c in CATEGORIES}
        self.unread = {c: counts.get(c, {}).get("unread", 0) for c in CATEGORIES}
        self.rows = [_row(e) for e in items]
        self.selected = [i for i in self.selected if any(r["id"] == i for r in self.rows)]

    def show(self, category: str) -> None:
        self.category, self.page, self.selected = category, 0, []
        self.refresh()

    def search(self, form: dict) -> None:
        self.query, self.page = (form.get("q") or "").strip()[:200], 0
        self.refresh()

    def next_page(self) -> None:
        if self.page + 1 < self.pages:
            self.page += 1
            self.refresh()

    def previous_page(self) -> None:
        if self.page > 0:
            self.page -= 1
            self.refresh()

    def toggle(self, email_id: str) -> None:
        self.selected = [i for i in self.selected if i != email_id] if email_id in self.selected \
            else [*self.selected, email_id]

    def _apply(self, data: EmailUpdate) -> None:
        pushed = []
        try:
            with session_scope() as db:
                user = self._user(db)
                for email_id in self.selected:
                    email, read_changed = emails.update_email(db, user=user, email_id=uuid.UUID(email_id), data=data,
                                                              ip=self.router.session.client_ip)
                    if read_changed:
                        pushed.append(str(email.id))
        except OpenFyxerError as e:
            self.error = e.message
            return
        for email_id in pushed:  # after the commit, as the API does
            jobs.enqueue("push_read_state", email_id)
        self.selected = []
        self.refresh()

    def mark_read(self) -> None:
        self._apply(EmailUpdate(is_read=True))

    def move_to(self, category: str) -> None:
        """A correction: the triage learns from it (services.triage.correct)."""
        if category in CATEGORIES:
            self._apply(EmailUpdate(category=category))


class EmailState(MailState):
    email: dict = {}
    body_html: str = ""
    body_text: str = ""
    thread: list[dict] = []
    attachments: list[dict] = []
    has_remote_images: bool = False
    images_allowed: bool = False
    draft_id: str = ""
    draft_text: str = ""
    draft_status: str = ""
    draft_flags: list[str] = []
    instructions: str = ""
    working: bool = False
    notice: str = ""

    @rx.var
    def email_id(self) -> str:
        return str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]  # the [id] of /email/[id]

    def load(self):  # noqa: ANN201
        return self._load_page()

    def _load(self) -> None:
        self.images_allowed, self.notice, self.instructions = False, "", ""
        self._read()

    def _read(self) -> None:
        self.error = ""
        try:
            email_id = uuid.UUID(self.email_id)
        except ValueError:
            self.error, self.email = "no such email", {}
            return
        try:
            with session_scope() as db:
                user = self._user(db)
                detail = emails.get_email(db, user=user, email_id=email_id, allow_images=self.images_allowed)
                if not detail.is_read:
                    emails.update_email(db, user=user, email_id=email_id, data=EmailUpdate(is_read=True),
                                        ip=self.router.session.client_ip)
                    jobs_after = True
                else:
                    jobs_after = False
                current = drafts.list_drafts(db, user=user, email_id=email_id, status=None, limit=1)
        except OpenFyxerError as e:
            self.error, self.email = e.message, {}
            return
        if jobs_after:
            jobs.enqueue("push_read_state", str(email_id))
        self.email = {**_row(detail), "to": ", ".join(detail.recipients or []), "reason": detail.triage_reason or ""}
        self.body_html, self.body_text = detail.body_html or "", detail.body_text or ""
        self.has_remote_images = detail.has_remote_images
        self.thread = [_row(t) for t in detail.thread if t.id != detail.id]
        self.attachments = [{"name": a.filename or "attachment", "type": a.content_type or "", "size": a.size or 0}
                            for a in detail.attachments]
        self._show_draft(current[0] if current else None)

    def _show_draft(self, draft) -> None:  # noqa: ANN001
        self.draft_id = str(draft.id) if draft else ""
        self.draft_text = draft.content if draft else ""
        self.draft_status = draft.status if draft else ""
        self.draft_flags = list(draft.flags or []) if draft else []

    def allow_images(self) -> None:
        self.images_allowed = True
        self._read()

    def set_instructions(self, value: str) -> None:
        self.instructions = value[:500]

    def set_draft_text(self, value: str) -> None:
        self.draft_text = value

    @rx.event(background=True)
    async def generate(self):  # noqa: ANN201
        """The model can take seconds: it runs in a thread, outside the state lock and the event
        loop, so this page and everyone else's stay live meanwhile."""
        async with self:
            if self.working:
                return
            self.working, self.notice, self.error = True, "Writing a draft…", ""
            email_id, instructions, ip = self.email_id, self.instructions.strip() or None, self.router.session.client_ip
            try:
                with session_scope() as db:
                    user_id = self._user(db).id
            except OpenFyxerError as e:
                self.working, self.notice, self.error = False, "", e.message
                return

        def write():  # noqa: ANN202
            with session_scope() as db:
                draft = drafting.generate(db, user=db.get(User, user_id), email_id=uuid.UUID(email_id),
                                          instructions=instructions, ip=ip)
                db.flush()
                db.expunge(draft)
                return draft

        error, draft = "", None
        try:
            draft = await asyncio.to_thread(write)
        except (OpenFyxerError, ValueError) as e:
            error = getattr(e, "message", None) or "no such email"
        async with self:
            self.working, self.notice, self.error = False, "", error
            if draft is not None:
                self._show_draft(draft)

    def save_draft(self) -> None:
        self._draft_action(lambda db, user, draft_id: drafts.update(
            db, user=user, draft_id=draft_id, data=DraftUpdate(content=self.draft_text),
            ip=self.router.session.client_ip), "Saved.")

    def send(self) -> None:
        """The user's approval: the outbox sends each approved draft once."""
        def approve(db, user, draft_id):  # noqa: ANN001, ANN202
            if drafts.get(db, user=user, draft_id=draft_id).content != self.draft_text:  # unsaved edits go too
                drafts.update(db, user=user, draft_id=draft_id, data=DraftUpdate(content=self.draft_text),
                              ip=self.router.session.client_ip)
            return outbox.approve(db, user=user, draft_id=draft_id, ip=self.router.session.client_ip)

        draft = self._draft_action(approve, "Approved: it is being sent.")
        if draft is not None and draft.status == "approved":
            jobs.enqueue("send_draft", str(draft.id))

    def reject(self) -> None:
        self._draft_action(lambda db, user, draft_id: drafts.reject(
            db, user=user, draft_id=draft_id, ip=self.router.session.client_ip), "Rejected.")

    def _draft_action(self, action, notice: str):  # noqa: ANN001, ANN202
        self.error, self.notice = "", ""
        if not self.draft_id:
            return None
        try:
            with session_scope() as db:
                draft = action(db, self._user(db), uuid.UUID(self.draft_id))
                db.flush()
                self._show_draft(draft)
        except OpenFyxerError as e:
            self.error = e.message
            return None
        self.notice = notice
        return draft


class DraftsState(MailState):
    rows: list[dict] = []

    def load(self):  # noqa: ANN201
        return self._load_page()

    def _load(self) -> None:
        with session_scope() as db:
            pending = drafts.list_drafts(db, user=self._user(db), status="pending", limit=200)
            self.rows = [{"id": str(d.id), "email_id": str(d.email_id or ""), "subject": d.subject or "",
                          "to": ", ".join(d.to_addresses or []), "preview": " ".join(d.content.split())[:160],
                          "flagged": bool(d.flags), "created": _when(d.created_at)} for d in pending]


class HomeState(MailState):
    """What needs attention today, and mail per category per day."""

    urgent: list[dict] = []
    to_respond: list[dict] = []
    drafts_waiting: int = 0
    per_day: list[dict] = []

    def load(self):  # noqa: ANN201
        return self._load_page()

    def _load(self) -> None:
        with session_scope() as db:
            user = self._user(db)
            urgent, _ = emails.list_emails(db, user=user, category="urgent", is_read=False, limit=10)
            to_respond, _ = emails.list_emails(db, user=user, category="to_respond", is_read=False, limit=10)
            self.drafts_waiting = len(drafts.list_drafts(db, user=user, status="pending", limit=500))
            daily = emails.daily_counts(db, user=user, days=14)
        self.urgent, self.to_respond = [_row(e) for e in urgent], [_row(e) for e in to_respond]
        self.per_day = [{**{c: d.get(c, 0) for c in CATEGORIES}, "day": d["day"][5:]} for d in daily]
