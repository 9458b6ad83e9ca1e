"""One HTTP POST to a notification receiver (Slack, an SMS API, a webhook), through the outbound
policy: the address is checked when the request is made (a saved URL may resolve elsewhere by
then), the connection is pinned to it, and redirects are not followed (a 3xx is an answer, and
following it would leave the checked host).

What comes back is what the outbox decides on: the status, a Retry-After in seconds, or, when no
answer came (refused, reset, timed out), None and why. Whether the receiver got the request in
that last case cannot be known, so the caller resends with the same idempotency key."""

from __future__ import annotations

from dataclasses import dataclass

import requests

from openfyxer.integrations import retry_after as http_retry
from openfyxer.security import outbound

MAX_RETRY_AFTER = 24 * 3600.0


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer came
    retry_after: float | None = None
    error: str | None = None
    body: str = ""  # the start of it, for the delivery log


def post(url: str, *, purpose: str, json: object = None, data: dict | bytes | None = None, headers: dict | None = None,
         auth: tuple[str, str] | None = None, timeout: float = 10.0) -> Answer:
    """POST and say how it went. Raises OutboundRefused / HostNotFound / ValidationError for a URL
    the policy refuses or a name that does not resolve (the caller decides whether that is final)."""
    target = outbound.url_target(url, purpose=purpose)
    with requests.Session() as session:
        if target.address != target.host:
            adapter = outbound.PinnedAdapter(target)
            for prefix in ("http://", "https://"):
                session.mount(prefix, adapter)
            session.trust_env = False  # a proxy would resolve the name itself, past the check
        try:
            r = session.post(url, json=json, data=data, headers=headers, auth=auth, timeout=timeout,
                             allow_redirects=False, stream=True)
        except outbound.OutboundRefused:
            raise
        except requests.Timeout:
            return Answer(None, error=f"the {purpose} did not answer within {timeout:g} s")
        except requests.RequestException as e:
            return Answer(None, error=f"the {purpose} could not be reached: {type(e).__name__}")
        with r:
            body = r.raw.read(2000, decode_content=True) or b""
        return Answer(r.status_code, retry_after=retry_after(r.headers.get("Retry-After")),
                      body=body.decode("utf-8", "replace")[:500])


def retry_after(value: str | None) -> float | None:
    """Seconds the receiver asks to wait, capped at a day; None when it does not say."""
    wait = http_retry.seconds(value)
    return None if wait is None else min(wait, MAX_RETRY_AFTER)
