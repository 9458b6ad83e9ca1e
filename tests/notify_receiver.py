"""A local HTTP receiver standing in for Slack, a Twilio-compatible SMS API and webhook endpoints.

It records every request it read (path, headers, body) and answers from a script: each entry is
used by one request, in order, then 200 for the rest. Entries: ("status", code, headers),
("hang", seconds) answers only after that long (past the sender's timeout), ("reset",) reads the
whole request and drops the connection without a word. For webhooks it checks the signature with
the scheme's own `standardwebhooks` library."""

from __future__ import annotations

import base64
import json
import secrets
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self) -> None:
        self.script: list[tuple] = []
        self.got: list[dict] = []
        self.secret: str | None = None  # set to verify webhook signatures
        self.arrived = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def wait_for(self, count: int, timeout: float = 20) -> list[dict]:
        end = time.monotonic() + timeout
        with self.arrived:
            while len(self.got) < count and time.monotonic() < end:
                self.arrived.wait(0.1)
        return list(self.got)

    def verified(self, item: dict) -> bool:
        try:
            Webhook(self.secret).verify(item["body"], {k.lower(): v for k, v in item["headers"].items()})
            return True
        except WebhookVerificationError:
            return False

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.arrived:
                    outer.got.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                      "at": time.monotonic()})
                    action = outer.script.pop(0) if outer.script else ("status", 200, {})
                    outer.arrived.notify_all()
                if action[0] == "reset":
                    # SO_LINGER 0: the close sends RST, as a crashed proxy would.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                if action[0] == "hang":
                    time.sleep(action[1])
                    action = ("status", 200, {})
                _, code, headers = action
                data = b"ok" if code < 300 else b"no"
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class PushBrowser:
    """What a browser holds for one push subscription (RFC 8291): its own P-256 key pair and auth
    secret. It opens what the push service would hand it and checks the sender's VAPID token
    (RFC 8292) with nothing but `cryptography` and `http_ece`, not the code that made them."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = secrets.token_bytes(16)

    def target(self, endpoint: str) -> dict[str, str]:
        from cryptography.hazmat.primitives import serialization

        point = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": endpoint, "p256dh": _b64(point), "auth": _b64(self.auth)}

    def open(self, item: dict) -> dict:
        import http_ece

        assert item["headers"].get("Content-Encoding") == "aes128gcm"
        return json.loads(http_ece.decrypt(item["body"], private_key=self.key, auth_secret=self.auth,
                                           version="aes128gcm"))

    @staticmethod
    def vapid_claims(item: dict, server_key: str) -> dict:
        """The token's claims once its signature checks out under `server_key`; AssertionError if not."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

        scheme, _, params = item["headers"]["Authorization"].partition(" ")
        assert scheme == "vapid", scheme
        fields = dict(p.strip().split("=", 1) for p in params.split(","))
        assert fields["k"] == server_key, "signed with another key than the one browsers subscribed with"
        head, claims, sig = fields["t"].split(".")
        raw = _unb64(sig)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(server_key))
        public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                      f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        assert json.loads(_unb64(head)) == {"typ": "JWT", "alg": "ES256"}
        return json.loads(_unb64(claims))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
