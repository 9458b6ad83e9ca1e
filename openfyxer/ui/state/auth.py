"""Sign-in and registration forms: thin handlers over services.auth.

argon2 is slow on purpose, so the service calls run in a worker thread: on the event loop they would
stall every other tab of the dashboard. Both forms are throttled per client address in the same
bucket as the API's /auth/login and /auth/register, so switching doors buys no extra guesses.
"""

from __future__ import annotations

import asyncio
import math

import reflex as rx
from pydantic import ValidationError as PydanticError

from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError, Throttled
from openfyxer.models.user import LoginRequest, User, UserCreate
from openfyxer.security import client_address, ratelimit
from openfyxer.services import auth
from openfyxer.ui.i18n import N_
from openfyxer.ui.state.session import SessionState


def _first_error(e: PydanticError) -> str:
    err = e.errors()[0]
    field = ".".join(str(p) for p in err.get("loc", ()))
    return f"{field}: {err.get('msg', 'invalid')}" if field else err.get("msg", "invalid")


def client_ip(router) -> str | None:  # noqa: ANN001
    """The tab's address as the API would see it: the websocket's peer, or the client behind our
    trusted proxies."""
    return client_address.resolve(router.session.client_ip, router.headers.raw_headers.get("x-forwarded-for"))


def throttle(ip: str | None) -> None:
    """Count one try against the address's budget; Throttled when it is spent. The budget is the
    API's, shared with its sign-in routes (security/ratelimit)."""
    decision = ratelimit.hit(ratelimit.address_key(ip))
    if not decision.allowed:
        raise Throttled("too many requests", code="rate_limited", retry_after=decision.retry_after)


def sign_in(data: LoginRequest, ip: str | None, user_agent: str | None) -> tuple[auth.TokenPair, User]:
    """The throttle, then the sign-in, in one unit of work: what the form's worker thread runs."""
    throttle(ip)
    with session_scope() as db:
        pair = auth.login(db, email=data.email, password=data.password, totp_code=data.totp_code,
                          recovery_code=data.recovery_code, ip=ip, user_agent=user_agent)
        return pair, db.get(User, pair.user_id)


def known_zone(name: str | None) -> str:
    """The browser's time zone if it is one this server knows, else UTC."""
    from zoneinfo import ZoneInfo

    try:
        return name if name and len(name) <= 50 and ZoneInfo(name) else "UTC"
    except (KeyError, ValueError):
        return "UTC"


def register_and_sign_in(data: UserCreate, ip: str | None, user_agent: str | None) -> tuple[auth.TokenPair, User]:
    throttle(ip)
    with session_scope() as db:
        auth.register(db, email=data.email, password=data.password, ip=ip, invitation=data.invitation,
                      language=data.language, timezone=data.timezone)
    with session_scope() as db:
        pair = auth.login(db, email=data.email, password=data.password, ip=ip, user_agent=user_agent)
        return pair, db.get(User, pair.user_id)


# A throttled try is told how long to wait, in the user's language.
WAIT = {"rate_limited": N_("Too many attempts from your address: try again in {seconds} s."),
        "login_delayed": N_("Too many failed sign-ins: wait {seconds} s before trying again."),
        "account_locked": N_("Too many failed sign-ins: this account is locked for {minutes} more minute(s).")}


def refusal(state: SessionState, e: OpenFyxerError) -> str:
    """The form's error in the user's language."""
    if isinstance(e, Throttled) and e.code in WAIT:
        return state._t(WAIT[e.code], seconds=e.retry_after, minutes=math.ceil(e.retry_after / 60))
    return state._error_text(e)


class LoginState(SessionState):
    error: str = ""
    needs_totp: bool = False
    use_recovery: bool = False  # a recovery code instead of the app's code

    def toggle_recovery(self) -> None:
        self.use_recovery = not self.use_recovery
        self.error = ""

    async def submit(self, form: dict):  # noqa: ANN201
        self.error = ""
        code = "recovery_code" if self.use_recovery else "totp_code"
        try:
            data = LoginRequest(email=form.get("email", ""), password=form.get("password", ""),
                                **{code: (form.get(code) or "").strip() or None})
        except PydanticError as e:
            self.error = _first_error(e)
            return None
        try:
            pair, user = await asyncio.to_thread(sign_in, data, client_ip(self.router),
                                                 self.router.headers.user_agent)
        except OpenFyxerError as e:
            self.needs_totp = self.needs_totp or e.code in ("totp_required", "invalid_totp", "invalid_recovery_code")
            self.error = "" if e.code == "totp_required" else refusal(self, e)
            return None
        self._adopt(pair, user)
        self.needs_totp = self.use_recovery = False
        return rx.redirect("/")


class RegisterState(SessionState):
    error: str = ""

    @rx.var
    def invitation_from_url(self) -> str:
        """The code of a link like /register?invitation=..., so an invited person need not type it."""
        return str(self.router.url.query_parameters.get("invitation", ""))[:128]

    async def submit(self, form: dict):  # noqa: ANN201
        self.error = ""
        if form.get("password") != form.get("password_confirm"):
            self.error = self._t("the passwords do not match")
            return None
        try:
            data = UserCreate(email=form.get("email", ""), password=form.get("password", ""),
                              invitation=(form.get("invitation") or "").strip() or self.invitation_from_url or None,
                              language=self.lang if self.lang in ("en", "ro") else "en",
                              timezone=known_zone(form.get("timezone")))
            pair, user = await asyncio.to_thread(register_and_sign_in, data, client_ip(self.router),
                                                 self.router.headers.user_agent)
        except PydanticError as e:
            self.error = _first_error(e)
            return None
        except OpenFyxerError as e:
            self.error = refusal(self, e)
            return None
        self._adopt(pair, user)
        return rx.redirect("/")
