"""Sign-in and registration forms: thin handlers over services.auth."""

from __future__ import annotations

import reflex as rx
from pydantic import ValidationError as PydanticError

from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.models.user import LoginRequest, User, UserCreate
from openfyxer.services import auth
from openfyxer.ui.state.session import SessionState


def _first_error(e: PydanticError) -> str:
    err = e.errors()[0]
    field = ".".join(str(p) for p in err.get("loc", ()))
    return f"{field}: {err.get('msg', 'invalid')}" if field else err.get("msg", "invalid")


class LoginState(SessionState):
    error: str = ""
    needs_totp: bool = False
    busy: bool = False

    def submit(self, form: dict):  # noqa: ANN201
        self.error = ""
        try:
            data = LoginRequest(email=form.get("email", ""), password=form.get("password", ""),
                                totp_code=form.get("totp_code") or None)
            with session_scope() as db:
                pair = auth.login(db, email=data.email, password=data.password, totp_code=data.totp_code,
                                  ip=self.router.session.client_ip, user_agent=self.router.headers.user_agent)
                self._adopt(pair, db.get(User, pair.user_id))
        except PydanticError as e:
            self.error = _first_error(e)
            return None
        except OpenFyxerError as e:
            self.needs_totp = self.needs_totp or e.code in ("totp_required", "invalid_totp")
            self.error = "" if e.code == "totp_required" else self._error_text(e)
            return None
        self.needs_totp = False
        return rx.redirect("/")


class RegisterState(SessionState):
    error: str = ""

    @rx.var
    def invitation_from_url(self) -> str:
        """The code of a link like /register?invitation=..., so an invited person need not type it."""
        return str(self.router.url.query_parameters.get("invitation", ""))[:128]

    def submit(self, form: dict):  # noqa: ANN201
        self.error = ""
        if form.get("password") != form.get("password_confirm"):
            self.error = self._t("the passwords do not match")
            return None
        try:
            data = UserCreate(email=form.get("email", ""), password=form.get("password", ""),
                              invitation=(form.get("invitation") or "").strip() or self.invitation_from_url or None)
            ip = self.router.session.client_ip
            with session_scope() as db:
                auth.register(db, email=data.email, password=data.password, ip=ip, invitation=data.invitation)
            with session_scope() as db:
                pair = auth.login(db, email=data.email, password=data.password, ip=ip,
                                  user_agent=self.router.headers.user_agent)
                self._adopt(pair, db.get(User, pair.user_id))
        except PydanticError as e:
            self.error = _first_error(e)
            return None
        except OpenFyxerError as e:
            self.error = self._error_text(e)
            return None
        return rx.redirect("/")
