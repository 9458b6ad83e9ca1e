"""Settings (mail accounts, model, preferences) and the audit log."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.components.layout import frame
from openfyxer.ui.components.translated import t
from openfyxer.ui.i18n import N_
from openfyxer.ui.pages.mail import _error
from openfyxer.ui.pages.notify import notifications_section
from openfyxer.ui.state.session import SessionState
from openfyxer.ui.state.settings import PROVIDERS, SECRETS, AuditState, SettingsState

SECRET_LABELS = {"openai_api_key": N_("OpenAI API key"), "gemini_api_key": N_("Gemini API key"),
                 "claude_api_key": N_("Claude API key"), "cohere_api_key": N_("Cohere API key"),
}


def _field(label: str, name: str, **props) -> rx.Component:
    return rx.vstack(rx.el.label(t(label), html_for=name, font_size="0.85em"),
                     rx.input(name=name, id=name, width="100%", **props), spacing="1", width="100%")


def _select(label: str, name: str, options: list[tuple[str, str]], **props) -> rx.Component:
    """A choice shown in words ("SSL/TLS", "On this computer"), sent as its value ("ssl", "local")."""
    return rx.vstack(rx.el.label(t(label), html_for=name, font_size="0.85em"),
                     rx.select.root(
                         rx.select.trigger(id=name),
                         rx.select.content(*(rx.select.item(t(text), value=value) for value, text in options)),
                         name=name, **props),
                     spacing="1")


SECURITY = [("ssl", N_("SSL/TLS")), ("starttls", N_("STARTTLS")), ("none", N_("None (unencrypted)"))]
PROVIDER_LABELS = {"local": N_("On this computer"), "ollama": N_("Ollama (on your network)"), "openai": N_("OpenAI"),
                   "gemini": N_("Google Gemini"), "claude": N_("Anthropic Claude"), "cohere": N_("Cohere")}
LANGUAGES = [("en", N_("English")), ("ro", N_("Română"))]


def _secret(name: str) -> rx.Component:
    """Write-only: the field says whether one is stored; typing replaces it, Remove clears it."""
    return rx.vstack(
        rx.el.label(t(SECRET_LABELS[name]), html_for=name, font_size="0.85em"),
        rx.hstack(
            rx.input(name=name, id=name, type="password", auto_complete="off", width="100%",
                     placeholder=rx.cond(SettingsState.secrets_set[name], t("stored (leave empty to keep)"), "")),
            rx.cond(SettingsState.secrets_set[name],
                    rx.button(t("Remove"), type="button", variant="ghost", size="1", color_scheme="red",
                              on_click=SettingsState.forget_secret(name), id=f"forget-{name}",
                              aria_label=t("Remove the stored key"))),
            width="100%", align="center",
        ),
        spacing="1", width="100%",
    )


def _account_row(a: dict) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text(a["address"], weight="bold"), rx.badge(a["provider"]), rx.spacer(),
                      rx.badge(a["state_label"], id="sync-state-" + a["address"].to(str),
                               custom_attrs={"data-state": a["state"]}), width="100%", wrap="wrap"),
            rx.cond(a["has_total"].to(bool), rx.progress(value=a["percent"].to(int), max=100, width="100%",
                                                         aria_label=t("Sync progress"))),
            rx.text(a["progress"], size="1", color_scheme="gray"),
            rx.cond(a["watch"] != "", rx.text(a["watch"], size="1", id="watch-" + a["address"].to(str),
                                              color_scheme=rx.cond(a["watch_failing"].to(bool), "amber", "gray"))),
            rx.cond(a["error"] != "", rx.text(a["error"], color_scheme="red", size="2")),
            rx.hstack(
                rx.button(t("Sync now"), on_click=SettingsState.sync_now(a["id"]), variant="soft", size="1"),
                rx.alert_dialog.root(
                    rx.alert_dialog.trigger(rx.button(t("Remove"), color_scheme="red", variant="soft", size="1")),
                    rx.alert_dialog.content(
                        rx.alert_dialog.title(t("Remove this account?")),
                        rx.alert_dialog.description(t("Its synced mail, drafts and saved attachments are deleted here; "
                                                      "nothing is deleted on the mail server.")),
                        rx.hstack(rx.alert_dialog.cancel(rx.button(t("Cancel"), variant="soft")),
                                  rx.alert_dialog.action(rx.button(t("Remove"), color_scheme="red",
                                                                   on_click=SettingsState.remove(a["id"])))),
                    ),
                ),
            ),
            width="100%",
        ),
        width="100%",
    )


def _connect_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(t("Connect any mail account (IMAP and SMTP)"), size="3", as_="h3"),
            rx.text(t("For Gmail and Outlook you can also use an app password here."), size="1", color_scheme="gray"),
            rx.grid(
                _field(N_("Email address"), "email_address", type="email", required=True),
                _field(N_("Password or app password"), "password", type="password", required=True),
                _field(N_("User name (if not the address)"), "username"),
                _field(N_("Display name"), "display_name"),
                _field(N_("IMAP server"), "imap_host", placeholder="imap.example.com"),
                _field(N_("IMAP port"), "imap_port", placeholder="993", input_mode="numeric"),
                _field(N_("SMTP server"), "smtp_host", placeholder="smtp.example.com"),
                _field(N_("SMTP port"), "smtp_port", placeholder="465", input_mode="numeric"),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
            ),
            rx.hstack(
                _select(N_("IMAP security"), "imap_security", SECURITY, default_value="ssl"),
                _select(N_("SMTP security"), "smtp_security", SECURITY, default_value="ssl"),
            ),
            rx.button(t("Connect"), type="submit", id="connect-submit"),
            width="100%",
        ),
        on_submit=SettingsState.connect,
        reset_on_submit=False,
        id="connect-form",
    )


def _oauth_form() -> rx.Component:
    """Gmail and Outlook sign in on their own page (OAuth); this server never sees the password. Shown only
    for the providers this server is set up for; none: the IMAP form above is the way."""
    return rx.cond(SettingsState.oauth_providers.length() > 0, rx.vstack(
        rx.heading(t("Connect Gmail or Outlook"), size="3", as_="h3"),
        rx.flex(
            rx.input(id="oauth_email", type="email", placeholder="you@gmail.com", value=SettingsState.oauth_email,
                     on_change=SettingsState.set_oauth_email, aria_label=t("Email address"), min_width="16em", flex="1"),
            rx.cond(SettingsState.oauth_providers.contains("google"),
                    rx.button(rx.icon("mail", aria_hidden="true"), t("Sign in with Google"),
                              on_click=SettingsState.connect_oauth("google"), id="oauth-google")),
            rx.cond(SettingsState.oauth_providers.contains("microsoft"),
                    rx.button(rx.icon("mail", aria_hidden="true"), t("Sign in with Microsoft"),
                              on_click=SettingsState.connect_oauth("microsoft"), id="oauth-microsoft")),
            spacing="2", wrap="wrap", width="100%",
        ),
        width="100%",
    ))


def _model_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(t("Model and preferences"), size="3", as_="h3"),
            rx.text(t("The local model runs on this machine; with any other provider your mail is sent to it."),
                    size="1", color_scheme="gray"),
            rx.grid(
                _select(N_("Model provider"), "llm_provider", [(p, PROVIDER_LABELS[p]) for p in PROVIDERS],
                        value=SettingsState.provider,
                        on_change=SettingsState.set_provider),
                _field(N_("Model (empty: the provider's default)"), "llm_model", default_value=SettingsState.model),
                *(_secret(key) for key in SECRETS),
                _field(N_("Follow up after (days)"), "follow_up_days",
                       default_value=SettingsState.follow_up_days.to(str), input_mode="numeric"),
                _select(N_("Language"), "language", LANGUAGES, value=SessionState.lang,
                        on_change=SessionState.switch_language),
                _field(N_("Time zone"), "timezone", default_value=SettingsState.timezone),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
            ),
            rx.el.label(t("Priority contacts (one address per line)"), html_for="priority_contacts",
                        font_size="0.85em"),
            rx.text_area(name="priority_contacts", id="priority_contacts", default_value=SettingsState.priority_contacts,
                         rows="4", width="100%"),
            rx.button(t("Save"), type="submit", id="settings-submit"),
            width="100%",
        ),
        on_submit=SettingsState.save,
        reset_on_submit=False,
    )


def _current_password(form: str) -> rx.Component:
    return rx.input(name="current_password", id=f"{form}-password", type="password", required=True,
                    auto_complete="current-password", placeholder=t("Current password"),
                    aria_label=t("Current password"))


def _with_password(form: str, on_submit, *fields: rx.Component, button: rx.Component) -> rx.Component:  # noqa: ANN001
    """A change that asks for the current password first; the form empties once sent."""
    return rx.form(rx.flex(_current_password(form), *fields, button, spacing="2", wrap="wrap"),
                   on_submit=on_submit, reset_on_submit=True)


def _recovery_codes() -> rx.Component:
    """The codes just made: shown this once, with what they are for."""
    return rx.cond(
        SettingsState.shown_codes.length() > 0,
        rx.callout.root(
            rx.callout.text(t("Your recovery codes. Keep them somewhere safe, away from your phone: each signs you "
                              "in once if you lose your authenticator app. They are not shown again."),
                            weight="bold"),
            rx.grid(rx.foreach(SettingsState.shown_codes, lambda c: rx.code(c, size="3")),
                    columns="2", spacing="2", id="recovery-codes", width="fit-content"),
            rx.button(t("I have saved them"), on_click=SettingsState.done_with_codes, variant="soft", size="1",
                      id="recovery-done"),
            color_scheme="amber", role="status", width="100%",
        ),
    )


def _two_factor_on() -> rx.Component:
    return rx.vstack(
        rx.text(t("On: signing in asks for a code from your authenticator app."), id="totp-on"),
        rx.text(t("Unused recovery codes:"), " ", rx.el.strong(SettingsState.recovery_left, id="recovery-left"),
                size="2"),
        _recovery_codes(),
        _with_password("recovery", SettingsState.new_recovery_codes,
                       button=rx.button(t("Make new recovery codes"), type="submit", variant="soft", id="recovery-new")),
        _with_password("totp-off", SettingsState.disable_two_factor,
                       rx.input(name="code", id="totp-off-code", required=True, auto_complete="one-time-code",
                                placeholder=t("Code from the app or a recovery code"),
                                aria_label=t("Code from the app or a recovery code")),
                       button=rx.button(t("Turn off"), type="submit", color_scheme="red", variant="soft",
                                        id="totp-off")),
        width="100%",
    )


def _two_factor() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Two-factor authentication"), size="4", as_="h2"),
        rx.cond(
            SettingsState.totp_enabled,
            _two_factor_on(),
            rx.cond(
                SettingsState.totp_qr != "",
                rx.form(
                    rx.vstack(
                        rx.text(t("Scan this with your authenticator app, then type the code it shows."), size="2"),
                        rx.image(src=SettingsState.totp_qr, alt=t("QR code for your authenticator app"), width="200px",
                                 id="totp-qr"),
                        rx.text(t("Or type this key:"), " ", rx.code(SettingsState.totp_secret, id="totp-secret"),
                                size="1"),
                        rx.hstack(rx.input(name="totp_setup_code", id="totp_setup_code", placeholder="123456",
                                           input_mode="numeric", auto_complete="one-time-code",
                                           aria_label=t("Code from the app")),
                                  rx.button(t("Turn on"), type="submit", id="totp-verify")),
                    ),
                    on_submit=SettingsState.verify_two_factor,
                ),
                _with_password("totp-start", SettingsState.start_two_factor,
                               button=rx.button(t("Set up two-factor authentication"), type="submit", variant="soft",
                                                id="totp-start")),
            ),
        ),
        width="100%",
    )


def _sign_in() -> rx.Component:
    """The account's own keys: each change asks for the current password and ends the other sign-ins."""
    return rx.vstack(
        rx.heading(t("Password and sign-in address"), size="4", as_="h2"),
        _with_password("password-change", SettingsState.change_password,
                       rx.input(name="new_password", id="new-password", type="password", required=True, min_length=10,
                                auto_complete="new-password", placeholder=t("New password"),
                                aria_label=t("New password")),
                       button=rx.button(t("Change password"), type="submit", variant="soft", id="password-change")),
        _with_password("email-change", SettingsState.change_email,
                       rx.input(name="new_email", id="new-email", type="email", required=True, auto_complete="email",
                                placeholder=t("New sign-in address"), aria_label=t("New sign-in address")),
                       button=rx.button(t("Change address"), type="submit", variant="soft", id="email-change")),
        width="100%",
    )


def _invitation_row(i: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(i["email"]),
        rx.table.cell(i["expires"]),
        rx.table.cell(rx.badge(i["state_label"], custom_attrs={"data-state": i["state"]})),
        rx.table.cell(rx.cond(i["revocable"].to(bool),
                              rx.button(t("Revoke"), on_click=SettingsState.revoke_invitation(i["id"]),
                                        color_scheme="red", variant="ghost", size="1"))),
    )


def _invitations() -> rx.Component:
    """Only an administrator sees this (and only an administrator's handlers get past the service)."""
    return rx.vstack(
        rx.heading(t("Invitations"), size="4", as_="h2"),
        rx.text(t("Someone you invite can create an account while registration is by invitation. "
                  "An invitation works once, until it expires."), size="2", color_scheme="gray"),
        rx.form(
            rx.flex(
                rx.input(name="invitation_email", id="invitation_email", type="email", min_width="16em",
                         placeholder=t("Email address (optional)"), aria_label=t("Email address (optional)")),
                rx.input(name="invitation_days", id="invitation_days", default_value="7", input_mode="numeric",
                         width="5em", aria_label=t("Days valid")),
                rx.text(t("days"), size="2"),
                rx.button(t("Invite"), type="submit", id="invitation-create"),
                spacing="2", wrap="wrap", align="center",
            ),
            on_submit=SettingsState.create_invitation, reset_on_submit=True,
        ),
        rx.cond(
            SettingsState.invitation_code != "",
            rx.callout.root(
                rx.callout.text(t("Send this link (or the code) to the person you invite. It is not shown again."),
                                weight="bold"),
                rx.code(SettingsState.invitation_link, id="invitation-link", word_break="break-all"),
                rx.code(SettingsState.invitation_code, id="invitation-code", word_break="break-all"),
                color_scheme="amber", role="status", width="100%",
            ),
        ),
        rx.cond(
            SettingsState.invitation_list.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(
                    rx.table.column_header_cell(t("For")), rx.table.column_header_cell(t("Expires")),
                    rx.table.column_header_cell(t("State")), rx.table.column_header_cell(""))),
                rx.table.body(rx.foreach(SettingsState.invitation_list, _invitation_row)),
                width="100%", id="invitation-list",
            ),
            rx.text(t("No invitations yet."), color_scheme="gray", size="2"),
        ),
        width="100%",
    )


def settings_page() -> rx.Component:
    return frame(
        N_("Settings"),
        _error(SettingsState),
        rx.cond(SettingsState.notice != "", rx.callout(SettingsState.notice, icon="info", role="status",
                                                       id="settings-notice")),
        rx.vstack(
            rx.heading(t("Mail accounts"), size="4", as_="h2"),
            rx.cond(SettingsState.accounts.length() > 0,
                    rx.vstack(rx.foreach(SettingsState.accounts, _account_row), width="100%", id="account-list"),
                    rx.text(t("No mail accounts are connected yet."), color_scheme="gray")),
            _oauth_form(),
            _connect_form(),
            rx.divider(),
            _model_form(),
            rx.divider(),
            notifications_section(),
            rx.divider(),
            _sign_in(),
            _two_factor(),
            rx.cond(SettingsState.is_admin, rx.fragment(rx.divider(), _invitations())),
            spacing="4", width="100%", max_width="900px", padding_top="1em",
        ),
    )


def audit_page() -> rx.Component:
    return frame(
        N_("Audit"),
        _error(AuditState),
        rx.text(t("Security events and changes on your account, newest first."), color_scheme="gray", size="2"),
        rx.table.root(
            rx.table.header(rx.table.row(rx.table.column_header_cell(t("When")), rx.table.column_header_cell(t("Event")),
                                         rx.table.column_header_cell(t("From")),
                                         rx.table.column_header_cell(t("Details")))),
            rx.table.body(rx.foreach(AuditState.rows, lambda r: rx.table.row(
                rx.table.cell(r["when"]), rx.table.cell(r["action"]), rx.table.cell(r["ip"]),
                rx.table.cell(rx.text(r["details"], size="1")),
            ))),
            width="100%", id="audit-table",
        ),
        rx.hstack(rx.button(t("Newer"), on_click=AuditState.newer, disabled=AuditState.page == 0, variant="soft"),
                  rx.button(t("Older"), on_click=AuditState.older, variant="soft",
                            disabled=(AuditState.page + 1) * 50 >= AuditState.total),
                  padding_y="0.75em"),
    )
