"""A webhook signed per the Standard Webhooks scheme: `webhook-id` (the same on every resend of one
notification, so the receiver can drop a copy), `webhook-timestamp`, and `webhook-signature`
`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under the endpoint's `whsec_` secret. The signing
is the scheme's own library, so receivers that verify with it agree with us byte for byte."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from openfyxer.integrations import notify_http


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def send(url: str, *, secret: str, message_id: str, payload: dict, timeout: float,
         now: datetime | None = None) -> notify_http.Answer:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    stamp = now or datetime.now(UTC)
    headers = {"webhook-id": message_id, "webhook-timestamp": str(int(stamp.timestamp())),
               "webhook-signature": Webhook(secret).sign(message_id, stamp, body),
               "Content-Type": "application/json"}
    return notify_http.post(url, purpose="webhook", data=body.encode(), headers=headers, timeout=timeout)
