"""Inbox, one email with its draft, and the drafts queue: thin handlers over the same services
the REST API calls (services.emails, drafts, drafting, outbox)."""

from __future__ import annotations

import asyncio
import json
import uuid

import reflex as rx

from datetime import UTC, datetime

from openfyxer import jobs
from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.models.draft import DraftUpdate
from openfyxer.models.email_api import EmailUpdate
from openfyxer.models.user import User
from openfyxer.services import accounts, activity, drafting, drafts, emails, outbox
from openfyxer.ui.state.session import SessionState

CATEGORIES = ("urgent", "to_respond", "fyi", "newsletter", "spam")
PAGE_SIZE = 50
# How often an open page looks for new mail, finished drafts and sync progress.
LIVE_SECONDS = 2.0


def _connected(token: str) -> bool:
    """Whether the browser tab is still connected (a closed tab's watch must end)."""
    from reflex.utils.prerequisites import get_and_validate_app

    namespace = get_and_validate_app().app.event_namespace
    return namespace is None or token in namespace.token_to_sid


def _stamp(user_id: str) -> tuple:
    with session_scope() as db:
        return activity.stamp(db, user_id=uuid.UUID(user_id))


def keep_offline(key: str, value: dict) -> rx.event.EventSpec:
    """A copy in the browser's localStorage for reading without a connection (assets/offline.js);
    the sign-out clears it."""
    return rx.call_script(f"localStorage.setItem({json.dumps('openfyxer-offline-' + key)}, "
                          f"{json.dumps(json.dumps(value, ensure_ascii=False))})")


class MailState(SessionState):
    """What every mail page shares: the signed-in user, looked up for each handler."""

    error: str = ""

    def _user(self, db):  # noqa: ANN001, ANN202
        user = self._live_user(db)
        if user is None:
            raise OpenFyxerError("your session has ended; sign in again")
        return user

    def _fail(self, e: OpenFyxerError) -> None:
        self.error = self._error_text(e)

    def _signed_in_id(self):  # noqa: ANN202
        """The user's id for work done outside the state lock (a background task), or None with the
        page's error set."""
        try:
            with session_scope() as db:
                return self._user(db).id
        except OpenFyxerError as e:
            self._fail(e)
            return None

    def _row(self, e) -> dict:  # noqa: ANN001
        return {"id": str(e.id), "sender": e.sender_name or e.sender or "",
                "subject": e.subject or self._t("(no subject)"), "snippet": e.snippet,
                "received": self._when(e.received_at), "is_read": e.is_read, "category": e.category or "unsorted",
                "category_label": self._category(e.category), "needs_reply": e.needs_reply}

    def _category(self, category: str | None) -> str:
        return {"urgent": self._t("Urgent"), "to_respond": self._t("To respond"), "fyi": self._t("FYI"),
                "newsletter": self._t("Newsletter"), "spam": self._t("Spam")}.get(category or "", self._t("Unsorted"))

    def _flag(self, flag: str) -> str:
        """A check's finding in plain words; the code's details (addresses, links) follow."""
        code, _, detail = flag.partition(": ")
        text = {
            "new_address": self._t("It names addresses that are not in the thread"),
            "new_link": self._t("It has links that are not in the thread"),
            "mentions_attachment": self._t("It mentions an attachment: the reply will go without one"),
            "quotes_system_prompt": self._t("It repeats the assistant's instructions: the email may have tried to steer it"),
            "possible_secret": self._t("It may contain a password, key or card number"),
            "repeats_email": self._t("It mostly repeats the sender's words"),
            "reply_to_differs": self._t("The reply goes to a different domain than the sender's"),
            "language_mismatch": self._t("It is not in the language of the email"),
        }.get(code, code)
        return f"{text} ({detail})" if detail else text

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
            self._fail(e)
        return None

    def _load(self) -> None:
        """What the page reads; errors it raises are shown on the page."""

    _watch_id: int = 0

    async def _watch(self):  # noqa: ANN202
        """The body of each page's background `watch`: while this tab shows the page, compare the
        user's activity stamp every LIVE_SECONDS and, when it moves, redraw with the page's `_live`.
        Yields what `_live` returns (the offline copy) to the browser."""
        async with self:
            self._watch_id += 1
            mine, token, path, user_id = self._watch_id, self.router.session.client_token, str(self.router.url.path), \
                self._user_id
        if not user_id:
            return
        last = await asyncio.to_thread(_stamp, user_id)
        while True:
            await asyncio.sleep(LIVE_SECONDS)
            if not _connected(token):
                return
            now = await asyncio.to_thread(_stamp, user_id)
            async with self:
                if self._watch_id != mine or str(self.router.url.path) != path or self._user_id != user_id:
                    return  # another page, a newer watch, or signed out
                if now == last:
                    continue
                last = now
                try:
                    update = self._live()
                except OpenFyxerError as e:
                    self._fail(e)
                    update = None
            if update is not None:
                yield update

    def _live(self):  # noqa: ANN202
        """Redraw after a change elsewhere; may return an event for the browser."""
        self._load()

    def _offline_labels(self) -> dict:
        """The offline reader's words, in the language of the copy."""
        return {"lang": self.lang, "saved": self._when(datetime.now(UTC)),
                "banner": self._t("You are offline. This is what was here when you last looked, on {when}.",
                                  when=self._when(datetime.now(UTC))),
                "inbox": self._t("Inbox"), "drafts": self._t("Drafts waiting for approval"),
                "none": self._t("Nothing here."), "to": self._t("To")}


class InboxState(MailState):
    category: str = "to_respond"
    query: str = ""
    page: int = 0
    total: int = 0
    rows: list[dict] = []
    counts: dict[str, str] = {}  # formatted for the user's locale
    unread: dict[str, int] = {}
    selected: list[str] = []
    account_id: str = "all"
    page_label: str = ""
    account_options: list[list[str]] = []  # [id, address]

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    def load(self):  # noqa: ANN201
        return self._load_page() or [InboxState.keep_copy, InboxState.watch]

    @rx.event(background=True)
    async def watch(self):  # noqa: ANN201
        async for update in self._watch():
            yield update

    def _load(self) -> None:
        self.refresh()

    def _live(self):  # noqa: ANN202
        self.refresh()
        return self._offline()

    def keep_copy(self):  # noqa: ANN201
        """A follow-up event, so the list is on screen before the copy (up to ~200 kB) is written."""
        return self._offline()

    def _offline(self):  # noqa: ANN202
        """The list on screen, with each message's text, kept for reading offline."""
        try:
            with session_scope() as db:
                texts = emails.bodies(db, user=self._user(db), email_ids=[uuid.UUID(r["id"]) for r in self.rows])
        except OpenFyxerError:
            return None
        return keep_offline("inbox", {
            **self._offline_labels(), "view": self._category(self.category) if self.category else self._t("Inbox"),
            "rows": [{"sender": r["sender"], "subject": r["subject"], "received": r["received"],
                      "unread": not r["is_read"], "body": texts.get(r["id"], "")} for r in self.rows]})

    def refresh(self) -> None:
        self.error = ""
        account = uuid.UUID(self.account_id) if self.account_id != "all" else None
        try:
            with session_scope() as db:
                user = self._user(db)
                self.account_options = [[str(a.id), a.email_address] for a in accounts.list_accounts(db, user=user)]
                counts = emails.category_counts(db, user=user, account_id=account)
                items, self.total = emails.list_emails(db, user=user, category=self.category or None,
                                                       account_id=account, q=self.query or None, limit=PAGE_SIZE,
                                                       offset=self.page * PAGE_SIZE)
        except OpenFyxerError as e:
            self._fail(e)
            return
        self.counts = {c: self._num(counts.get(c, {}).get("total", 0)) for c in CATEGORIES}
        self.unread = {c: counts.get(c, {}).get("unread", 0) for c in CATEGORIES}
        self.rows = [self._row(e) for e in items]
        self.page_label = self._t("Page {page} of {pages}", page=self._num(self.page + 1),
                                  pages=self._num(max(1, -(-self.total // PAGE_SIZE))))
        self.selected = [i for i in self.selected if any(r["id"] == i for r in self.rows)]

    def choose_account(self, account_id: str):  # noqa: ANN201
        self.account_id = account_id if any(a[0] == account_id for a in self.account_options) else "all"
        self.page, self.selected = 0, []
        self.refresh()
        return InboxState.keep_copy

    def show(self, category: str):  # noqa: ANN201
        self.category, self.page, self.selected = category, 0, []
        self.refresh()
        return InboxState.keep_copy

    def search(self, form: dict):  # noqa: ANN201
        self.query, self.page = (form.get("q") or "").strip()[:200], 0
        self.refresh()
        return InboxState.keep_copy

    def next_page(self):  # noqa: ANN201
        if self.page + 1 < self.pages:
            self.page += 1
            self.refresh()
            return InboxState.keep_copy
        return None

    def previous_page(self):  # noqa: ANN201
        if self.page > 0:
            self.page -= 1
            self.refresh()
            return InboxState.keep_copy
        return None

    def toggle(self, email_id: str) -> None:
        self.selected = [i for i in self.selected if i != email_id] if email_id in self.selected \
            else [*self.selected, email_id]

    def _apply(self, data: EmailUpdate):  # noqa: ANN202
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
            self._fail(e)
            return
        for email_id in pushed:  # after the commit, as the API does
            jobs.enqueue("push_read_state", email_id)
        self.selected = []
        self.refresh()
        return InboxState.keep_copy

    def mark_read(self):  # noqa: ANN201
        return self._apply(EmailUpdate(is_read=True))

    def move_to(self, category: str):  # noqa: ANN201
        """A correction: the triage learns from it (services.triage.correct)."""
        return self._apply(EmailUpdate(category=category)) if category in CATEGORIES else None


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
    draft_status_label: str = ""
    draft_flags: list[str] = []
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
        self.images_allowed, self.notice, self.instructions = False, "", ""
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
                detail = emails.get_email(db, user=user, email_id=email_id, allow_images=self.images_allowed)
                if not detail.is_read:
                    emails.update_email(db, user=user, email_id=email_id, data=EmailUpdate(is_read=True),
                                        ip=self.router.session.client_ip)
                    jobs_after = True
                else:
                    jobs_after = False
                current = drafts.list_drafts(db, user=user, email_id=email_id, status=None, limit=1)
        except OpenFyxerError as e:
            self._fail(e)
            self.email = {}
            return
        if jobs_after:
            jobs.enqueue("push_read_state", str(email_id))
        self.email = {**self._row(detail), "to": ", ".join(detail.recipients or []), "reason": detail.triage_reason or ""}
        self.body_html, self.body_text = detail.body_html or "", detail.body_text or ""
        self.has_remote_images = detail.has_remote_images
        self.thread = [self._row(t) for t in detail.thread if t.id != detail.id]
        self.attachments = [{"name": a.filename or "attachment", "type": a.content_type or "", "size": a.size or 0}
                            for a in detail.attachments]
        self._show_draft(current[0] if current else None)

    def _show_draft(self, draft) -> None:  # noqa: ANN001
        self.draft_id = str(draft.id) if draft else ""
        self.draft_text = draft.content if draft else ""
        self.draft_status = draft.status if draft else ""
        self.draft_status_label = {
            "pending": self._t("waiting for your approval"), "approved": self._t("approved, sending"),
            "sending": self._t("sending"), "sent": self._t("sent"), "rejected": self._t("rejected"),
            "failed": self._t("not sent: failed"),
        }.get(self.draft_status, self.draft_status)
        self.draft_flags = [self._flag(f) for f in draft.flags or []] if draft else []

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
            self.working, self.notice, self.error = True, self._t("Writing a draft…"), ""
            email_id, instructions, ip = self.email_id, self.instructions.strip() or None, self.router.session.client_ip
            if (user_id := self._signed_in_id()) is None:
                self.working, self.notice = False, ""
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
            self.working, self.notice, self.error = False, "", self._t(error) if error else ""
            if draft is not None:
                self._show_draft(draft)

    def save_draft(self) -> None:
        self._draft_action(lambda db, user, draft_id: drafts.update(
            db, user=user, draft_id=draft_id, data=DraftUpdate(content=self.draft_text),
            ip=self.router.session.client_ip), self._t("Saved."))

    def send(self) -> None:
        """The user's approval: the outbox sends each approved draft once."""
        def approve(db, user, draft_id):  # noqa: ANN001, ANN202
            if drafts.get(db, user=user, draft_id=draft_id).content != self.draft_text:  # unsaved edits go too
                drafts.update(db, user=user, draft_id=draft_id, data=DraftUpdate(content=self.draft_text),
                              ip=self.router.session.client_ip)
            return outbox.approve(db, user=user, draft_id=draft_id, ip=self.router.session.client_ip)

        draft = self._draft_action(approve, self._t("Approved: it is being sent."))
        if draft is not None and draft.status == "approved":
            jobs.enqueue("send_draft", str(draft.id))

    def reject(self) -> None:
        self._draft_action(lambda db, user, draft_id: drafts.reject(
            db, user=user, draft_id=draft_id, ip=self.router.session.client_ip), self._t("Rejected."))

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
            self._fail(e)
            return None
        self.notice = notice
        return draft


class DraftsState(MailState):
    rows: list[dict] = []
    _texts: dict[str, str] = {}

    def load(self):  # noqa: ANN201
        return self._load_page() or [self._offline(), DraftsState.watch]

    @rx.event(background=True)
    async def watch(self):  # noqa: ANN201
        async for update in self._watch():
            yield update

    def _load(self) -> None:
        with session_scope() as db:
            pending = drafts.list_drafts(db, user=self._user(db), status="pending", limit=200)
            self.rows = [{"id": str(d.id), "email_id": str(d.email_id or ""), "subject": d.subject or "",
                          "to": ", ".join(d.to_addresses or []), "preview": " ".join(d.content.split())[:160],
                          "flagged": bool(d.flags), "created": self._when(d.created_at)} for d in pending]
            self._texts = {str(d.id): d.content[:4000] for d in pending}

    def _live(self):  # noqa: ANN202
        self._load()
        return self._offline()

    def _offline(self):  # noqa: ANN202
        return keep_offline("drafts", {**self._offline_labels(), "rows": [
            {"subject": d["subject"], "to": d["to"], "received": d["created"], "body": self._texts.get(d["id"], "")}
            for d in self.rows]})


class HomeState(MailState):
    """What needs attention today, and mail per category per day; redrawn as mail arrives."""

    urgent: list[dict] = []
    to_respond: list[dict] = []
    drafts_waiting: int = 0
    drafts_label: str = ""
    per_day: list[dict] = []

    def load(self):  # noqa: ANN201
        return self._load_page() or HomeState.watch

    @rx.event(background=True)
    async def watch(self):  # noqa: ANN201
        async for update in self._watch():
            yield update

    def _load(self) -> None:
        with session_scope() as db:
            user = self._user(db)
            urgent, _ = emails.list_emails(db, user=user, category="urgent", is_read=False, limit=10)
            to_respond, _ = emails.list_emails(db, user=user, category="to_respond", is_read=False, limit=10)
            self.drafts_waiting = len(drafts.list_drafts(db, user=user, status="pending", limit=500))
            self.drafts_label = self._t("{count} drafts waiting for your approval", count=self._num(self.drafts_waiting))
            daily = emails.daily_counts(db, user=user, days=14)
        self.urgent, self.to_respond = [self._row(e) for e in urgent], [self._row(e) for e in to_respond]
        self.per_day = [{**{c: d.get(c, 0) for c in CATEGORIES}, "day": d["day"][5:]} for d in daily]
