"""Settings (mail accounts, model, preferences) and the audit log: handlers over services.accounts,
services.settings and services.audit, as the REST API's routes are."""

from __future__ import annotations

import json
import uuid

import reflex as rx
from pydantic import ValidationError as PydanticError

from openfyxer import jobs
from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.models.account import AccountCreate
from openfyxer.models.settings import SettingsUpdate
from openfyxer.services import accounts, audit, auth
from openfyxer.services import settings as settings_service
from openfyxer.ui.state.auth import _first_error
from openfyxer.ui.state.mail import MailState, _when

PROVIDERS = ["local", "ollama", "openai", "gemini", "claude", "cohere"]
SECRETS = ("openai_api_key", "gemini_api_key", "claude_api_key", "cohere_api_key")
AUDIT_PAGE = 50


def _account(a) -> dict:  # noqa: ANN001
    total = a.sync_total or 0
    return {"id": str(a.id), "address": a.email_address, "provider": a.provider, "state": a.sync_state,
            "done": a.sync_done or 0, "total": total, "percent": int(100 * (a.sync_done or 0) / total) if total else 0,
            "error": a.sync_error or "", "last_sync": _when(a.last_sync)}


class SettingsState(MailState):
    accounts: list[dict] = []
    notice: str = ""
    provider: str = "local"
    model: str = ""
    secrets_set: dict[str, bool] = {}
    follow_up_days: int = 3
    priority_contacts: str = ""
    language: str = "en"
    timezone: str = "UTC"

    def load(self):  # noqa: ANN201
        return self._load_page()

    def _load(self) -> None:
        self.notice = ""
        self._read()

    def _read(self) -> None:
        self.error = ""
        try:
            with session_scope() as db:
                user = self._user(db)
                self.totp_enabled = user.totp_enabled
                self.accounts = [_account(a) for a in accounts.list_accounts(db, user=user)]
                s = settings_service.read(db, user=user)
        except OpenFyxerError as e:
            self.error = e.message
            return
        self.provider, self.model = s.llm_provider, s.llm_model or ""
        self.secrets_set = {k: bool(s.secrets_set.get(k)) for k in SECRETS}
        self.follow_up_days, self.priority_contacts = s.follow_up_days, "\n".join(s.priority_contacts)
        self.language, self.timezone = s.language, s.timezone

    totp_qr: str = ""  # the enrolment QR code (a data: URI), shown until verified
    totp_secret: str = ""

    def start_two_factor(self) -> None:
        """A new secret, shown once as a QR code and as text; enabled only once a code checks out."""
        self.error, self.notice = "", ""
        try:
            with session_scope() as db:
                setup = auth.totp_setup(db, user=self._user(db), ip=self.router.session.client_ip)
        except OpenFyxerError as e:
            self.error = e.message
            return
        self.totp_qr, self.totp_secret = setup.qr_svg, setup.secret

    def verify_two_factor(self, form: dict) -> None:
        self.error, self.notice = "", ""
        code = (form.get("totp_setup_code") or "").strip()
        try:
            with session_scope() as db:
                auth.totp_verify(db, user=self._user(db), code=code, ip=self.router.session.client_ip)
        except OpenFyxerError as e:
            self.error = e.message
            return
        self.totp_qr = self.totp_secret = ""
        self.totp_enabled = True
        self.notice = "Two-factor authentication is on: sign-in now asks for a code from your app."

    def _attempt(self, action):  # noqa: ANN001, ANN202
        """action(db) in one transaction; a bad field or a refused change shows as the page's error
        and gives None."""
        try:
            with session_scope() as db:
                return action(db)
        except PydanticError as e:
            self.error = _first_error(e)
        except OpenFyxerError as e:
            self.error = e.message
        return None

    def set_provider(self, value: str) -> None:
        self.provider = value if value in PROVIDERS else "local"

    def set_language(self, value: str) -> None:
        self.language = value if value in ("en", "ro") else "en"

    def refresh_progress(self) -> None:
        self._read()

    def connect(self, form: dict):  # noqa: ANN201
        """The IMAP form: connect_account checks the login against the servers before saving."""
        self.error, self.notice = "", ""
        fields = {k: v.strip() for k, v in form.items() if isinstance(v, str) and v.strip()}
        for port in ("imap_port", "smtp_port"):
            if port in fields and not fields[port].isdigit():
                self.error = f"{port}: a port is a number"
                return None
        account = self._attempt(lambda db: accounts.connect_account(
            db, user=self._user(db), data=AccountCreate(**fields), ip=self.router.session.client_ip))
        if account is None:
            return None
        jobs.enqueue("sync_account", str(account.id))
        self.notice = f"Connected {account.email_address}; the first sync has started."
        self._read()
        return rx.call_script("document.getElementById('connect-form').reset()")  # the password leaves the page

    def sync_now(self, account_id: str) -> None:
        try:
            with session_scope() as db:
                account = accounts.get_account(db, user=self._user(db), account_id=uuid.UUID(account_id))
        except OpenFyxerError as e:
            self.error = e.message
            return
        jobs.enqueue("sync_account", str(account.id))
        self.notice = f"Syncing {account.email_address}."
        self._read()

    def remove(self, account_id: str) -> None:
        try:
            with session_scope() as db:
                counts = accounts.remove_account(db, user=self._user(db), account_id=uuid.UUID(account_id),
                                                 ip=self.router.session.client_ip)
        except OpenFyxerError as e:
            self.error = e.message
            return
        self.notice = f"Removed the account and {counts.get('emails', 0)} messages."
        self._read()

    def save(self, form: dict):  # noqa: ANN201
        """Model and preferences; an API key field left empty keeps the stored key (keys are write-only)."""
        self.error, self.notice = "", ""
        contacts = [c.strip() for c in (form.get("priority_contacts") or "").replace(",", "\n").splitlines() if c.strip()]
        changes: dict = {"llm_provider": form.get("llm_provider") or None, "llm_model": (form.get("llm_model") or "").strip(),
                         "priority_contacts": contacts, "language": form.get("language") or None,
                         "timezone": (form.get("timezone") or "").strip() or None}
        days = (form.get("follow_up_days") or "").strip()
        if days:
            if not days.isdigit():
                self.error = "follow_up_days: a number of days"
                return
            changes["follow_up_days"] = int(days)
        changes.update({k: form[k].strip() for k in SECRETS if (form.get(k) or "").strip()})
        data = {k: v for k, v in changes.items() if v is not None}
        if self._attempt(lambda db: settings_service.update(db, user=self._user(db), data=SettingsUpdate(**data),
                                                            ip=self.router.session.client_ip)) is None:
            return None
        self.notice = "Settings saved."
        self._read()
        return [rx.set_value(k, "") for k in SECRETS]  # keys are write-only: never shown back


class AuditState(MailState):
    rows: list[dict] = []
    page: int = 0
    total: int = 0

    def load(self):  # noqa: ANN201
        return self._load_page()

    def _load(self) -> None:
        self.page = 0
        self._read()

    def _read(self) -> None:
        try:
            with session_scope() as db:
                items, self.total = audit.list_for_user(db, user_id=self._user(db).id, limit=AUDIT_PAGE,
                                                        offset=self.page * AUDIT_PAGE)
        except OpenFyxerError as e:
            self.error = e.message
            return
        self.rows = [{"when": _when(a.created_at), "action": a.action, "ip": a.ip_address or "",
                      "details": json.dumps(a.details, ensure_ascii=False)[:200] if a.details else ""} for a in items]

    def older(self) -> None:
        if (self.page + 1) * AUDIT_PAGE < self.total:
            self.page += 1
            self._read()

    def newer(self) -> None:
        if self.page > 0:
            self.page -= 1
            self._read()
