"""Settings' notifications section (channels, quiet hours and digest, the delivery log) and the
Awaiting reply page."""

from __future__ import annotations

import reflex as rx

from openfyxer.models.notify import DEFAULT_EVENTS, EVENTS
from openfyxer.ui.components.layout import frame
from openfyxer.ui.components.translated import t
from openfyxer.ui.i18n import N_
from openfyxer.ui.pages.mail import _error
from openfyxer.ui.state.notify import KINDS, AwaitingState, NotifyState

EVENT_LABELS = {"urgent": N_("Urgent mail"), "digest": N_("Daily digest"), "draft_ready": N_("Draft ready"),
                "follow_up": N_("Follow-up due"), "meeting_summary": N_("Meeting summary"),
                "sync_failed": N_("An account failing to sync")}
KIND_LABELS = {"slack": N_("Slack"), "webhook": N_("Webhook (signed)"), "sms": N_("SMS (Twilio-compatible)"),
               "email": N_("Email"), "apprise": N_("Other service (Apprise URL)")}


def _this_device() -> rx.Component:
    """Web Push to this browser or installed app. The button only carries the key: assets/push.js asks
    the browser and sends its answer through the hidden form."""
    hidden = {"type": "hidden"}
    return rx.cond(
        NotifyState.push_key != "",
        rx.hstack(
            rx.button(rx.icon("bell-ring", size=16), t("Notify this device"), size="2", variant="soft",
                      id="push-enable", type="button", custom_attrs={"data-vapid-key": NotifyState.push_key}),
            rx.text(t("Urgent mail and reminders as notifications from this browser or the installed app."),
                    size="1", color_scheme="gray"),
            rx.form(rx.el.input(name="push_subscription", **hidden), rx.el.input(name="push_error", **hidden),
                    rx.el.input(name="push_device", **hidden), on_submit=NotifyState.save_push, id="push-form",
                    reset_on_submit=True, display="none"),
            align="center", spacing="3", wrap="wrap", width="100%"),
        rx.text(t("Notifications on this device need a VAPID key on the server (python -m openfyxer.cli init-env)."),
                size="1", color_scheme="gray"),
    )


def _input(label: str, name: str, **props) -> rx.Component:
    return rx.vstack(rx.el.label(t(label), html_for=name, font_size="0.85em"),
                     rx.input(name=name, id=name, width="100%", **props), spacing="1", width="100%")


def _targets() -> rx.Component:
    secret = {"type": "password", "auto_complete": "off"}
    return rx.match(
        NotifyState.new_kind,
        ("slack", _input(N_("Slack incoming-webhook URL"), "target_url", required=True, **secret)),
        ("webhook", _input(N_("Webhook URL (https://…)"), "target_url", required=True)),
        ("email", _input(N_("Send to (address)"), "target_to", type="email", required=True)),
        ("apprise", _input(N_("Apprise URL (tgram://, discord://, ntfy://, matrix://, …)"), "target_url",
                           required=True, **secret)),
        ("sms", rx.grid(
            _input(N_("Account SID"), "target_account_sid", required=True),
            _input(N_("Auth token"), "target_auth_token", required=True, **secret),
            _input(N_("From number (+1…)"), "target_from", type="tel", required=True),
            _input(N_("To number (+40…)"), "target_to", type="tel", required=True),
            _input(N_("API address (empty: Twilio)"), "target_api_base"),
            columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%")),
        rx.fragment(),
    )


def _add_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.grid(
                rx.vstack(rx.el.label(t("Kind"), html_for="channel_kind", font_size="0.85em"),
                          rx.select.root(rx.select.trigger(id="channel_kind"),
                                         rx.select.content(*(rx.select.item(t(KIND_LABELS[k]), value=k)
                                                             for k in KINDS)),
                                         value=NotifyState.new_kind, on_change=NotifyState.set_new_kind),
                          spacing="1"),
                _input(N_("Name"), "channel_name", placeholder=t("e.g. My phone")),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
            ),
            _targets(),
            rx.el.fieldset(
                rx.el.legend(t("Tell me about"), font_size="0.85em"),
                rx.flex(*(rx.el.label(rx.checkbox(name=f"event_{e}", default_checked=e in DEFAULT_EVENTS,
                                                  id=f"event-{e}"), t(EVENT_LABELS[e]),
                                      display="flex", gap="0.4em", align_items="center")
                          for e in EVENTS), wrap="wrap", spacing="3"),
                border="none", padding="0",
            ),
            rx.button(t("Add channel"), type="submit", id="channel-add"),
            width="100%",
        ),
        on_submit=NotifyState.add_channel, reset_on_submit=True,
    )


def _channel_row(c: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(c["name"], weight="bold"), rx.text(c["hint"], size="1", color_scheme="gray")),
        rx.table.cell(c["kind"]),
        rx.table.cell(rx.text(c["events"], size="1"),
                      rx.cond(c["disabled_reason"] != "", rx.text(c["disabled_reason"], size="1", color_scheme="red"))),
        rx.table.cell(rx.hstack(
            rx.button(t("Test"), size="1", variant="soft", on_click=NotifyState.test_channel(c["id"]),
                      id="channel-test-" + c["name"].to(str)),
            rx.button(rx.cond(c["enabled"].to(bool), t("Turn off"), t("Turn on")), size="1", variant="ghost",
                      on_click=NotifyState.toggle_channel(c["id"])),
            rx.button(t("Remove"), size="1", variant="ghost", color_scheme="red",
                      on_click=NotifyState.remove_channel(c["id"])),
            spacing="2")),
    )


def _quiet_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(t("Quiet hours and digest"), size="2", as_="h4"),
            rx.text(t("During quiet hours notifications wait until they end (in your time zone)."), size="1",
                    color_scheme="gray"),
            rx.grid(
                _input(N_("Quiet from"), "quiet_start", type="time", default_value=NotifyState.quiet_start),
                _input(N_("Quiet until"), "quiet_end", type="time", default_value=NotifyState.quiet_end),
                _input(N_("Daily digest at (empty: none)"), "digest_at", type="time",
                       default_value=NotifyState.digest_at),
                columns=rx.breakpoints(initial="1", sm="3"), spacing="3", width="100%",
            ),
            rx.el.label(rx.checkbox(name="priority_passes", default_checked=NotifyState.priority_passes,
                                    id="priority-passes"),
                        t("Urgent mail from a priority contact comes through quiet hours"),
                        display="flex", gap="0.4em", align_items="center"),
            rx.button(t("Save"), type="submit", id="quiet-save", variant="soft"),
            width="100%",
        ),
        on_submit=NotifyState.save_quiet, reset_on_submit=False, key=NotifyState.quiet_start + NotifyState.digest_at,
    )


def _delivery_row(d: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(d["when"]), rx.table.cell(d["channel"]), rx.table.cell(d["event"]),
        rx.table.cell(rx.text(d["title"], size="1")),
        rx.table.cell(rx.badge(d["state_label"], custom_attrs={"data-state": d["state"]}),
                      rx.cond(d["why"] != "", rx.text(d["why"], size="1", color_scheme="gray"))),
    )


def notifications_section() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Notifications"), size="3", as_="h3"),
        rx.text(t("Where you are told about urgent mail, the daily digest and follow-ups. Addresses and tokens "
                  "are kept encrypted and never shown again."), size="1", color_scheme="gray"),
        rx.cond(NotifyState.notify_notice != "", rx.callout(NotifyState.notify_notice, icon="info", role="status",
                                                            id="notify-notice")),
        rx.cond(NotifyState.shown_secret != "", rx.callout.root(
            rx.callout.text(t("The webhook's signing secret. Give it to the receiver to check each request's "
                              "signature; it is not shown again."), weight="bold"),
            rx.code(NotifyState.shown_secret, id="webhook-secret"),
            rx.button(t("I have saved it"), on_click=NotifyState.done_with_secret, size="1", variant="soft"),
            color_scheme="amber", width="100%")),
        rx.cond(NotifyState.channel_list.length() > 0,
                rx.table.root(rx.table.body(rx.foreach(NotifyState.channel_list, _channel_row)), width="100%",
                              id="channel-list"),
                rx.text(t("No channels yet: urgent mail is shown in the dashboard only."), color_scheme="gray",
                        size="2")),
        _this_device(),
        _add_form(),
        _quiet_form(),
        rx.hstack(rx.heading(t("Delivery log"), size="2", as_="h4"),
                  rx.button(t("Refresh"), size="1", variant="ghost", on_click=NotifyState.refresh_log,
                            id="delivery-refresh"), align="center"),
        rx.cond(NotifyState.delivery_list.length() > 0,
                rx.table.root(rx.table.body(rx.foreach(NotifyState.delivery_list, _delivery_row)), width="100%",
                              id="delivery-log"),
                rx.text(t("Nothing sent yet."), color_scheme="gray", size="2")),
        width="100%", on_mount=NotifyState.load_section, id="notifications",
    )


def _awaiting_row(r: dict) -> rx.Component:
    return rx.card(rx.vstack(
        rx.link(rx.text(r["subject"], weight="bold"), href="/email/" + r["email_id"].to(str)),
        rx.text(t("To"), " ", r["to"], " · ", t("sent"), " ", r["sent"], size="2"),
        rx.text(rx.cond(r["state"] == "due", t("No reply yet: a follow-up draft waits in Drafts."),
                        rx.fragment(t("Reminder on"), " ", r["due"])), size="1", color_scheme="gray"),
        rx.hstack(
            rx.cond(r["draft_id"] != "", rx.link(t("Open the follow-up draft"), href="/drafts", size="2")),
            rx.button(t("Snooze 3 days"), size="1", variant="soft", on_click=AwaitingState.snooze(r["id"])),
            rx.button(t("Dismiss"), size="1", variant="ghost", color_scheme="gray",
                      on_click=AwaitingState.dismiss(r["id"])),
            spacing="2", align="center"),
        spacing="1"), width="100%")


def awaiting_page() -> rx.Component:
    return frame(
        N_("Awaiting reply"),
        _error(AwaitingState),
        rx.text(t("Mail you sent that asks for something and has had no answer yet."), color_scheme="gray", size="2"),
        rx.cond(AwaitingState.rows.length() > 0,
                rx.vstack(rx.foreach(AwaitingState.rows, _awaiting_row), width="100%", id="awaiting-list"),
                rx.text(t("Nothing is waiting for a reply."), color_scheme="gray")),
    )
