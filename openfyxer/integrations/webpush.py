"""Web Push (RFC 8030) to a browser that installed the dashboard: the payload encrypted for that
browser alone (RFC 8291, aes128gcm, by pywebpush / http_ece), the request signed with this
server's VAPID key (RFC 8292, py_vapid), and sent through the outbound policy like every other
notification (notify_http), never by pywebpush's own HTTP client, which would resolve and follow
whatever the endpoint says.

The push service keeps a message for an offline browser for `ttl` seconds. `topic` makes a resend
of one notification replace the copy the service still holds instead of queueing a second one."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPusher

from openfyxer.integrations import notify_http

MAX_PAYLOAD = 3000  # the services accept 4 KB of ciphertext; the record adds 103 bytes
TOKEN_LIFETIME_S = 12 * 3600  # RFC 8292 allows 24 h; some services refuse one that is a second over


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_private_key() -> str:
    """A fresh VAPID key: the P-256 private number, base64url (what OPENFYXER_VAPID_PRIVATE_KEY holds)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def public_key(private_key: str) -> str:
    """The browser's `applicationServerKey`: the uncompressed public point, base64url."""
    point = Vapid02.from_raw(private_key.encode()).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(point)


def check_subscription(p256dh: str, auth: str) -> None:
    """Raise ValueError unless the keys are what a browser gives: a P-256 point and a 16-byte secret."""
    try:
        point, secret = unb64url(p256dh), unb64url(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (ValueError, TypeError) as e:
        raise ValueError("the subscription's p256dh key is not a P-256 public key") from e
    if len(secret) != 16:
        raise ValueError("the subscription's auth secret must be 16 bytes")


def send(endpoint: str, *, p256dh: str, auth: str, private_key: str, subject: str, payload: dict,
         ttl: int, topic: str, urgent: bool, timeout: float) -> notify_http.Answer:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    if len(body) > MAX_PAYLOAD:
        raise ValueError(f"a push message holds at most {MAX_PAYLOAD} bytes")
    sealed = WebPusher({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}).encode(body)["body"]
    parts = urlsplit(endpoint)
    claims = {"aud": f"{parts.scheme}://{parts.netloc}", "sub": subject, "exp": int(time.time()) + TOKEN_LIFETIME_S}
    headers = Vapid02.from_raw(private_key.encode()).sign(claims)
    headers.update({"TTL": str(ttl), "Content-Encoding": "aes128gcm", "Content-Type": "application/octet-stream",
                    "Urgency": "high" if urgent else "normal", "Topic": topic[:32]})
    return notify_http.post(endpoint, purpose="push service", data=sealed, headers=headers, timeout=timeout)
