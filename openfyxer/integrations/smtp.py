"""SMTP submission with every failure sorted into what the outbox must do next.

- transient: nothing was delivered and trying later may work (connection refused, 4xx);
- permanent: nothing was delivered and trying again will not help (5xx, bad credentials);
- ambiguous: the whole message reached the server but its final answer did not reach us,
  so it may have been delivered: never resend blindly.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from dataclasses import dataclass

from openfyxer.core.errors import OpenFyxerError
from openfyxer.integrations.imap import tls_context

TRANSIENT, PERMANENT, AMBIGUOUS = "transient", "permanent", "ambiguous"
_EOL = re.compile(rb"(?:\r\n|\n|\r(?!\n))")


class SmtpError(OpenFyxerError):
    """The SMTP server answered with an error."""

    status = 502
    code = "smtp_error"


class SmtpAuthError(SmtpError):
    """The SMTP server refused the credentials."""

    status = 400
    code = "smtp_auth_failed"


class SmtpConnectError(SmtpError):
    """The SMTP server could not be reached."""

    status = 400
    code = "smtp_unreachable"


class SendFailed(SmtpError):
    """Sending failed; `kind` says whether it may be retried."""

    def __init__(self, kind: str, message: str, smtp_code: int | None = None):
        super().__init__(message, code=f"send_{kind}")
        self.kind = kind
        self.smtp_code = smtp_code


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # ssl | starttls | none
    username: str
    password: str | None = None
    access_token: str | None = None
    timeout: float = 60.0
    ca_file: str | None = None


def _kind(code: int) -> str:
    return PERMANENT if 500 <= code < 600 else TRANSIENT


def _open(cfg: SmtpConfig) -> smtplib.SMTP:
    """Connect and sign in; failures here never deliver anything."""
    try:
        if cfg.security == "ssl":
            smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=tls_context(cfg.ca_file))
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
            if cfg.security == "starttls":
                smtp.starttls(context=tls_context(cfg.ca_file))
        smtp.ehlo_or_helo_if_needed()
    except (OSError, smtplib.SMTPException, ssl.SSLError, UnicodeError, ValueError) as e:
        raise SmtpConnectError(f"cannot reach SMTP server {cfg.host}:{cfg.port} ({cfg.security}): {e}") from e
    try:
        if cfg.access_token:
            token = f"user={cfg.username}\x01auth=Bearer {cfg.access_token}\x01\x01"
            smtp.auth("XOAUTH2", lambda challenge=None: token)
        elif cfg.password is not None:
            smtp.login(cfg.username, cfg.password)
    except smtplib.SMTPAuthenticationError as e:
        _quit(smtp)
        raise SmtpAuthError(f"the SMTP server refused the sign-in for {cfg.username}") from e
    except (OSError, smtplib.SMTPException) as e:
        _quit(smtp)
        raise SmtpConnectError(f"SMTP sign-in failed: {e}") from e
    return smtp


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def verify(cfg: SmtpConfig) -> None:
    """Connect and sign in, then leave: proves the settings before an account is saved."""
    _quit(_open(cfg))


def send(cfg: SmtpConfig, raw: bytes, mail_from: str, rcpt_to: list[str]) -> str:
    """Deliver `raw` to every recipient or to none; returns the server's final answer.

    Raises SendFailed with kind transient / permanent / ambiguous.
    """
    if not rcpt_to:
        raise SendFailed(PERMANENT, "the message has no recipient")
    try:
        smtp = _open(cfg)
    except SmtpAuthError as e:
        raise SendFailed(PERMANENT, e.message) from e
    except SmtpConnectError as e:
        raise SendFailed(TRANSIENT, e.message) from e
    try:
        return _transaction(smtp, raw, mail_from, rcpt_to)
    finally:
        _quit(smtp)


def _transaction(smtp: smtplib.SMTP, raw: bytes, mail_from: str, rcpt_to: list[str]) -> str:
    phase = "envelope"
    try:
        code, resp = smtp.mail(mail_from)
        if code != 250:
            raise SendFailed(_kind(code), f"sender refused: {code} {resp.decode(errors='replace')}", code)
        for rcpt in rcpt_to:
            code, resp = smtp.rcpt(rcpt)
            if code not in (250, 251):
                smtp.rset()
                # All or nobody: a reply must not reach half of its recipients.
                raise SendFailed(_kind(code), f"recipient {rcpt} refused: {code} {resp.decode(errors='replace')}", code)
        code, resp = smtp.docmd("DATA")
        if code != 354:
            raise SendFailed(_kind(code), f"DATA refused: {code} {resp.decode(errors='replace')}", code)
        phase = "payload"
        # What SMTP.data does for bytes: CRLF line ends, then dot-stuffing.
        payload = smtplib._quote_periods(_EOL.sub(b"\r\n", raw))  # noqa: SLF001
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        smtp.send(payload + b".\r\n")
        phase = "final_reply"
        code, resp = smtp.getreply()
    except SendFailed:
        raise
    except (OSError, socket.timeout, smtplib.SMTPServerDisconnected) as e:
        if phase == "final_reply":
            raise SendFailed(AMBIGUOUS, f"connection lost after the message was sent: {e}") from e
        raise SendFailed(TRANSIENT, f"connection lost during {phase}: {e}") from e
    except smtplib.SMTPException as e:
        raise SendFailed(TRANSIENT, f"SMTP error during {phase}: {e}") from e
    if code != 250:
        raise SendFailed(_kind(code), f"message refused: {code} {resp.decode(errors='replace')}", code)
    return f"{code} {resp.decode(errors='replace')}"
