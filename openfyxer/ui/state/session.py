"""The signed-in user of a dashboard tab, shared by every page's state."""

from __future__ import annotations

import uuid

import reflex as rx

from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.models.settings import SettingsUpdate
from openfyxer.models.user import User
from openfyxer.services import auth
from openfyxer.services import settings as settings_service
from openfyxer.ui import i18n


class SessionState(rx.State):
    """Who is signed in. The ids stay on the server (in memory, or Redis: never on disk); the browser
    holds only the refresh token, in a cookie its scripts cannot read."""

    _user_id: str = ""
    _session_id: str = ""
    user_email: str = ""
    totp_enabled: bool = False
    # The dashboard's language: the user's setting once signed in, the browser's before.
    lang: str = i18n.DEFAULT
    _tz: str = "UTC"
    # What the page's bridge (assets/app.js) acts on: a one-time code it trades for the sign-in cookie
    # ("-": clear it), a same-origin address to load, and the copies kept for reading offline ("-": forget).
    bridge_handoff: str = ""
    bridge_go: str = ""
    offline_inbox: str = ""
    offline_drafts: str = ""

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.user_email)

    def _adopt(self, pair: auth.TokenPair, user: User) -> None:
        self._user_id, self._session_id = str(pair.user_id), str(pair.session_id)
        self.user_email, self.totp_enabled = user.email, user.totp_enabled
        # The refresh token was rotated: the browser's cookie must follow (a new tab reads it).
        self.bridge_handoff = auth.handoff(pair)
        self._use_preferences(user)

    def _use_preferences(self, user: User) -> None:
        self.lang, self._tz = i18n.pick(user.language), user.timezone or "UTC"

    def _t(self, msgid: str, **values: object) -> str:
        return i18n.gettext(self.lang, msgid, **values)

    def _error_text(self, e: OpenFyxerError) -> str:
        return i18n.error_text(self.lang, e.message, e.code)

    def _when(self, value) -> str:  # noqa: ANN001
        return i18n.when(value, self.lang, self._tz)

    def _num(self, value: int | float) -> str:
        return i18n.number(value, self.lang)

    def switch_language(self, lang: str):  # noqa: ANN201
        """Shown at once; kept in the user's settings, so every device and later sign-in follows."""
        self.lang = i18n.pick(lang)
        if not self._session_id:
            return None
        with session_scope() as db:
            if user := self._live_user(db):
                settings_service.update(db, user=user, data=SettingsUpdate(language=self.lang),
                                        ip=self.router.session.client_ip)
        # The page's own words switched already; its data (dates, counts, notices) is read again in
        # the new language by running the page's on_load once more, without reloading the app.
        return rx.redirect(str(self.router.url.path) or "/")

    def browser_language(self) -> None:
        """on_load of the sign-in pages: until someone signs in, the browser says which language."""
        if not self.user_email:
            self.lang = i18n.from_accept_language(self.router.headers.accept_language)

    def _forget(self, *, clear_cookie: bool = False) -> None:
        """Signed out here: the offline copies leave with the user, and on sign-out the cookie. A tab
        that only found its sign-in ended leaves the cookie alone: another tab may have signed in since."""
        self._user_id = self._session_id = self.user_email = ""
        self.totp_enabled = False
        self.offline_inbox = self.offline_drafts = "-"
        if clear_cookie:
            self.bridge_handoff = "-"

    def _live_user(self, db) -> User | None:  # noqa: ANN001
        """The user if this tab's sign-in session is still valid (logout elsewhere ends it)."""
        if not self._session_id:
            return None
        return auth.live_user(db, session_id=uuid.UUID(self._session_id))

    def require_login(self):  # noqa: ANN201
        """on_load of every private page: resume from the refresh cookie or go to /login."""
        with session_scope() as db:
            if user := self._live_user(db):
                self._use_preferences(user)  # changed in another tab, or through the API
                return None
            # The cookie as the browser sent it when this tab's websocket opened.
            if token := auth.ui_refresh_token(self.router.headers.cookie):
                try:
                    pair = auth.refresh(db, refresh_token=token, ip=self.router.session.client_ip)
                    self._adopt(pair, db.get(User, pair.user_id))
                    return None
                except OpenFyxerError:
                    pass
        self._forget()
        return rx.redirect("/login")

    def logout(self):  # noqa: ANN201
        if self._session_id:
            with session_scope() as db:
                auth.logout(db, user_id=uuid.UUID(self._user_id), session_id=uuid.UUID(self._session_id),
                            ip=self.router.session.client_ip)
        self._forget(clear_cookie=True)
        return rx.redirect("/login")
