"""Raw RFC 822 bytes -> ParsedMessage: headers, readable bodies, attachments. No DB, no network.

The stdlib parser runs with policy.compat32 on purpose: policy.default turns every header into
an object (about 5x slower on the sync benchmark) and gives up on values compat32 keeps as
plain strings. Headers are decoded instead (RFC 2047 words, raw 8-bit bytes, unknown charsets)
where each bad value can fall back on its own rather than fail the message: text decoding in
mime_text, header fields in mime_headers, one leaf part's payload and file name in mime_parts.
This module keeps the public API, the walk over the MIME tree and the attachments it collects.
"""

from __future__ import annotations

import binascii
import email
import hashlib
import html as html_lib
import logging
from email import policy

from openfyxer.services.mail import mime_parts as parts
from openfyxer.services.mail.html_clean import clean_html, html_to_text, sanitize_html, tidy_text
from openfyxer.services.mail.mime_headers import Headers, fill_headers, normalise_message_id
from openfyxer.services.mail.mime_text import content_charset, decode_bytes, decode_html
from openfyxer.services.mail.parsed import ParsedAttachment, ParsedMessage

__all__ = ["ParsedAttachment", "ParsedMessage", "html_to_text", "normalise_message_id", "parse_message",
           "sanitize_html"]

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
_MAX_DEPTH = 20  # nested multiparts / forwards; deeper is an attack or a loop, not mail
_FORWARD_LINE = "---- Forwarded message ----"


def parse_message(raw: bytes, *, max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES) -> ParsedMessage:
    """Parse one raw message. Never raises: what could not be read is named in `parse_error`
    and the rest of the message is still returned.

    A leading mbox "From " line is tolerated. `message_id` is synthesised from the bytes when the
    header is missing or unusable, so the same message always gets the same id.
    """
    if isinstance(raw, str):  # a caller's mistake, but still a message worth reading
        raw = raw.encode("utf-8", "surrogateescape")
    raw = bytes(raw or b"")
    body = _strip_envelope(raw)
    out = ParsedMessage(message_id="", size=len(raw), headers_size=_headers_size(body))
    errors: list[str] = []
    try:
        _parse_into(out, body, errors, max_attachment_bytes)
    except Exception as e:  # noqa: BLE001 - e.g. RecursionError on absurd nesting
        log.warning("mime: message could not be parsed", exc_info=True)
        errors.append(f"unparseable: {type(e).__name__}")
        out.body_text = out.body_text or tidy_text(decode_bytes(body[out.headers_size:], None))
    if not out.message_id:
        out.message_id = f"<{hashlib.sha256(_canonical(body)).hexdigest()}@openfyxer.invalid>"
    out.thread_id = (out.references[0] if out.references else out.in_reply_to) or out.message_id
    out.parse_error = "; ".join(dict.fromkeys(errors))[:1000] or None
    return out


def _parse_into(out: ParsedMessage, body: bytes, errors: list[str], limit: int) -> None:
    msg = email.message_from_bytes(body, policy=policy.compat32)
    for name, step in (
        ("headers", lambda: fill_headers(out, msg)),
        ("bodies", lambda: _fill_bodies(out, msg, errors, limit)),
    ):
        try:
            step()
        except Exception as e:  # noqa: BLE001 - keep what the other step read
            log.warning("mime: reading %s failed", name, exc_info=True)
            errors.append(f"{name}: {type(e).__name__}: {e}"[:200])
    errors.extend(_defects(msg))


class _Walk:
    """State of one walk over the MIME tree: the attachments found and what went wrong."""

    def __init__(self, limit: int, errors: list[str]):
        self.limit = max(0, limit)
        self.errors = errors
        self.attachments: list[ParsedAttachment] = []


# A segment is one readable unit in reading order: (plain text or None, HTML or None).
Segment = tuple[str | None, str | None]


def _fill_bodies(out: ParsedMessage, msg, errors: list[str], limit: int) -> None:
    walk = _Walk(limit, errors)
    segments = _walk(msg, walk, 0)
    out.attachments = walk.attachments
    texts = [t if t is not None else html_to_text(h or "") for t, h in segments]
    out.body_text = "\n\n".join(t for t in texts if t)
    if any(h is not None for _, h in segments):
        # Plain-only segments (a list footer, a forwarded header) still belong in the HTML view.
        html = "\n".join(h if h is not None else f"<pre>{html_lib.escape(t)}</pre>" for t, h in segments if t or h)
        # Stored with remote images (still inert); the view blocks them until the user allows them.
        out.body_html, out.has_remote_images = clean_html(html, allow_remote_images=True)


def _walk(part, walk: _Walk, depth: int) -> list[Segment]:
    if depth > _MAX_DEPTH:
        walk.errors.append("MIME nesting too deep")
        return []
    ctype = parts.content_type(part)
    if ctype == "message/delivery-status":
        return []  # per-recipient bounce fields; the bounce's own text part explains them
    if part.is_multipart():
        children = part.get_payload()
        if ctype.startswith("message/"):
            inner = _reparse_encoded(part, children[0]) if children else None
            return [] if inner is None else [(_forward_header(inner), None), *_walk(inner, walk, depth + 1)]
        if ctype == "multipart/alternative":
            return _alternative(children, walk, depth)
        return [seg for child in children for seg in _walk(child, walk, depth + 1)]
    return _leaf(part, ctype, walk, top=depth == 0)


def _reparse_encoded(part, inner):
    """RFC 2046 forbids base64/QP on message/rfc822, some mailers use it anyway, and the parser
    then reads the encoded text as a headerless message: decode it and parse that instead."""
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    if cte not in ("base64", "quoted-printable") or inner.keys() or inner.is_multipart():
        return inner
    encoded = str(inner.get_payload()).encode("ascii", "ignore")
    try:
        data = binascii.a2b_base64(encoded) if cte == "base64" else binascii.a2b_qp(encoded)
    except binascii.Error:
        return inner
    reparsed = email.message_from_bytes(data, policy=policy.compat32)
    part.set_payload([reparsed])  # so the defect scan sees the real message, not the encoded text
    return reparsed


def _alternative(children, walk: _Walk, depth: int) -> list[Segment]:
    # Later alternatives are the richer ones (RFC 2046), so the last of each kind wins.
    text = html = None
    for child in children:
        segments = _walk(child, walk, depth + 1)
        t = [s[0] for s in segments if s[0] is not None]
        h = [s[1] for s in segments if s[1] is not None]
        if t and any(t):
            text = "\n\n".join(x for x in t if x)
        if h and any(x.strip() for x in h):
            html = "\n".join(h)
    return [(text, html)] if text is not None or html is not None else []


def _leaf(part, ctype: str, walk: _Walk, *, top: bool) -> list[Segment]:
    disposition = part.get_content_disposition()
    filename = parts.filename(part)
    payload = parts.payload(part, walk.errors)
    is_text = ctype in ("text/plain", "text/html") or ctype.startswith("multipart/")  # lost boundary
    # A named text part is a file, except when it is the whole message: then it is the body.
    if not is_text or disposition == "attachment" or (filename and not top):
        walk.attachments.append(_attachment(part, ctype, disposition, filename, payload, walk.limit))
        return []
    charset = content_charset(part)
    if ctype == "text/html":
        return [(None, decode_html(payload, charset))]
    text = decode_bytes(payload, charset, detect=True)
    if "begin " in text:
        text = _take_uuencoded(text, walk)
    return [(tidy_text(text), None)]


def _attachment(part, ctype, disposition, filename, payload: bytes, limit: int) -> ParsedAttachment:
    content_id = parts.content_id(part.get("content-id"))
    return _make_attachment(
        parts.safe_filename(filename, ctype), ctype, payload, limit, content_id=content_id,
        inline=disposition == "inline" or (disposition is None and content_id is not None),
    )


def _make_attachment(name: str, ctype: str, data: bytes, limit: int, *, content_id=None, inline=False):
    over = len(data) > limit
    return ParsedAttachment(
        filename=name, content_type=ctype, size=len(data), data=None if over else data, truncated=over,
        content_id=content_id, inline=inline, sha256=hashlib.sha256(data).hexdigest(),
    )


def _take_uuencoded(text: str, walk: _Walk) -> str:
    """Old mailers put files inline as uuencoded blocks; lift them out of the readable text."""
    def found(name: str, data: bytes | None) -> None:
        if data is None:
            walk.errors.append("uuencoded block could not be decoded")
        else:
            ctype = parts.guess_type(name)
            walk.attachments.append(_make_attachment(parts.safe_filename(name, ctype), ctype, data, walk.limit))

    return parts.extract_uuencoded(text, found)


def _forward_header(inner) -> str:
    h = Headers(inner)
    lines = [_FORWARD_LINE]
    for label in ("From", "Subject", "Date"):
        value = h.text(label.lower())
        if value:
            lines.append(f"{label}: {value}")
    return "\n".join(lines)


# ---- raw bytes -------------------------------------------------------------------------------

def _strip_envelope(raw: bytes) -> bytes:
    """Drop an mbox "From " envelope line (it carries delivery time, not message content)."""
    if raw.startswith(b"From "):
        nl = raw.find(b"\n")
        raw = raw[nl + 1:] if nl >= 0 else b""
    return raw.lstrip(b"\r\n")


def _headers_size(body: bytes) -> int:
    # The first line ending tells the style; searching for the other one would scan the body.
    first = body.find(b"\n")
    sep = b"\r\n\r\n" if first > 0 and body[first - 1] == 13 else b"\n\n"
    end = body.find(sep)
    return len(body) if end < 0 else end + len(sep)


def _canonical(body: bytes) -> bytes:
    # CRLF vs LF depends on how the message was fetched; the synthesised id must not.
    return body.replace(b"\r\n", b"\n")


# Serious enough to tell the user that what they see may be incomplete; the rest (stray header
# whitespace, a missing MIME-Version) is everyday mail and is read correctly anyway.
_SERIOUS_DEFECTS = {
    "NoBoundaryInMultipartDefect": "multipart without boundary",
    "StartBoundaryNotFoundDefect": "MIME boundary not found",
    "CloseBoundaryNotFoundDefect": "message truncated (closing MIME boundary missing)",
    "MultipartInvariantViolationDefect": "multipart without parts",
    "InvalidBase64PaddingDefect": "base64 payload truncated or damaged",
    "InvalidBase64CharactersDefect": "base64 payload damaged",
    "InvalidBase64LengthDefect": "base64 payload truncated or damaged",
    "MissingHeaderBodySeparatorDefect": "header block damaged",
}


def _defects(msg) -> list[str]:
    return [
        _SERIOUS_DEFECTS[type(d).__name__]
        for part in msg.walk()
        for d in getattr(part, "defects", ())
        if type(d).__name__ in _SERIOUS_DEFECTS
    ]
