"""A real model behind the HTTP APIs litellm speaks: OpenAI-compatible (/v1/...) and Ollama (/api/...).

Answers come from SmolLM2-135M run by llama.cpp, so litellm's requests, our router and the
parsing of real generations are exercised; `delay`, `status` and `hits` let tests inject faults.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from openfyxer.integrations import llm_local

MODEL = "smollm2-135m"


class ModelServer:
    def __init__(self) -> None:
        self.delay = 0.0
        self.status = 200
        self.hits = 0
        self.requests: list[dict] = []
        handler = type("H", (_Handler,), {"server_state": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def generate(self, messages: list[dict], max_tokens: int, temperature: float) -> str:
        return llm_local.chat(MODEL, messages, max_tokens=min(max_tokens, 48), temperature=temperature)


class _Handler(BaseHTTPRequestHandler):
    server_state: ModelServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass

    def _send(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, text: str) -> None:
        """Server-sent events as OpenAI streams them: a chunk per word, then [DONE]."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        words = text.split(" ")
        for i, word in enumerate(words):
            piece = word if i == 0 else " " + word
            chunk = {"id": "c1", "object": "chat.completion.chunk", "created": int(time.time()), "model": MODEL,
                     "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        end = {"id": "c1", "object": "chat.completion.chunk", "created": int(time.time()), "model": MODEL,
               "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
        self.wfile.flush()
        self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/api/tags":
            self._send(200, {"models": [{"name": MODEL}]})
        elif self.path in ("/v1/models", "/models"):
            self._send(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        st = self.server_state
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        st.hits += 1
        st.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        if st.delay:
            time.sleep(st.delay)
        if st.status != 200:
            self._send(st.status, {"error": {"message": "invalid api key", "type": "invalid_request_error"}})
            return
        opts = body.get("options", {})
        max_tokens = body.get("max_tokens") or opts.get("num_predict") or 32
        temperature = body.get("temperature", opts.get("temperature", 0.0))
        text = st.generate(body["messages"], max_tokens, temperature)
        if self.path.endswith("/chat/completions") and body.get("stream"):
            self._stream(text)
        elif self.path.endswith("/chat/completions"):
            self._send(200, {"id": "c1", "object": "chat.completion", "created": int(time.time()), "model": MODEL,
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": text}}],
                             "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
        elif self.path == "/api/chat":
            self._send(200, {"model": MODEL, "created_at": "2026-11-27T00:00:00Z", "done": True,
                             "message": {"role": "assistant", "content": text}, "done_reason": "stop",
                             "prompt_eval_count": 1, "eval_count": 1})
        else:
            self._send(404, {"error": "not found"})
