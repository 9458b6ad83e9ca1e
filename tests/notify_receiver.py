"""A local HTTP receiver standing in for Slack, a Twilio-compatible SMS API and webhook endpoints.

It records every request it read (path, headers, body) and answers from a script: each entry is
used by one request, in order, then 200 for the rest. Entries: ("status", code, headers),
("hang", seconds) answers only after that long (past the sender's timeout), ("reset",) reads the
whole request and drops the connection without a word. For webhooks it checks the signature with
the scheme's own `standardwebhooks` library."""

from __future__ import annotations

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
