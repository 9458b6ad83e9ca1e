"""Home: what needs attention today, and mail per category per day."""

from __future__ import annotations

import reflex as rx

from openfyxer.core.db import session_scope
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
            quality = drafts.quality(db, user=user)
        judged = quality.approved + quality.rejected
        share = "" if quality.share is None else f"{round(quality.share * 100)} %"
        self.quality_label = self._t("No drafts sent or rejected in the last 30 days.") if not judged else self._t(
            "Draft quality: {share} sent with small edits ({small} of {judged} in the last 30 days; {rejected} "
            "rejected)", share=share, small=self._num(quality.small_edits),
            judged=self._num(judged), rejected=self._num(quality.rejected))
        self.urgent, self.to_respond = [self._row(e) for e in urgent], [self._row(e) for e in to_respond]
        self.per_day = [{**{c: d.get(c, 0) for c in CATEGORIES}, "day": d["day"][5:]} for d in daily]
