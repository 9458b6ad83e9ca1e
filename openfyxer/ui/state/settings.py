"""Settings (mail accounts, model, preferences, two-factor sign-in, an administrator's invitations)
and the audit log: handlers over services.accounts, services.settings, services.auth,
services.invitations and services.audit, as the REST API's routes are."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import reflex as rx

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.models.account import AccountCreate
from openfyxer.models.oauth import OAuthStart
from openfyxer.models.settings import SettingsUpdate
from openfyxer.models.types import check_address
from openfyxer.models.user import InvitationCreate
from openfyxer.services import audit, auth, invitations
from openfyxer.services.mail import accounts, oauth, watch
from openfyxer.services import settings as settings_service
from openfyxer.ui.state.auth import client_ip
from openfyxer.ui.state.mail import MailState

PROVIDERS = ["local", "ollama", "openai", "gemini", "claude", "cohere"]
SECRETS = ("openai_api_key", "gemini_api_key", "claude_api_key", "cohere_api_key")
AUDIT_PAGE = 50
class SettingsState(MailState):
    accounts: list[dict] = []
    notice: str = ""
    provider: str = "local"
    model: str = ""
    secrets_set: dict[str, bool] = {}
    follow_up_days: int = 3
    priority_contacts: str = ""
    timezone: str = "UTC"
    # Which providers' sign-in this server is set up for (OPENFYXER_GOOGLE_CLIENT_ID / _MICROSOFT_): only
    # those buttons are shown, rather than one that leads to a message about the server's .env.
    oauth_providers: list[str] = []

    def load(self):  # noqa: ANN201
        return self._load_page() or SettingsState.watch

    @rx.event(background=True)
    async def watch(self):  # noqa: ANN201
        async for update in self._watch():
            yield update

    def _live(self) -> None:
        """Sync progress as it happens; the forms are left as they are."""
        with session_scope() as db:
            self.accounts = [self._account(a) for a in accounts.list_accounts(db, user=self._user(db))]

    def _load(self) -> None:
        self.notice = ""
        s = get_settings()
        clients = (("google", s.google_client_id), ("microsoft", s.microsoft_client_id))
        self.oauth_providers = [p for p, client in clients if client]
        # Shown once: whoever comes back to the page later does not see them again.
        self.shown_codes, self.invitation_code, self.invitation_link = [], "", ""
        self._read()
        # Back from a provider's sign-in page (the API's OAuth callback redirects here).
        params = self.router.url.query_parameters
        if params.get("oauth_error"):
            self.error = self._oauth_error(params)
        elif params.get("connected"):
            self.notice = self._t("Connected; the first sync has started.")

    def _oauth_error(self, params) -> str:  # noqa: ANN001
        """Why the callback connected nothing, from its redirect's query."""
        reason = str(params["oauth_error"])[:80]
        if reason == "oauth_browser_mismatch":
            return self._t("The sign-in came back to a different browser than the one that started it, so nothing "
                           "was connected. Start again from this page, in this browser. If you did not start "
                           "connecting a mailbox, someone may have sent you that sign-in link: ignore it.")
        if reason == "oauth_identity_mismatch":
            asked, authorized = (_address(params.get(k)) for k in ("asked", "authorized"))
            if asked and authorized:
                return self._t("You asked to connect {asked}, but the provider signed in {authorized}, so nothing "
                               "was connected. Start again and sign in at the provider as {asked}.",
                               asked=asked, authorized=authorized)
            return self._t("The provider signed in a different mailbox than the one you asked for, so nothing "
                           "was connected.")
        return self._t("The sign-in with the provider did not finish ({reason}); nothing was connected.",
                       reason=reason)

    oauth_email: str = ""

    def set_oauth_email(self, value: str) -> None:
        self.oauth_email = value.strip()[:255]

    def connect_oauth(self, provider: str):  # noqa: ANN201
        """Gmail or Outlook: off to the provider's own sign-in page; it comes back to /settings."""
        self.error, self.notice = "", ""
        if provider not in ("google", "microsoft"):
            return None
        started = self._attempt(lambda db: oauth.start(db, user=self._user(db), provider=provider,
                                                       data=OAuthStart(email_address=self.oauth_email)))
        if started is None:
            return None
        # The nonce cookie the callback wants back must be HttpOnly, which only an HTTP answer can set:
        # the page's bridge loads the begin route, which sets it and goes on to the provider.
        with session_scope() as db:
            user_id = self._user(db).id
        self.bridge_go = f"/api/v1/accounts/oauth/{provider}/begin?ticket={oauth.browser_ticket(started, user_id=user_id)}"
        return None

    def _account(self, a) -> dict:  # noqa: ANN001
        total, done = a.sync_total or 0, a.sync_done or 0
        watched = watch.published(a.id)
        state = {"idle": self._t("up to date"), "running": self._t("syncing"), "error": self._t("sync failed"),
                 "pending": self._t("waiting to sync")}.get(a.sync_state, a.sync_state)
        return {"id": str(a.id), "address": a.email_address, "provider": a.provider, "state": a.sync_state,
                "state_label": state, "done": self._num(done), "total": self._num(total),
                "percent": int(100 * done / total) if total else 0, "has_total": total > 0, "error": a.sync_error or "",
                "progress": self._t("{done} of {total} messages · last sync {when}", done=self._num(done),
                                    total=self._num(total), when=self._when(a.last_sync) or self._t("never")),
                "watch": self._watching(a, watched), "watch_failing": (watched or {}).get("mode") == "waiting"}

    def _watching(self, a, state: dict | None) -> str:  # noqa: ANN001
        """How new mail reaches this account: what its watcher last reported (services/mail/watch)."""
        s = get_settings()
        if not a.is_active:
            return ""
        if state is None or state["mode"] == "stopped":
            return self._t("New mail comes with the periodic sync (every {n} min).",
                           n=max(1, round(s.sync_interval_seconds / 60)))
        if state["mode"] == "idle":
            return self._t("New mail arrives within seconds (the server pushes it: IMAP IDLE).")
        if state["mode"] == "poll":
            return self._t("The inbox is checked every {n} s (this server cannot push new mail).",
                           n=round(s.idle_poll_seconds))
        if state["mode"] == "exchange":
            return self._t("Exchange is checked for new mail every {n} s.", n=round(s.idle_exchange_poll_seconds))
        if state["mode"] == "waiting":
            return self._t("Not watching for new mail now: {why}. Trying again in {n} s.",
                           why=state.get("last_error") or "?", n=round(state.get("retry_in") or 0))
        return self._t("Starting to watch for new mail.")

    def _read(self) -> None:
        self.error = ""
        try:
            with session_scope() as db:
                user = self._user(db)
                self.totp_enabled = user.totp_enabled
                self.recovery_left = auth.recovery_codes_left(db, user=user)
                self._read_invitations(db, user)
                self.accounts = [self._account(a) for a in accounts.list_accounts(db, user=user)]
                s = settings_service.read(db, user=user)
        except OpenFyxerError as e:
            self._fail(e)
            return
        self.provider, self.model = s.llm_provider, s.llm_model or ""
        self.secrets_set = {k: bool(s.secrets_set.get(k)) for k in SECRETS}
        self.follow_up_days, self.priority_contacts = s.follow_up_days, "\n".join(s.priority_contacts)
        self.timezone = self._tz = s.timezone

    totp_qr: str = ""  # the enrolment QR code (a data: URI), shown until verified
    totp_secret: str = ""
    shown_codes: list[str] = []  # the recovery codes just made: shown this once
    recovery_left: int = 0

    async def start_two_factor(self, form: dict) -> None:
        """Given the current password, a new secret, shown once as a QR code and as text; enabled only
        once a code checks out."""
        self.error, self.notice = "", ""
        password, ip = form.get("current_password") or "", client_ip(self.router)
        setup = await self._off_loop(lambda db, user: auth.totp_setup(db, user=user, current_password=password, ip=ip))
        if setup is not None:
            self.totp_qr, self.totp_secret = setup.qr_svg, setup.secret

    def verify_two_factor(self, form: dict) -> None:
        self.error, self.notice = "", ""
        code = (form.get("totp_setup_code") or "").strip()
        try:
            with session_scope() as db:
                codes = auth.totp_verify(db, user=self._user(db), code=code, ip=client_ip(self.router))
        except OpenFyxerError as e:
            self._fail(e)
            return
        self.totp_qr = self.totp_secret = ""
        self.totp_enabled = True
        self.shown_codes, self.recovery_left = codes, len(codes)
        self.notice = self._t("Two-factor authentication is on: sign-in now asks for a code from your app.")

    async def new_recovery_codes(self, form: dict) -> None:
        """A fresh set, given the current password; the earlier codes stop working."""
        self.error, self.notice = "", ""
        password, ip = form.get("current_password") or "", client_ip(self.router)
        codes = await self._off_loop(
            lambda db, user: auth.new_recovery_codes(db, user=user, current_password=password, ip=ip))
        if codes is not None:
            self.shown_codes, self.recovery_left = codes, len(codes)
            self.notice = self._t("New recovery codes are ready; the earlier ones no longer work.")

    async def disable_two_factor(self, form: dict) -> None:
        """Given the current password and a code: from the app, or a recovery code."""
        self.error, self.notice = "", ""
        password, code, ip = form.get("current_password") or "", (form.get("code") or "").strip(), client_ip(self.router)
        done = await self._off_loop(lambda db, user: auth.totp_disable(
            db, user=user, current_password=password, code=code, ip=ip) or True)
        if done:
            self.totp_enabled, self.shown_codes, self.recovery_left = False, [], 0
            self.notice = self._t("Two-factor authentication is off: sign-in asks only for your password.")

    def done_with_codes(self) -> None:
        self.shown_codes = []

    async def change_password(self, form: dict) -> None:
        """Given the current password; this tab stays signed in, every other sign-in ends."""
        self.error, self.notice = "", ""
        current, new = form.get("current_password") or "", form.get("new_password") or ""
        if len(new) < auth.MIN_PASSWORD:
            self.error = self._t("The new password needs at least {n} characters.", n=auth.MIN_PASSWORD)
            return
        session_id, ip = uuid.UUID(self._session_id), client_ip(self.router)
        if await self._off_loop(lambda db, user: auth.change_password(
                db, user=user, current=current, new=new, keep_session=session_id, ip=ip) or True):
            self.notice = self._t("Password changed; you were signed out everywhere else.")

    async def change_email(self, form: dict) -> None:
        """The sign-in address, given the current password; every other sign-in ends."""
        self.error, self.notice = "", ""
        current, email = form.get("current_password") or "", (form.get("new_email") or "").strip()
        try:
            address = check_address(email)
        except ValueError:
            self.error = self._t("That is not an e-mail address.")
            return
        session_id, ip = uuid.UUID(self._session_id), client_ip(self.router)
        user = await self._off_loop(lambda db, user: auth.change_email(
            db, user=user, current=current, email=address, keep_session=session_id, ip=ip))
        if user is not None:
            self.user_email = user.email
            self.notice = self._t("You now sign in as {email}; you were signed out everywhere else.", email=user.email)

    is_admin: bool = False
    invitation_list: list[dict] = []
    invitation_code: str = ""  # the new invitation's code and link, shown once
    invitation_link: str = ""

    def _read_invitations(self, db, user) -> None:  # noqa: ANN001
        """Only an administrator's page lists them; the service refuses anyone else anyway."""
        self.is_admin = user.is_admin
        self.invitation_list = [self._invitation(i) for i in invitations.list_all(db, user)] if user.is_admin else []

    def _invitation(self, i) -> dict:  # noqa: ANN001
        state = "used" if i.used_at else "expired" if i.expires_at <= datetime.now(UTC) else "open"
        return {"id": str(i.id), "email": i.email or self._t("anyone"), "expires": self._when(i.expires_at),
                "state": state, "revocable": i.used_at is None,
                "state_label": {"used": self._t("used"), "expired": self._t("expired"), "open": self._t("open")}[state]}

    def create_invitation(self, form: dict) -> None:
        """An invitation for one person (for one address when given); its code and link are shown once."""
        self.error, self.notice = "", ""
        self.invitation_code = self.invitation_link = ""
        days = (form.get("invitation_days") or "").strip() or "7"
        if not days.isdigit():
            self.error = self._t("invitation_days: a number of days")
            return
        ip = client_ip(self.router)
        made = self._attempt(lambda db: invitations.create(
            db, self._user(db), ip=ip, **InvitationCreate(email=(form.get("invitation_email") or "").strip() or None,
                                                          days=int(days)).model_dump()))
        if made is None:
            return
        self.invitation_code = made[1]
        self.invitation_link = f"{self.router.url.origin}/register?invitation={made[1]}"
        self._read()

    def revoke_invitation(self, invitation_id: str) -> None:
        self.error, self.notice = "", ""
        ip = client_ip(self.router)
        if self._attempt(lambda db: invitations.revoke(db, self._user(db), uuid.UUID(invitation_id), ip=ip)
                         or True) is None:
            return
        self.notice = self._t("The invitation was withdrawn.")
        self._read()

    def set_provider(self, value: str) -> None:
        self.provider = value if value in PROVIDERS else "local"

    async def connect(self, form: dict):  # noqa: ANN201
        """The IMAP form: connect_account checks the login against the servers before saving. That is
        network work (up to the servers' timeouts), so it runs in a thread: the event loop keeps
        serving every other tab meanwhile."""
        self.error, self.notice = "", ""
        fields = {k: v.strip() for k, v in form.items() if isinstance(v, str) and v.strip()}
        for port in ("imap_port", "smtp_port"):
            if port in fields and not fields[port].isdigit():
                self.error = self._t("{field}: a port is a number", field=port)
                return None
        ip = self.router.session.client_ip
        account = await self._off_loop(lambda db, user: accounts.connect_account(
            db, user=user, data=AccountCreate(**fields), ip=ip))
        if account is None:
            return None
        self.notice = self._t("Connected {address}; the first sync has started.", address=account.email_address)
        self._read()
        # The password leaves the page (set_value is a built-in event: no script is sent).
        return [rx.set_value(field, "") for field in ("email_address", "password", "username", "display_name",
                                                      "imap_host", "imap_port", "smtp_host", "smtp_port")]

    def sync_now(self, account_id: str) -> None:
        try:
            with session_scope() as db:
                account, _ = accounts.request_sync(db, user=self._user(db), account_id=uuid.UUID(account_id))
        except OpenFyxerError as e:
            self._fail(e)
            return
        self.notice = self._t("Syncing {address}.", address=account.email_address)
        self._read()

    def remove(self, account_id: str) -> None:
        try:
            with session_scope() as db:
                counts = accounts.remove_account(db, user=self._user(db), account_id=uuid.UUID(account_id),
                                                 ip=self.router.session.client_ip)
        except OpenFyxerError as e:
            self._fail(e)
            return
        self.notice = self._t("Removed the account and {count} messages.", count=self._num(counts.get("emails", 0)))
        self._read()

    async def save(self, form: dict):  # noqa: ANN201
        """Model and preferences; an API key field left empty keeps the stored key (keys are write-only).
        A webhook address is resolved and checked by the outbound policy: in a thread, off the event loop."""
        self.error, self.notice = "", ""
        contacts = [c.strip() for c in (form.get("priority_contacts") or "").replace(",", "\n").splitlines() if c.strip()]
        changes: dict = {"llm_provider": form.get("llm_provider") or None, "llm_model": (form.get("llm_model") or "").strip(),
                         "priority_contacts": contacts,
                         "timezone": (form.get("timezone") or "").strip() or None}
        days = (form.get("follow_up_days") or "").strip()
        if days:
            if not days.isdigit():
                self.error = self._t("follow_up_days: a number of days")
                return
            changes["follow_up_days"] = int(days)
        changes.update({k: form[k].strip() for k in SECRETS if (form.get(k) or "").strip()})
        data = {k: v for k, v in changes.items() if v is not None}
        ip = self.router.session.client_ip
        if not await self._off_loop(lambda db, user: settings_service.update(
                db, user=user, data=SettingsUpdate(**data), ip=ip) or True):
            return None
        self.notice = self._t("Settings saved.")
        self._read()
        return [rx.set_value(k, "") for k in SECRETS]  # write-only: never shown back

    def forget_secret(self, name: str) -> None:
        """Clears one stored key (they cannot be shown, so they can only be replaced or cleared)."""
        self.error, self.notice = "", ""
        if name not in SECRETS:
            return
        if self._attempt(lambda db: settings_service.update(db, user=self._user(db), data=SettingsUpdate(**{name: ""}),
                                                            ip=self.router.session.client_ip)) is None:
            return
        self.notice = self._t("Removed the stored key.")
        self._read()


def _address(value: object) -> str:
    """An address from the query, or "" for anything else: a link cannot put other words on the page."""
    try:
        return check_address(str(value or ""))[:254]
    except ValueError:
        return ""


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
            self._fail(e)
            return
        self.rows = [{"when": self._when(a.created_at), "action": a.action, "ip": a.ip_address or "",
                      "details": json.dumps(a.details, ensure_ascii=False)[:200] if a.details else ""} for a in items]

    def older(self) -> None:
        if (self.page + 1) * AUDIT_PAGE < self.total:
            self.page += 1
            self._read()

    def newer(self) -> None:
        if self.page > 0:
            self.page -= 1
            self._read()
