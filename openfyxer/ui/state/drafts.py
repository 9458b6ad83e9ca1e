"""The drafts queue: what waits for the user's approval, kept for reading offline too."""

from __future__ import annotations

import reflex as rx

from openfyxer.core.db import session_scope
from openfyxer.services.mail import drafts
from openfyxer.services.meetings import followup
from openfyxer.ui.state.mail import MailState


class DraftsState(MailState):
    rows: list[dict] = []
    _texts: dict[str, str] = {}

    def load(self):  # noqa: ANN201
        return self._load_page() or self._offline() or DraftsState.watch

    @rx.event(background=True)
    async def watch(self):  # noqa: ANN201
        async for update in self._watch():
            yield update

    def _load(self) -> None:
        with session_scope() as db:
            user = self._user(db)
            # Failed sends stay in the queue, marked, until retried or discarded: they never vanish silently.
            failed = drafts.list_drafts(db, user=user, status="failed", limit=50)
            pending = failed + drafts.list_drafts(db, user=user, status="pending", limit=200)
            # A draft answers an email (opened there) or follows up a meeting (opened on the meeting's page).
            meetings = followup.meetings_of(db, user=user, draft_ids=[d.id for d in pending if d.email_id is None])
            self.rows = [{"id": str(d.id), "email_id": str(d.email_id or ""), "subject": d.subject or "",
                          "href": f"/email/{d.email_id}" if d.email_id else
                          (f"/meetings/{meetings[d.id]}" if d.id in meetings else "/drafts"),
                          "to": ", ".join(d.to_addresses or []), "preview": " ".join(d.content.split())[:160],
                          "flagged": bool(d.flags), "failed": d.status == "failed",
                          # Written here (a new message or a forward): opened in the editor on this page.
                          "compose": d.email_id is None and d.id not in meetings,
                          "created": self._when(d.created_at)} for d in pending]
            self._texts = {str(d.id): d.content[:4000] for d in pending}

    def _live(self):  # noqa: ANN202
        self._load()
        return self._offline()

    def _offline(self):  # noqa: ANN202
        self._keep_offline("drafts", {**self._offline_labels(), "rows": [
            {"subject": d["subject"], "to": d["to"], "received": d["created"], "body": self._texts.get(d["id"], "")}
            for d in self.rows]})
