"""Logging set-up with a filter that keeps secrets out of log lines."""

from __future__ import annotations

import logging
import re

# Values after these keys are secrets wherever they appear in a message.
_SECRET = re.compile(
    r"(?i)(password|passwd|secret|token|api_key|apikey|authorization|totp_code|code)"
    r"(\s*[=:]\s*|\"\s*:\s*\")([^\s\",&]+)"
)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        redacted = _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}***", msg)
        if redacted != msg:
            record.msg, record.args = redacted, None
        return True


def setup_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(isinstance(f, RedactSecrets) for h in root.handlers for f in h.filters):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    root.addHandler(handler)
    root.setLevel(level)
    # exchangelib logs whole SOAP requests (message bodies included) on errors; we log our own.
    logging.getLogger("exchangelib").setLevel(logging.CRITICAL)
