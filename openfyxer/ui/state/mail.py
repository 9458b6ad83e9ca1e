"""What the mail pages share (Home, Inbox, one email, Drafts; one module each beside this one):
the signed-in user per handler, row and flag wording, the live watch and the offline copy."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import reflex as rx
from pydantic import ValidationError as PydanticError

from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.services import activity, auth
from openfyxer.ui.state.auth import _first_error
from openfyxer.ui.state.session import SessionState

CATEGORIES = ("urgent", "to_respond", "fyi", "newsletter", "spam")
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


T = TypeVar("T")


def as_user(session_id: str, action: Callable[..., T]) -> T:
    """action(db, user) in one unit of work for the tab's signed-in user: what a handler hands to a
    worker thread when the work checks a password (argon2 is slow on purpose: off the event loop)."""
    with session_scope() as db:
        user = auth.live_user(db, session_id=uuid.UUID(session_id)) if session_id else None
        if user is None:
            raise OpenFyxerError("your session has ended; sign in again")
        return action(db, user)


class MailState(SessionState):
    """What every mail page shares: the signed-in user, looked up for each handler."""

    error: str = ""

    def _user(self, db):  # noqa: ANN001, ANN202
        user = self._live_user(db)
        if user is None:
            raise OpenFyxerError("your session has ended; sign in again")
        return user

    # The last inbox action, undoable from any mail page for a minute (services.mail.inbox.UNDO_S).
    undo_token: str = ""
    undo_label: str = ""

    def _act(self, ids: list[str], action: str, snooze: str = "") -> bool:
        """Archive, delete, star, snooze ... the user's messages; shown at once, mirrored by a job."""
        from openfyxer.services.mail import inbox

        def run(db) -> str:  # noqa: ANN001
            user = self._user(db)
            until = inbox.snooze_time(snooze, user.timezone) if action == "snooze" else None
            _, token = inbox.act(db, user=user, email_ids=[uuid.UUID(i) for i in ids], action=action, until=until,
                                 ip=self.router.session.client_ip)
            return token

        token = self._attempt(run)
        if token is None:
            return False
        labels = {"archive": self._t("Archived"), "trash": self._t("Moved to Trash"), "done": self._t("Marked done"),
                  "star": self._t("Starred"), "unstar": self._t("Star removed"), "snooze": self._t("Snoozed"),
                  "inbox": self._t("Moved to the inbox"), "read": self._t("Marked read"),
                  "unread": self._t("Marked unread")}
        self.undo_token = token
        self.undo_label = self._t("{what}: {n} message(s).", what=labels.get(action, action), n=self._num(len(ids)))
        return True

    def _undo(self):  # noqa: ANN202
        """Put back what the last action changed; the page shows it again. Each page's `undo` handler
        calls this: a handler defined here would run on this state, not the page's."""
        from openfyxer.services.mail import inbox

        token, self.undo_token, self.undo_label = self.undo_token, "", ""
        if token and self._attempt(lambda db: inbox.undo(db, user=self._user(db), token=token,
                                                         ip=self.router.session.client_ip)) is not None:
            return self._after_undo()
        return None

    def dismiss_undo(self) -> None:
        self.undo_token, self.undo_label = "", ""

    def _after_undo(self):  # noqa: ANN202
        """What a page redraws once an action is undone."""
        return None

    def _fail(self, e: OpenFyxerError) -> None:
        self.error = self._error_text(e)

    def _attempt(self, action: Callable[..., T]) -> T | None:
        """action(db) in one transaction; a bad field or a refused change shows as the page's error
        and gives None."""
        try:
            with session_scope() as db:
                return action(db)
        except PydanticError as e:
            self.error = _first_error(e)
        except OpenFyxerError as e:
            self._fail(e)
        return None

    async def _off_loop(self, action: Callable[..., T]) -> T | None:
        """action(db, user) in a worker thread, for work that checks a password or talks to a server; a
        bad field or a refused change shows as the page's error and gives None."""
        try:
            return await asyncio.to_thread(as_user, self._session_id, action)
        except PydanticError as e:
            self.error = _first_error(e)
        except OpenFyxerError as e:
            self._fail(e)
        return None

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
                "category_label": self._category(e.category), "needs_reply": e.needs_reply,
                "starred": bool(getattr(e, "starred", False))}

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
            "asks_user": self._t("It asks you something before it can be sent"),
            "decision_removed": self._t("It had decided for you: that sentence was taken out, the choice is yours"),
            "amount_removed": self._t("It stated an amount that none of its sources gives for this sender: that "
                                      "sentence was taken out"),
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

    def _keep_offline(self, key: str, value: dict) -> None:
        """A copy in the browser's localStorage for reading without a connection: the page's bridge
        (assets/app.js) stores it, assets/offline.js shows it; the sign-out clears it."""
        setattr(self, f"offline_{key}", json.dumps(value, ensure_ascii=False))

    def _offline_labels(self) -> dict:
        """The offline reader's words, in the language of the copy."""
        return {"lang": self.lang, "saved": self._when(datetime.now(UTC)),
                "banner": self._t("You are offline. This is what was here when you last looked, on {when}.",
                                  when=self._when(datetime.now(UTC))),
                "inbox": self._t("Inbox"), "drafts": self._t("Drafts waiting for approval"),
                "none": self._t("Nothing here."), "to": self._t("To")}
