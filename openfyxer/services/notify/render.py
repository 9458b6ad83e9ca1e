"""What each channel is sent for an event, in the user's language. The mail's own words (subject,
sender) are data here: each channel's sender escapes them for its format; nothing in them is
followed or run."""

from __future__ import annotations

from dataclasses import dataclass

_TEXT = {
    "en": {"urgent": "Urgent: {subject}", "from": "From: {sender}", "why": "Why: {reason}",
           "test": "OpenFyxer test notification", "test_line": "This channel works: you will be told here.",
           "no_subject": "(no subject)", "open": "Open: {link}",
           "digest": "Your day, {date}: {urgent} urgent, {respond} to answer, {drafts} drafts, {meetings} meetings",
           "d_urgent": "Urgent", "d_respond": "To answer", "d_meetings": "Today", "d_follow": "No reply yet",
           "d_drafts": "{n} drafts wait for your approval.", "all_day": "all day", "more": "… and {n} more",
           "follow_up": "No reply yet: {subject}",
           "follow_line": "To {to}. A follow-up draft waits for your approval.",
           "draft_ready": "A draft waits for your approval: {subject}", "draft_to": "To {to}",
           "sync_failed": "{account} has not synced for over an hour", "sync_why": "Why: {error}",
           "meeting_summary": "Minutes ready: {title}",
           "minutes_counts": "{decisions} decisions, {actions} action items, {questions} open questions",
           "item_due": "Action item due: {what}", "item_line": "Owner: {owner}. From the meeting \"{meeting}\".",
           "nobody": "not assigned"},
    "ro": {"urgent": "Urgent: {subject}", "from": "De la: {sender}", "why": "De ce: {reason}",
           "test": "Notificare de test OpenFyxer", "test_line": "Acest canal funcționează: vei fi anunțat aici.",
           "no_subject": "(fără subiect)", "open": "Deschide: {link}",
           "digest": "Ziua ta, {date}: {urgent} urgente, {respond} de răspuns, {drafts} ciorne, {meetings} întâlniri",
           "d_urgent": "Urgente", "d_respond": "De răspuns", "d_meetings": "Azi", "d_follow": "Fără răspuns încă",
           "d_drafts": "{n} ciorne așteaptă aprobarea ta.", "all_day": "toată ziua", "more": "… și încă {n}",
           "follow_up": "Fără răspuns încă: {subject}",
           "follow_line": "Către {to}. O ciornă de revenire așteaptă aprobarea ta.",
           "draft_ready": "O ciornă așteaptă aprobarea ta: {subject}", "draft_to": "Către {to}",
           "sync_failed": "{account} nu s-a mai sincronizat de peste o oră", "sync_why": "De ce: {error}",
           "meeting_summary": "Minuta e gata: {title}",
           "minutes_counts": "{decisions} decizii, {actions} sarcini, {questions} întrebări deschise",
           "item_due": "Sarcină la termen: {what}",
           "item_line": "Responsabil: {owner}. Din întâlnirea „{meeting}”.",
           "nobody": "nealocat"},
}
WEBHOOK_TYPES = {"urgent": "email.urgent", "test": "notification.test", "digest": "digest.daily",
                 "follow_up": "follow_up.due", "draft_ready": "draft.ready", "sync_failed": "account.sync_failed",
                 "meeting_summary": "meeting.summary_ready"}


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
    if event == "digest":
        return _digest(t, payload)
    if event == "draft_ready":
        return Message(t["draft_ready"].format(subject=payload.get("subject") or t["no_subject"]),
                       [t["draft_to"].format(to=payload.get("to") or "?")], payload.get("link"))
    if event == "sync_failed":
        return Message(t["sync_failed"].format(account=payload.get("account") or "?"),
                       [t["sync_why"].format(error=payload.get("error") or "?")], payload.get("link"))
    if event == "meeting_summary":
        lines = [t["minutes_counts"].format(decisions=payload.get("decisions", 0),
                                            actions=payload.get("action_items", 0),
                                            questions=payload.get("questions", 0))]
        if payload.get("summary"):
            lines.append(payload["summary"])
        return Message(t["meeting_summary"].format(title=payload.get("title") or t["no_subject"]), lines,
                       payload.get("link"))
    if event == "follow_up" and payload.get("kind") == "action_item":  # a meeting's action item, due
        return Message(t["item_due"].format(what=payload.get("subject") or "?"),
                       [t["item_line"].format(owner=payload.get("to") or t["nobody"],
                                              meeting=payload.get("meeting") or "?")],
                       payload.get("link"))
    if event == "follow_up":
        return Message(t["follow_up"].format(subject=payload.get("subject") or t["no_subject"]),
                       [t["follow_line"].format(to=payload.get("to") or "?")], payload.get("link"))
    return Message(payload.get("title") or event, list(payload.get("lines") or []), payload.get("link"))


def _digest(t: dict, p: dict) -> Message:
    title = t["digest"].format(date=p.get("date", ""), urgent=p.get("urgent_total", 0),
                               respond=p.get("to_respond_total", 0), drafts=p.get("drafts_total", 0),
                               meetings=len(p.get("meetings") or []))
    lines: list[str] = []

    def section(name: str, items: list[str], total: int) -> None:
        if items:
            lines.append(f"{t[name]}:")
            lines.extend(f"• {item}" for item in items)
            if total > len(items):
                lines.append(t["more"].format(n=total - len(items)))

    section("d_urgent", [f"{m['subject'] or t['no_subject']} ({m['sender']})" for m in p.get("urgent") or []],
            p.get("urgent_total", 0))
    section("d_respond", [f"{m['subject'] or t['no_subject']} ({m['sender']})" for m in p.get("to_respond") or []],
            p.get("to_respond_total", 0))
    meetings = p.get("meetings") or []
    section("d_meetings", [f"{t['all_day'] if m.get('all_day') else m.get('start')} {m.get('title') or ''}".strip()
                           for m in meetings], len(meetings))
    section("d_follow", [f"{f['subject'] or t['no_subject']} ({f['to']})" for f in p.get("follow_ups") or []],
            p.get("follow_ups_total", 0))
    if p.get("drafts_total"):
        lines.append(t["d_drafts"].format(n=p["drafts_total"]))
    return Message(title, lines, p.get("link"))


def html(m: Message, language: str) -> str:
    """The same message as a small HTML mail part; every text escaped."""
    from html import escape

    t = _TEXT.get(language, _TEXT["en"])
    items = "".join(f"<p style=\"margin:4px 0\">{escape(line)}</p>" for line in m.lines)
    link = f'<p><a href="{escape(m.link, quote=True)}">{escape(t["open"].format(link="").rstrip(": "))}</a></p>' \
        if m.link else ""
    return (f'<!doctype html><html lang="{escape(language)}"><body style="font-family:sans-serif">'
            f"<h2 style=\"font-size:18px\">{escape(m.title)}</h2>{items}{link}</body></html>")


def plain(m: Message, language: str) -> str:
    t = _TEXT.get(language, _TEXT["en"])
    return "\n".join([m.title, *m.lines, *([t["open"].format(link=m.link)] if m.link else [])])


def push_body(m: Message, tag: str) -> dict:
    """What the service worker shows (assets/sw.js): a title, a few lines, where a click goes, and a tag
    so that a resent copy replaces the one on screen instead of showing twice."""
    return {"title": m.title[:200], "body": "\n".join(m.lines)[:1500], "url": m.link or "/", "tag": tag[:64]}


def webhook_body(event: str, payload: dict, message_id: str, created: str) -> dict:
    """The Standard Webhooks envelope: a type, when it happened, and the event's data."""
    return {"type": WEBHOOK_TYPES.get(event, f"notification.{event}"), "timestamp": created, "id": message_id,
            "data": payload}
