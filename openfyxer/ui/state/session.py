"""The signed-in user of a dashboard tab, shared by every page's state."""

from __future__ import annotations

import uuid

import reflex as rx

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.models.user import User
from openfyxer.services import auth


class SessionState(rx.State):
    """Who is signed in. The ids stay on the server; the browser holds only a refresh token."""

    _user_id: str = ""
    _session_id: str = ""
    user_email: str = ""
    totp_enabled: bool = False
    # Rotated on every use, like the API's refresh tokens, so a copied one is detected.
    refresh_token: str = rx.Cookie(
        "", name="openfyxer_ui_refresh", max_age=get_settings().refresh_token_days * 86400,
        same_site="strict", secure=get_settings().cookie_secure, path="/",
    )

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.user_email)

    def _adopt(self, pair: auth.TokenPair, user: User) -> None:
        self._user_id, self._session_id = str(pair.user_id), str(pair.session_id)
        self.user_email, self.totp_enabled = user.email, user.totp_enabled
        self.refresh_token = pair.refresh_token

    def _forget(self) -> None:
        self._user_id = self._session_id = self.user_email = self.refresh_token = ""
        self.totp_enabled = False

    def _live_user(self, db) -> User | None:  # noqa: ANN001
        """The user if this tab's sign-in session is still valid (logout elsewhere ends it)."""
        if not self._session_id:
            return None
        from openfyxer.models.user import AuthSession

        s = db.get(AuthSession, uuid.UUID(self._session_id))
        if s is None or s.revoked_at is not None:
            return None
        user = db.get(User, s.user_id)
        return user if user and user.is_active else None

    def require_login(self):  # noqa: ANN201
        """on_load of every private page: resume from the refresh cookie or go to /login."""
        with session_scope() as db:
            if self._live_user(db):
                return None
            if self.refresh_token:
                try:
                    pair = auth.refresh(db, refresh_token=self.refresh_token, ip=self.router.session.client_ip)
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
        self._forget()
        return rx.redirect("/login")
