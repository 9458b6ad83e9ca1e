"""Writing a new message or a forward on the Drafts page: the editor, thin over services.mail.drafts
and outbox (a composed message waits for the same approval and goes through the same exactly-once outbox)."""

from __future__ import annotations

import uuid

from openfyxer.core.config import get_settings
from openfyxer.models.draft import DraftCreate, DraftUpdate
from openfyxer.services.mail import accounts, drafts, outbox
from openfyxer.ui.state.drafts import DraftsState


def _split(text: str) -> list[str]:
    return [a.strip() for a in text.replace(";", ",").split(",") if a.strip()]


class ComposeState(DraftsState):
    editing: str = ""  # "" closed, "new", or the id of the draft being written
    compose_account: str = ""
    compose_accounts: list[list[str]] = []  # [id, address]
    compose_to: str = ""
    compose_cc: str = ""
    compose_subject: str = ""
    compose_text: str = ""
    compose_flags: list[str] = []
    notice: str = ""

    def open_from_url(self):  # noqa: ANN201
        """on_load: /drafts?edit=<id> opens that draft (where Forward leads)."""
        self.load_accounts()
        wanted = str(self.router.url.query_parameters.get("edit", ""))
        if wanted:
            self.edit(wanted)
        elif self.router.url.query_parameters.get("compose"):  # "c" pressed on another page
            self.new_message()
        return DraftsState.load

    def load_accounts(self) -> None:
        found = self._attempt(lambda db: accounts.list_accounts(db, user=self._user(db))) or []
        self.compose_accounts = [[str(a.id), a.email_address] for a in found]
        if self.compose_accounts and self.compose_account not in [a[0] for a in self.compose_accounts]:
            self.compose_account = self.compose_accounts[0][0]

    def new_message(self) -> None:
        self.load_accounts()
        self.editing, self.compose_to, self.compose_cc = "new", "", ""
        self.compose_subject, self.compose_text, self.compose_flags = "", "", []
        self.error, self.notice = "", ""

    def edit(self, draft_id: str) -> None:
        try:
            wanted = uuid.UUID(draft_id)
        except ValueError:
            return
        d = self._attempt(lambda db: drafts.get(db, user=self._user(db), draft_id=wanted))
        if d is None or d.status not in ("pending", "failed") or d.email_id is not None:
            return
        self.editing, self.compose_account = str(d.id), str(d.account_id)
        self.compose_to, self.compose_cc = ", ".join(d.to_addresses or []), ", ".join(d.cc_addresses or [])
        self.compose_subject, self.compose_text, self.compose_flags = d.subject or "", d.content, list(d.flags or [])

    def set_compose_account(self, value: str) -> None:
        self.compose_account = value

    def set_compose_to(self, value: str) -> None:
        self.compose_to = value[:5000]

    def set_compose_cc(self, value: str) -> None:
        self.compose_cc = value[:5000]

    def set_compose_subject(self, value: str) -> None:
        self.compose_subject = value[:998]

    def set_compose_text(self, value: str) -> None:
        self.compose_text = value[:200_000]

    def close(self) -> None:
        self.editing = ""

    def _save(self, db, user):  # noqa: ANN001, ANN202
        if self.editing == "new":
            return drafts.create(db, user=user, data=DraftCreate(
                account_id=uuid.UUID(self.compose_account), to=_split(self.compose_to), cc=_split(self.compose_cc),
                subject=self.compose_subject, content=self.compose_text), ip=self.router.session.client_ip)
        return drafts.update(db, user=user, draft_id=uuid.UUID(self.editing), data=DraftUpdate(
            to=_split(self.compose_to) or None, cc=_split(self.compose_cc), subject=self.compose_subject,
            content=self.compose_text), ip=self.router.session.client_ip)

    def save(self) -> None:
        self.error, self.notice = "", ""
        saved = self._attempt(lambda db: self._save(db, self._user(db)))
        if saved is not None:
            self.editing, self.notice = str(saved.id), self._t("Saved.")
            self._load()

    def send(self) -> None:
        """Saved as shown, then approved: it goes after the undo-send hold, through the outbox, once."""
        self.error, self.notice = "", ""

        def run(db):  # noqa: ANN001, ANN202
            user = self._user(db)
            saved = self._save(db, user)
            db.flush()
            return outbox.approve(db, user=user, draft_id=saved.id, ip=self.router.session.client_ip)

        sent = self._attempt(run)
        if sent is not None:
            hold = get_settings().undo_send_seconds
            self.editing = ""
            self.notice = self._t("Approved: it goes in {n} seconds unless you undo it.", n=hold) if hold \
                else self._t("Approved: it is being sent.")
            self._load()

    def discard(self) -> None:
        if self.editing not in ("", "new"):
            draft_id = uuid.UUID(self.editing)
            self._attempt(lambda db: drafts.reject(db, user=self._user(db), draft_id=draft_id,
                                                   reason="not_needed", ip=self.router.session.client_ip))
        self.editing = ""
        self._load()
