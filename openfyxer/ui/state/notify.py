"""Settings' notifications section: channels (added, tested, turned off, removed), quiet hours and the
digest time, and the delivery log; and the Awaiting reply page. Handlers over services.notify, as
the REST API's routes are."""

from __future__ import annotations

import json
import uuid

import reflex as rx

from openfyxer.core.db import session_scope
from openfyxer.models.notify import EVENTS, ChannelCreate, ChannelUpdate, NotifyPrefs
from openfyxer.services.notify import channels, events, followups, history
from openfyxer.ui.state.mail import MailState

KINDS = ["slack", "webhook", "sms", "email", "apprise"]  # a browser (webpush) is added from the browser itself
TARGET_FIELDS = {"slack": ("url",), "webhook": ("url",), "email": ("to",), "apprise": ("url",),
                 "sms": ("account_sid", "auth_token", "from", "to", "api_base")}


class NotifyState(MailState):
    channel_list: list[dict] = []
    delivery_list: list[dict] = []
    new_kind: str = "slack"
    shown_secret: str = ""  # a new webhook's signing secret, shown this once
    notify_notice: str = ""
    quiet_start: str = ""
    quiet_end: str = ""
    priority_passes: bool = True
    digest_at: str = "08:00"
    push_key: str = ""  # the VAPID key this device subscribes with; empty: push is not set up here

    def load_section(self) -> None:
        self.shown_secret, self.notify_notice = "", ""
        self.push_key = channels.push_key() or ""
        self._refresh()

    def _refresh(self) -> None:
        def read(db):  # noqa: ANN001, ANN202
            user = self._user(db)
            return (channels.list_channels(db, user_id=user.id), history.recent(db, user_id=user.id, limit=30),
                    events.prefs(db, user.id))

        got = self._attempt(read)
        if got is None:
            return
        rows, log, p = got
        self.channel_list = [self._channel(c) for c in rows]
        self.delivery_list = [self._delivery(d) for d in log]
        self.quiet_start, self.quiet_end = p.quiet_start or "", p.quiet_end or ""
        self.priority_passes, self.digest_at = p.priority_passes_quiet, p.digest_at or ""

    def _channel(self, c) -> dict:  # noqa: ANN001
        return {"id": str(c.id), "name": c.name, "kind": c.kind, "hint": c.hint, "enabled": c.enabled,
                "events": ", ".join(self._event(e) for e in c.events), "disabled_reason": c.disabled_reason or ""}

    def _event(self, name: str) -> str:
        return {"urgent": self._t("urgent mail"), "digest": self._t("daily digest"),
                "draft_ready": self._t("draft ready"), "follow_up": self._t("follow-up due"),
                "meeting_summary": self._t("meeting summary"), "sync_failed": self._t("sync failing"),
                "test": self._t("test")}.get(name, name)

    def _delivery(self, d) -> dict:  # noqa: ANN001
        state = {"pending": self._t("waiting"), "sending": self._t("sending"), "delivered": self._t("delivered"),
                 "failed": self._t("failed")}.get(d.state, d.state)
        why = d.last_error or ""
        if d.held_reason == "quiet hours":
            why = self._t("held for quiet hours until {when}", when=self._when(d.next_attempt_at))
        return {"id": str(d.id), "when": self._when(d.created_at), "channel": d.channel_name,
                "event": self._event(d.event), "title": d.title, "state": d.state, "state_label": state,
                "attempts": str(d.attempts), "why": why}

    def set_new_kind(self, value: str) -> None:
        self.new_kind = value if value in KINDS else "slack"

    def add_channel(self, form: dict) -> None:
        self.error, self.notify_notice, self.shown_secret = "", "", ""
        kind = self.new_kind
        target = {k: str(form.get(f"target_{k}") or "").strip() for k in TARGET_FIELDS[kind]}
        target = {k: v for k, v in target.items() if v or k != "api_base"}
        wanted = [e for e in EVENTS if form.get(f"event_{e}")]
        made = self._attempt(lambda db: channels.create(db, user_id=self._user(db).id, data=ChannelCreate(
            kind=kind, name=str(form.get("channel_name") or ""), target=target, events=wanted)))
        if made is None:
            return
        self.shown_secret = made.secret or ""
        self.notify_notice = self._t("Channel added. Send it a test to see that it works.")
        self._refresh()

    def save_push(self, form: dict) -> None:
        """What assets/push.js got from the browser: its subscription, or why there is none."""
        self.error, self.notify_notice, self.shown_secret = "", "", ""
        why = str(form.get("push_error") or "")
        if why:
            self.notify_notice = {
                "unsupported": self._t("This browser cannot receive notifications (on an iPhone, add OpenFyxer "
                                       "to the home screen first)."),
                "denied": self._t("Notifications are blocked for this site: allow them in the browser's site "
                                  "settings, then try again."),
            }.get(why, self._t("The browser could not subscribe: {why}", why=why.removeprefix("failed: ")[:200]))
            return
        try:
            sub = json.loads(str(form.get("push_subscription") or "{}"))
            target = {"endpoint": str(sub["endpoint"]), "p256dh": str(sub["keys"]["p256dh"]),
                      "auth": str(sub["keys"]["auth"])}
        except (ValueError, KeyError, TypeError):
            self.error = self._t("The browser's subscription could not be read.")
            return
        name = str(form.get("push_device") or "").strip()[:100] or self._t("This browser")
        if self._attempt(lambda db: channels.create(db, user_id=self._user(db).id, data=ChannelCreate(
                kind="webpush", name=name, target=target))) is not None:
            self.notify_notice = self._t("This device will be notified. Send it a test to see that it works.")
        self._refresh()

    def test_channel(self, channel_id: str) -> None:
        self.error, self.notify_notice = "", ""
        if self._attempt(lambda db: events.send_test(db, user=self._user(db), channel_id=uuid.UUID(channel_id))):
            self.notify_notice = self._t("Test sent; its outcome shows in the log below.")
        self._refresh()

    def toggle_channel(self, channel_id: str) -> None:
        def flip(db):  # noqa: ANN001, ANN202
            user = self._user(db)
            current = channels.get(db, user_id=user.id, channel_id=uuid.UUID(channel_id))
            return channels.update(db, user_id=user.id, channel_id=current.id,
                                   data=ChannelUpdate(enabled=not current.enabled))

        self._attempt(flip)
        self._refresh()

    def remove_channel(self, channel_id: str) -> None:
        self._attempt(lambda db: channels.remove(db, user_id=self._user(db).id, channel_id=uuid.UUID(channel_id)))
        self._refresh()

    def save_quiet(self, form: dict) -> None:
        self.error, self.notify_notice = "", ""
        data = {"quiet_start": form.get("quiet_start") or None, "quiet_end": form.get("quiet_end") or None,
                "priority_passes_quiet": bool(form.get("priority_passes")), "digest_at": form.get("digest_at") or None}
        if self._attempt(lambda db: events.save_prefs(db, user_id=self._user(db).id,
                                                      data=NotifyPrefs.model_validate(data))):
            self.notify_notice = self._t("Saved.")
        self._refresh()

    def refresh_log(self) -> None:
        self._refresh()

    def done_with_secret(self) -> None:
        self.shown_secret = ""


class AwaitingState(MailState):
    """The Awaiting reply page: what the user sent that has had no answer yet."""

    rows: list[dict] = []

    def load(self):  # noqa: ANN201
        return self._load_page()

    def _load(self) -> None:
        with session_scope() as db:
            user = self._user(db)
            self.rows = [{"id": str(f.id), "email_id": str(f.email_id), "subject": f.subject or self._t("(no subject)"),
                          "to": f.to, "sent": self._when(f.sent_at), "due": self._when(f.due_at), "state": f.state,
                          "draft_id": str(f.nudge_draft_id or "")} for f in followups.list_open(db, user=user)]

    def snooze(self, follow_up_id: str) -> None:
        self._change(lambda db, user: followups.snooze(db, user=user, follow_up_id=uuid.UUID(follow_up_id), days=3))

    def dismiss(self, follow_up_id: str) -> None:
        self._change(lambda db, user: followups.dismiss(db, user=user, follow_up_id=uuid.UUID(follow_up_id)))

    def _change(self, action) -> None:  # noqa: ANN001
        self.error = ""
        if self._attempt(lambda db: action(db, self._user(db))) is not None:
            self._load()
