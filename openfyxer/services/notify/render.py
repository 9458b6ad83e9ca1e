"""What each channel is sent for an event, in the user's language. The mail's own words (subject,
sender) are data here: each channel's sender escapes them for its format; nothing in them is
followed or run."""

from __future__ import annotations

from dataclasses import dataclass

_TEXT = {
    "en": {"urgent": "Urgent: {subject}", "from": "From: {sender}", "why": "Why: {reason}",
           "test": "OpenFyxer test notification", "test_line": "This channel works: you will be told here.",
           "no_subject": "(no subject)", "open": "Open: {link}"},
    "ro": {"urgent": "Urgent: {subject}", "from": "De la: {sender}", "why": "De ce: {reason}",
           "test": "Notificare de test OpenFyxer", "test_line": "Acest canal funcționează: vei fi anunțat aici.",
           "no_subject": "(fără subiect)", "open": "Deschide: {link}"},
}
WEBHOOK_TYPES = {"urgent": "email.urgent", "test": "notification.test"}


@dataclass(frozen=True)
class Message:
    title: str
    lines: list[str]
    link: str | None


def message(event: str, payload: dict, language: str) -> Message:
    t = _TEXT.get(language, _TEXT["en"])
    if event == "urgent":
        lines = [t["from"].format(sender=payload.get("sender") or "?")]
        if payload.get("reason"):
            lines.append(t["why"].format(reason=payload["reason"]))
        return Message(t["urgent"].format(subject=payload.get("subject") or t["no_subject"]), lines, payload.get("link"))
    if event == "test":
        return Message(t["test"], [t["test_line"]], payload.get("link"))
    return Message(payload.get("title") or event, list(payload.get("lines") or []), payload.get("link"))


def plain(m: Message, language: str) -> str:
    t = _TEXT.get(language, _TEXT["en"])
    return "\n".join([m.title, *m.lines, *([t["open"].format(link=m.link)] if m.link else [])])


def webhook_body(event: str, payload: dict, message_id: str, created: str) -> dict:
    """The Standard Webhooks envelope: a type, when it happened, and the event's data."""
    return {"type": WEBHOOK_TYPES.get(event, f"notification.{event}"), "timestamp": created, "id": message_id,
            "data": payload}
