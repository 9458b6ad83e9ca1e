"""The inbox page: category tabs with counts, search, paging, an account filter and bulk changes,
thin handlers over services.mail.emails as the REST API's routes are."""

from __future__ import annotations

import uuid

import reflex as rx

from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.models.email_api import EmailUpdate
from openfyxer.services.mail import accounts, emails
from openfyxer.ui.state.mail import CATEGORIES, MailState

PAGE_SIZE = 50
# The lists beside the sorted inbox: what the user starred, snoozed, archived or deleted.
VIEWS = ("inbox", "starred", "snoozed", "archive", "trash")


class InboxState(MailState):
    category: str = "to_respond"
    view: str = "inbox"
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
        self._keep_offline("inbox", {
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
                inbox = self.view == "inbox"
                items, self.total = emails.list_emails(
                    db, user=user, category=self.category or None if inbox else None, account_id=account,
                    q=self.query or None, limit=PAGE_SIZE, offset=self.page * PAGE_SIZE,
                    folder=None if self.view == "starred" else self.view, starred=True if self.view == "starred" else None)
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
        self.category, self.view, self.page, self.selected = category, "inbox", 0, []
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
        try:
            with session_scope() as db:
                emails.update_emails(db, user=self._user(db), email_ids=[uuid.UUID(i) for i in self.selected],
                                     data=data, ip=self.router.session.client_ip)
        except OpenFyxerError as e:
            self._fail(e)
            return
        self.selected = []
        self.refresh()
        return InboxState.keep_copy

    def show_view(self, view: str):  # noqa: ANN201
        self.view = view if view in VIEWS else "inbox"
        self.page, self.selected = 0, []
        self.refresh()
        return InboxState.keep_copy

    def bulk(self, action: str):  # noqa: ANN201
        """Archive, delete, done, star or back to the inbox: the selected messages, undoable."""
        if action not in ("archive", "trash", "done", "star", "unstar", "inbox", "unread") or not self.selected:
            return None
        if self._act(list(self.selected), action):
            self.selected = []
        self.refresh()
        return InboxState.keep_copy

    def bulk_snooze(self, choice: str):  # noqa: ANN201
        if not choice or not self.selected:
            return None
        if self._act(list(self.selected), "snooze", choice):
            self.selected = []
        self.refresh()
        return InboxState.keep_copy

    def undo(self):  # noqa: ANN201
        return self._undo()

    def _after_undo(self):  # noqa: ANN202
        self.refresh()
        return InboxState.keep_copy

    def mark_read(self):  # noqa: ANN201
        return self._apply(EmailUpdate(is_read=True))

    def move_to(self, category: str):  # noqa: ANN201
        """A correction: the triage learns from it (services.triage.correct)."""
        return self._apply(EmailUpdate(category=category)) if category in CATEGORIES else None
