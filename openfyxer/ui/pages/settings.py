"""Settings (mail accounts, model, preferences) and the audit log."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.components.layout import frame
from openfyxer.ui.pages.mail import _error
from openfyxer.ui.state.settings import PROVIDERS, SECRETS, AuditState, SettingsState


def _field(label: str, name: str, **props) -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=name, font_size="0.85em"), rx.input(name=name, id=name, width="100%", **props),
                     spacing="1", width="100%")


def _account_row(a: dict) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text(a["address"], weight="bold"), rx.badge(a["provider"]), rx.spacer(),
                      rx.badge(a["state"], id="sync-state-" + a["address"].to(str)), width="100%", wrap="wrap"),
            rx.cond(a["total"].to(int) > 0, rx.progress(value=a["percent"].to(int), max=100, width="100%",
                                                        aria_label="Sync progress")),
            rx.text(a["done"], " of ", a["total"], " messages · last sync ", a["last_sync"], size="1",
                    color_scheme="gray"),
            rx.cond(a["error"] != "", rx.text(a["error"], color_scheme="red", size="2")),
            rx.hstack(
                rx.button("Sync now", on_click=SettingsState.sync_now(a["id"]), variant="soft", size="1"),
                rx.alert_dialog.root(
                    rx.alert_dialog.trigger(rx.button("Remove", color_scheme="red", variant="soft", size="1")),
                    rx.alert_dialog.content(
                        rx.alert_dialog.title("Remove this account?"),
                        rx.alert_dialog.description("Its synced mail, drafts and saved attachments are deleted here; "
                                                    "nothing is deleted on the mail server."),
                        rx.hstack(rx.alert_dialog.cancel(rx.button("Cancel", variant="soft")),
                                  rx.alert_dialog.action(rx.button("Remove", color_scheme="red",
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
            rx.heading("Connect a mail account (IMAP and SMTP)", size="3", as_="h3"),
            rx.text("Gmail and Outlook: use their OAuth sign-in (POST /api/v1/accounts/oauth/{google|microsoft}/start) "
                    "or an app password here.", size="1", color_scheme="gray"),
            rx.grid(
                _field("Email address", "email_address", type="email", required=True),
                _field("Password or app password", "password", type="password", required=True),
                _field("User name (if not the address)", "username"),
                _field("Display name", "display_name"),
                _field("IMAP server", "imap_host", placeholder="imap.example.com"),
                _field("IMAP port", "imap_port", placeholder="993", input_mode="numeric"),
                _field("SMTP server", "smtp_host", placeholder="smtp.example.com"),
                _field("SMTP port", "smtp_port", placeholder="465", input_mode="numeric"),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
            ),
            rx.hstack(
                rx.vstack(rx.el.label("IMAP security", html_for="imap_security", font_size="0.85em"),
                          rx.select(["ssl", "starttls", "none"], name="imap_security", default_value="ssl",
                                    id="imap_security")),
                rx.vstack(rx.el.label("SMTP security", html_for="smtp_security", font_size="0.85em"),
                          rx.select(["ssl", "starttls", "none"], name="smtp_security", default_value="ssl",
                                    id="smtp_security")),
            ),
            rx.button("Connect", type="submit", id="connect-submit"),
            width="100%",
        ),
        on_submit=SettingsState.connect,
        reset_on_submit=False,
        id="connect-form",
    )


def _model_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("Model and preferences", size="3", as_="h3"),
            rx.grid(
                rx.vstack(rx.el.label("Model provider", html_for="llm_provider", font_size="0.85em"),
                          rx.select(PROVIDERS, name="llm_provider", value=SettingsState.provider,
                                    on_change=SettingsState.set_provider, id="llm_provider"), spacing="1"),
                _field("Model (empty: the provider's default)", "llm_model", default_value=SettingsState.model),
                *(_field(f"{key.split('_')[0].title()} API key", key, type="password", auto_complete="off",
                         placeholder=rx.cond(SettingsState.secrets_set[key], "stored (leave empty to keep)", ""))
                  for key in SECRETS),
                _field("Follow up after (days)", "follow_up_days", default_value=SettingsState.follow_up_days.to(str),
                       input_mode="numeric"),
                rx.vstack(rx.el.label("Language", html_for="language", font_size="0.85em"),
                          rx.select(["en", "ro"], name="language", value=SettingsState.language,
                                    on_change=SettingsState.set_language, id="language"), spacing="1"),
                _field("Time zone", "timezone", default_value=SettingsState.timezone),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
            ),
            rx.el.label("Priority contacts (one address per line)", html_for="priority_contacts", font_size="0.85em"),
            rx.text_area(name="priority_contacts", id="priority_contacts", default_value=SettingsState.priority_contacts,
                         rows="4", width="100%"),
            rx.button("Save", type="submit", id="settings-submit"),
            width="100%",
        ),
        on_submit=SettingsState.save,
        reset_on_submit=False,
    )


def _two_factor() -> rx.Component:
    return rx.vstack(
        rx.heading("Two-factor authentication", size="4", as_="h2"),
        rx.cond(
            SettingsState.totp_enabled,
            rx.text("On: signing in asks for a code from your authenticator app.", id="totp-on"),
            rx.cond(
                SettingsState.totp_qr != "",
                rx.form(
                    rx.vstack(
                        rx.text("Scan this with your authenticator app, then type the code it shows.", size="2"),
                        rx.image(src=SettingsState.totp_qr, alt="QR code for your authenticator app", width="200px",
                                 id="totp-qr"),
                        rx.text("Or type this key: ", rx.code(SettingsState.totp_secret, id="totp-secret"), size="1"),
                        rx.hstack(rx.input(name="totp_setup_code", id="totp_setup_code", placeholder="123456",
                                           input_mode="numeric", auto_complete="one-time-code",
                                           aria_label="Code from the app"),
                                  rx.button("Turn on", type="submit", id="totp-verify")),
                    ),
                    on_submit=SettingsState.verify_two_factor,
                ),
                rx.button("Set up two-factor authentication", on_click=SettingsState.start_two_factor,
                          variant="soft", id="totp-start"),
            ),
        ),
        width="100%",
    )


def settings_page() -> rx.Component:
    return frame(
        "Settings",
        _error(SettingsState),
        rx.cond(SettingsState.notice != "", rx.callout(SettingsState.notice, icon="info", role="status",
                                                       id="settings-notice")),
        rx.vstack(
            rx.hstack(rx.heading("Mail accounts", size="4", as_="h2"),
                      rx.button("Refresh", on_click=SettingsState.refresh_progress, variant="ghost", size="1")),
            rx.cond(SettingsState.accounts.length() > 0,
                    rx.vstack(rx.foreach(SettingsState.accounts, _account_row), width="100%", id="account-list"),
                    rx.text("No mail accounts are connected yet.", color_scheme="gray")),
            _connect_form(),
            rx.divider(),
            _model_form(),
            rx.divider(),
            _two_factor(),
            spacing="4", width="100%", max_width="900px", padding_top="1em",
        ),
    )


def audit_page() -> rx.Component:
    return frame(
        "Audit",
        _error(AuditState),
        rx.text("Security events and changes on your account, newest first.", color_scheme="gray", size="2"),
        rx.table.root(
            rx.table.header(rx.table.row(rx.table.column_header_cell("When"), rx.table.column_header_cell("Event"),
                                         rx.table.column_header_cell("From"), rx.table.column_header_cell("Details"))),
            rx.table.body(rx.foreach(AuditState.rows, lambda r: rx.table.row(
                rx.table.cell(r["when"]), rx.table.cell(r["action"]), rx.table.cell(r["ip"]),
                rx.table.cell(rx.text(r["details"], size="1")),
            ))),
            width="100%", id="audit-table",
        ),
        rx.hstack(rx.button("Newer", on_click=AuditState.newer, disabled=AuditState.page == 0, variant="soft"),
                  rx.button("Older", on_click=AuditState.older, variant="soft",
                            disabled=(AuditState.page + 1) * 50 >= AuditState.total),
                  padding_y="0.75em"),
    )
