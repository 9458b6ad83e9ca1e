"""/login and /register."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.components.layout import auth_card
from openfyxer.ui.components.translated import t
from openfyxer.ui.i18n import N_
from openfyxer.ui.state.auth import LoginState, RegisterState


def _field(label: str, name: str, kind: str = "text", **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(t(label), html_for=name),
        rx.input(name=name, id=name, type=kind, width="100%", **props),
        spacing="1",
        width="100%",
    )


def _error(message) -> rx.Component:  # noqa: ANN001
    return rx.cond(message != "", rx.callout(message, color_scheme="red", role="alert", id="form-error"))


def _second_factor() -> rx.Component:
    """The app's code, or, when the phone is lost, one of the recovery codes shown at enrolment."""
    return rx.vstack(
        rx.cond(
            LoginState.use_recovery,
            _field(N_("Recovery code"), "recovery_code", "text", auto_complete="off", max_length=32,
                   placeholder="xxxxx-xxxxx"),
            _field(N_("Two-factor code"), "totp_code", "text", input_mode="numeric",
                   auto_complete="one-time-code", max_length=7),
        ),
        rx.button(rx.cond(LoginState.use_recovery, t("Use the code from the app"), t("Use a recovery code")),
                  type="button", variant="ghost", size="1", on_click=LoginState.toggle_recovery,
                  id="toggle-recovery"),
        spacing="1",
        width="100%",
    )


def login_page() -> rx.Component:
    return auth_card(
        N_("Sign in"),
        rx.form(
            rx.vstack(
                _field(N_("Email"), "email", "email", required=True, auto_complete="username"),
                _field(N_("Password"), "password", "password", required=True, auto_complete="current-password"),
                rx.cond(LoginState.needs_totp, _second_factor()),
                _error(LoginState.error),
                rx.button(t("Sign in"), type="submit", width="100%", id="login-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=LoginState.submit,
            reset_on_submit=False,
        ),
        rx.text(t("No account yet?"), " ", rx.link(t("Create one"), href="/register"), size="2"),
    )


def register_page() -> rx.Component:
    return auth_card(
        N_("Create your account"),
        rx.form(
            rx.vstack(
                _field(N_("Email"), "email", "email", required=True, auto_complete="username"),
                _field(N_("Password (at least 10 characters)"), "password", "password", required=True,
                       min_length=10, auto_complete="new-password"),
                _field(N_("Repeat password"), "password_confirm", "password", required=True,
                       auto_complete="new-password"),
                _field(N_("Invitation code (if you were given one)"), "invitation", "text",
                       default_value=RegisterState.invitation_from_url, auto_complete="off", max_length=128),
                # Filled by assets/app.js with the browser's time zone.
                rx.el.input(type="hidden", name="timezone", id="browser-timezone",
                            custom_attrs={"data-browser-zone": ""}),
                _error(RegisterState.error),
                rx.button(t("Create account"), type="submit", width="100%", id="register-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=RegisterState.submit,
            reset_on_submit=False,
        ),
        rx.text(t("Already registered?"), " ", rx.link(t("Sign in"), href="/login"), size="2"),
    )
