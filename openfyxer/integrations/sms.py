"""An SMS through a Twilio-compatible REST API (Twilio itself, or a provider that speaks its
Messages resource): POST {api_base}/2010-04-01/Accounts/{sid}/Messages.json with To, From, Body,
signed in with the account SID and auth token. The idempotency token makes a resend of the same
notification one message at Twilio."""

from __future__ import annotations

from urllib.parse import quote

from openfyxer.integrations import notify_http

TWILIO = "https://api.twilio.com"
MAX_BODY = 600  # four SMS segments: what matters fits, a long subject does not cost ten messages


def send(*, api_base: str, account_sid: str, auth_token: str, sender: str, to: str, body: str,
         idempotency_key: str, timeout: float) -> notify_http.Answer:
    url = f"{(api_base or TWILIO).rstrip('/')}/2010-04-01/Accounts/{quote(account_sid, safe='')}/Messages.json"
    return notify_http.post(url, purpose="SMS provider", data={"To": to, "From": sender, "Body": body[:MAX_BODY]},
                            auth=(account_sid, auth_token), headers={"I-Twilio-Idempotency-Token": idempotency_key},
                            timeout=timeout)
