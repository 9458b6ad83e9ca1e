"""TOTP (RFC 6238) helpers: secrets, provisioning URIs, QR codes, and step matching.

Replay protection needs to know *which* 30-second step a code matched, so verification
returns the step instead of a bare yes/no; the service records used steps.
"""

from __future__ import annotations

import io
import time

import pyotp
import segno

ISSUER = "OpenFyxer"
INTERVAL = 30
# Accept the previous and next step too: phone clocks drift.
WINDOW = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret, interval=INTERVAL).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg_data_uri(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=4)


def qr_png_bytes(uri: str) -> bytes:
    buf = io.BytesIO()
    segno.make(uri, error="m").save(buf, kind="png", scale=5)
    return buf.getvalue()


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step the code belongs to, or None if it matches none in the window."""
    code = (code or "").strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret, interval=INTERVAL)
    now = time.time() if now is None else now
    current = int(now // INTERVAL)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


def code_at(secret: str, when: float) -> str:
    return pyotp.TOTP(secret, interval=INTERVAL).at(when)
