"""SMTP submission with every failure sorted into what the outbox must do next.

- transient: nothing was delivered and trying later may work (connection refused, 4xx);
- permanent: nothing was delivered and trying again will not help (5xx, bad credentials);
- ambiguous: the whole message reached the server but its final answer did not reach us,
  so it may have been delivered: never resend blindly.

The connection goes to the address the outbound policy checked. Errors give the server's status
codes, never its text: whatever answers at an address the user typed must not be read back to them.
"""

from __future__ import annotations

import re
import smtplib
import socket
from dataclasses import dataclass

from openfyxer.core.errors import OpenFyxerError
from openfyxer.integrations.imap import tls_context
from openfyxer.security import outbound

TRANSIENT, PERMANENT, AMBIGUOUS = "transient", "permanent", "ambiguous"
_EOL = re.compile(rb"(?:\r\n|\n|\r(?!\n))")
_ENHANCED = re.compile(rb"^([245]\.\d{1,3}\.\d{1,3})\b")


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


def _status(code: int, resp: bytes) -> str:
    """The reply code and its enhanced status code (5.1.1), without the text around them."""
    m = _ENHANCED.match(resp or b"")
    return f"{code} {m.group(1).decode()}" if m else str(code)


def _why(e: Exception) -> str:
    """A failure in our words: smtplib's and the machine's own, the server's codes but not its text."""
    if isinstance(e, smtplib.SMTPResponseException):
        if e.smtp_code < 0:  # smtplib's code for a reply that is not SMTP at all
            return "the server did not answer as an SMTP server"
        return f"the server answered {_status(e.smtp_code, e.smtp_error)}"
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return "the server refused the recipients"
    if isinstance(e, OpenFyxerError):
        return e.message
    return str(e) or type(e).__name__


class _Pinned:
    """smtplib connecting to the address the outbound policy checked. smtplib keeps the name in
    `_host`, which implicit TLS and STARTTLS send as SNI and check the certificate against."""

    def __init__(self, target: outbound.Target, **kwargs):  # noqa: ANN003
        self._address = target.address  # before smtplib's __init__, which connects
        super().__init__(target.host, target.port, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return super()._get_socket(self._address, port, timeout)


class _PinnedSMTP(_Pinned, smtplib.SMTP):
    pass


class _PinnedSMTP_SSL(_Pinned, smtplib.SMTP_SSL):  # noqa: N801  (smtplib's name)
    pass


def _open(cfg: SmtpConfig) -> smtplib.SMTP:
    """Connect and sign in; failures here never deliver anything. Raises OutboundRefused when the
    server's outbound policy does not allow the server."""
    try:
        target = outbound.mail_target(cfg.host, cfg.port, cfg.security, protocol="SMTP")
        if cfg.security == "ssl":
            smtp = _PinnedSMTP_SSL(target, timeout=cfg.timeout, context=tls_context(cfg.ca_file))
        else:
            smtp = _PinnedSMTP(target, timeout=cfg.timeout)
            if cfg.security == "starttls":
                smtp.starttls(context=tls_context(cfg.ca_file))
        smtp.ehlo_or_helo_if_needed()
    except (OSError, smtplib.SMTPException, UnicodeError, ValueError, outbound.HostNotFound) as e:
        raise SmtpConnectError(f"cannot reach SMTP server {cfg.host}:{cfg.port} ({cfg.security}): {_why(e)}") from e
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
        raise SmtpConnectError(f"SMTP sign-in failed: {_why(e)}") from e
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
    except (SmtpAuthError, outbound.OutboundRefused) as e:
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
            raise SendFailed(_kind(code), f"sender refused: {_status(code, resp)}", code)
        for rcpt in rcpt_to:
            code, resp = smtp.rcpt(rcpt)
            if code not in (250, 251):
                smtp.rset()
                # All or nobody: a reply must not reach half of its recipients.
                raise SendFailed(_kind(code), f"recipient {rcpt} refused: {_status(code, resp)}", code)
        code, resp = smtp.docmd("DATA")
        if code != 354:
            raise SendFailed(_kind(code), f"DATA refused: {_status(code, resp)}", code)
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
            raise SendFailed(AMBIGUOUS, f"connection lost after the message was sent: {_why(e)}") from e
        raise SendFailed(TRANSIENT, f"connection lost during {phase}: {_why(e)}") from e
    except smtplib.SMTPException as e:
        raise SendFailed(TRANSIENT, f"SMTP error during {phase}: {_why(e)}") from e
    if code != 250:
        raise SendFailed(_kind(code), f"message refused: {_status(code, resp)}", code)
    return f"{code} {resp.decode(errors='replace')}"
