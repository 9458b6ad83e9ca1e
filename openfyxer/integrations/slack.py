"""A message to a Slack incoming webhook. What the mail said is the sender's text: it is escaped
the way Slack asks (&, <, >), so a subject cannot mention @channel, ping a user or hide a link."""

from __future__ import annotations

from openfyxer.integrations import notify_http


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message(*, title: str, lines: list[str], link: str | None = None) -> dict:
    text = "\n".join([f"*{escape(title)}*", *(escape(line) for line in lines if line)])
    if link:
        text += f"\n<{link}|{escape('Open in OpenFyxer')}>"
    # `text` alone is what Slack shows in notifications; blocks would only repeat it.
    return {"text": text, "unfurl_links": False, "unfurl_media": False}


def send(url: str, body: dict, *, timeout: float) -> notify_http.Answer:
    return notify_http.post(url, purpose="Slack webhook", json=body, timeout=timeout)
