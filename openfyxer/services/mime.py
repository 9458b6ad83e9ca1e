"""Raw RFC 822 bytes -> ParsedMessage: headers, readable bodies, attachments. No DB, no network.

The stdlib parser runs with policy.compat32 on purpose: policy.default turns every header into
an object (about 5x slower on the sync benchmark) and gives up on values compat32 keeps as
plain strings. Headers are decoded here instead (RFC 2047 words, raw 8-bit bytes, unknown
charsets), where each bad value can fall back on its own rather than fail the message.
"""

from __future__ import annotations

import binascii
import codecs
import email
import email.message
import functools
import hashlib
import html as html_lib
import inspect
import logging
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import policy
from email.utils import getaddresses, parsedate_tz

from openfyxer.services.html_clean import clean_html, html_to_text, sanitize_html, tidy_text

__all__ = ["ParsedAttachment", "ParsedMessage", "html_to_text", "normalise_message_id", "parse_message",
           "sanitize_html"]

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
_MAX_DEPTH = 20  # nested multiparts / forwards; deeper is an attack or a loop, not mail
_FORWARD_LINE = "---- Forwarded message ----"
_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


@dataclass(slots=True)
class ParsedAttachment:
    filename: str  # decoded, without path parts, safe for a file system, never empty
    content_type: str
    size: int  # bytes of the decoded payload
    data: bytes | None  # None when larger than max_attachment_bytes (then truncated=True)
    truncated: bool
    content_id: str | None  # without angle brackets, as `cid:` URLs in the HTML refer to it
    inline: bool
    sha256: str


@dataclass(slots=True)
class ParsedMessage:
    message_id: str
    subject: str = ""
    sender: str = ""
    sender_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    date: datetime | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    thread_id: str = ""
    body_text: str = ""
    body_html: str | None = None
    has_remote_images: bool = False
    attachments: list[ParsedAttachment] = field(default_factory=list)
    list_unsubscribe: str | None = None
    list_id: str | None = None
    precedence: str | None = None
    auto_submitted: str | None = None
    headers_size: int = 0
    size: int = 0
    parse_error: str | None = None


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
        out.body_text = out.body_text or tidy_text(_decode_bytes(body[out.headers_size:], None))
    if not out.message_id:
        out.message_id = f"<{hashlib.sha256(_canonical(body)).hexdigest()}@openfyxer.invalid>"
    out.thread_id = (out.references[0] if out.references else out.in_reply_to) or out.message_id
    out.parse_error = "; ".join(dict.fromkeys(errors))[:1000] or None
    return out


def _parse_into(out: ParsedMessage, body: bytes, errors: list[str], limit: int) -> None:
    msg = email.message_from_bytes(body, policy=policy.compat32)
    for name, step in (
        ("headers", lambda: _fill_headers(out, msg)),
        ("bodies", lambda: _fill_bodies(out, msg, errors, limit)),
    ):
        try:
            step()
        except Exception as e:  # noqa: BLE001 - keep what the other step read
            log.warning("mime: reading %s failed", name, exc_info=True)
            errors.append(f"{name}: {type(e).__name__}: {e}"[:200])
    errors.extend(_defects(msg))


def _fill_headers(out: ParsedMessage, msg) -> None:
    h = _Headers(msg)
    out.message_id = normalise_message_id(h.raw("message-id")) or ""
    out.subject = h.text("subject")
    sender = h.addresses("from") or h.addresses("sender")
    if sender:
        out.sender_name, out.sender = sender[0]
        if out.sender_name.lower() == out.sender:
            out.sender_name = ""
    else:  # "From: Mail Delivery System" - no address, but still who it is from
        out.sender_name = re.sub(r"<[^>]*>", "", h.text("from")).strip(" \"'")
    out.to = _bare(h.addresses("to"))
    out.cc = _bare(h.addresses("cc"))
    out.reply_to = _bare(h.addresses("reply-to"))
    out.date = _parse_date(h.raw("date"))
    out.in_reply_to = normalise_message_id(h.raw("in-reply-to"))
    out.references = _message_ids(h.raw("references"))
    out.list_unsubscribe = h.text("list-unsubscribe") or None
    out.list_id = h.text("list-id") or None
    out.precedence = h.text("precedence").lower() or None
    out.auto_submitted = h.text("auto-submitted").lower() or None


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
    ctype = _content_type(part)
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


def _content_type(part) -> str:
    # compat32 accepts "text/plain charset=us-ascii" (a missing ";") as the type itself.
    ctype = part.get_content_type().split(None, 1)[0].split(";", 1)[0]
    return ctype if _MIME_TYPE.fullmatch(ctype) else "application/octet-stream"


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
    filename = _filename(part)
    payload = _payload(part, walk)
    is_text = ctype in ("text/plain", "text/html") or ctype.startswith("multipart/")  # lost boundary
    # A named text part is a file, except when it is the whole message: then it is the body.
    if not is_text or disposition == "attachment" or (filename and not top):
        walk.attachments.append(_attachment(part, ctype, disposition, filename, payload, walk.limit))
        return []
    charset = _content_charset(part)
    if ctype == "text/html":
        return [(None, _decode_html(payload, charset))]
    text = _decode_bytes(payload, charset, detect=True)
    if "begin " in text:
        text = _take_uuencoded(text, walk)
    return [(tidy_text(text), None)]


def _payload(part, walk: _Walk) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception as e:  # noqa: BLE001 - a broken transfer encoding: keep the raw text
        walk.errors.append(f"payload: {type(e).__name__}")
        payload = str(part.get_payload()).encode("utf-8", "surrogateescape")
    if any(type(d).__name__ == "InvalidBase64LengthDefect" for d in part.defects):
        payload = _base64_prefix(part.get_payload())
    return payload if isinstance(payload, bytes) else b""


def _base64_prefix(text) -> bytes:
    # The stdlib hands back the undecoded text when base64 was cut mid-quantum (a truncated
    # download); the complete quanta before the cut are still the start of the file.
    data = "".join(str(text).split()).encode("ascii", "ignore")
    try:
        return binascii.a2b_base64(data[: len(data) - len(data) % 4])
    except binascii.Error:
        return b""


def _attachment(part, ctype, disposition, filename, payload: bytes, limit: int) -> ParsedAttachment:
    content_id = _content_id(part.get("content-id"))
    return _make_attachment(
        _safe_filename(filename, ctype), ctype, payload, limit, content_id=content_id,
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
            ctype = _guess_type(name)
            walk.attachments.append(_make_attachment(_safe_filename(name, ctype), ctype, data, walk.limit))

    return _extract_uuencoded(text, found)


def _forward_header(inner) -> str:
    h = _Headers(inner)
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


# ---- charsets --------------------------------------------------------------------------------

# Labels mail software uses for a superset, or spells in ways Python does not know. ISO-8859-1
# is read as windows-1252 like browsers do: mislabelled "smart quotes" are the common case.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "iso-8859-9": "cp1254", "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
    "gb_2312-80": "gb18030", "euc-cn": "gb18030", "shift_jis": "cp932", "shift-jis": "cp932",
    "sjis": "cp932", "x-sjis": "cp932", "windows-31j": "cp932", "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949", "euc-kr": "cp949", "big5": "big5hkscs", "tis-620": "cp874",
    "iso-8859-11": "cp874", "iso-8859-8-i": "iso-8859-8", "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman", "unicode-1-1-utf-7": "utf-7",
}
# Codecs whose ASCII-looking bytes do not mean ASCII text.
_NOT_ASCII_COMPATIBLE = ("utf_16", "utf_32", "utf_7", "iso2022", "hz")


@functools.lru_cache(maxsize=256)
def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    try:
        info = codecs.lookup(_CHARSET_ALIASES.get(name, name))
    except Exception:  # noqa: BLE001 - LookupError, or junk that is not even a name
        return None
    # base64, zlib, rot13... are codecs too, but not text encodings.
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _decode_bytes(data: bytes, charset: str | None, *, detect: bool = False) -> str:
    """Text for `data`: the declared charset, else UTF-8, else (with `detect`, for bodies) a
    detected charset, else windows-1252, with replacement characters as the last resort."""
    if not data:
        return ""
    codec = _codec(charset)
    if data.isascii() and not (codec or "").startswith(_NOT_ASCII_COMPATIBLE):
        return data.decode("ascii").replace("\x00", "")
    for candidate in (codec, "utf-8"):
        if candidate:
            try:
                return data.decode(candidate).replace("\x00", "")
            except UnicodeDecodeError:
                pass
    fallback = "cp1252" if codec in (None, "utf-8", "ascii") else codec
    if detect and _mostly_8bit(data):
        fallback = _detect(data) or fallback
    return data.decode(fallback, "replace").replace("\x00", "")  # PostgreSQL text cannot hold NUL


def _mostly_8bit(data: bytes) -> bool:
    # Detectors misread English with a stray £ or ’ as Baltic or Central European (seen on
    # the corpus: £ -> Ł, nbsp -> Ā), where windows-1252 is right. Scripts that really need
    # detection (Cyrillic, Greek, CJK...) are dense in 8-bit bytes.
    sample = data[:4096]
    return len(sample) >= 32 and len(sample) - len(sample.decode("ascii", "ignore")) >= len(sample) // 10


def _detect(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes  # lazy: needed only for unlabelled mail
    except ImportError:
        return None
    try:
        best = from_bytes(data[:65536]).best()  # a sample decides; the cost stays bounded
    except Exception:  # noqa: BLE001 - detection is a guess; a failed guess is no guess
        return None
    return None if best is None else _codec(best.encoding)


_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([-\w:.]{1,40})""", re.I)


def _decode_html(data: bytes, charset: str | None) -> str:
    if not charset:  # many HTML parts declare their charset only in a <meta> tag
        m = _META_CHARSET.search(data, 0, 4096)
        charset = m.group(1).decode("ascii") if m else None
    return _decode_bytes(data, charset, detect=True)


def _content_charset(part) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:  # noqa: BLE001 - a malformed RFC 2231 parameter
        return None


# ---- header values ---------------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _decode_words(text: str) -> str:
    """Decode RFC 2047 encoded-words anywhere in `text` (also inside quotes, as mailers do).

    Adjacent words of one charset are joined as bytes before decoding: some mailers split a
    multi-byte character across two words. A word that cannot be decoded is left as written.
    """
    if "=?" not in text:
        return text
    out: list[str] = []
    run: list = [None, b""]  # charset, bytes of the current run of adjacent words
    pos = 0
    for m in _ENCODED_WORD.finditer(text):
        between = text[pos:m.start()]
        data = _word_bytes(m.group(2), m.group(3))
        charset = m.group(1).split("*", 1)[0]  # RFC 2231 language suffix
        if data is None:
            _flush(run, out)
            out.append(between + m.group(0))
        elif run[0] is not None and not between.strip():  # whitespace between words is not text
            if charset.lower() == run[0].lower():
                run[1] += data
            else:
                _flush(run, out)
                run[0], run[1] = charset, data
        else:
            _flush(run, out)
            out.append(between)
            run[0], run[1] = charset, data
        pos = m.end()
    _flush(run, out)
    out.append(text[pos:])
    return "".join(out)


def _flush(run: list, out: list[str]) -> None:
    if run[0] is not None:
        out.append(_decode_bytes(run[1], run[0]))
        run[0], run[1] = None, b""


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding in "bB":
            payload = payload.rstrip("=")
            payload = payload[:-1] if len(payload) % 4 == 1 else payload  # one stray character
            return binascii.a2b_base64(payload + "=" * (-len(payload) % 4))
        return binascii.a2b_qp(payload.encode("ascii"), header=True)
    except (binascii.Error, ValueError, UnicodeError):
        return None


def _clean_text(value: str) -> str:
    """One line of display text: whitespace folded, control characters gone."""
    return _CONTROLS.sub("", " ".join(value.split()))


_GETADDRESSES_KW = {"strict": False} if "strict" in inspect.signature(getaddresses).parameters else {}
_BARE_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*")


class _Headers:
    """One part's header values, decoded on demand (most headers are never looked at)."""

    def __init__(self, msg):
        self._msg = msg
        self._values: dict[str, list[str]] = {}
        self._hint: str | None | bool = False  # False: not looked up yet
        for name, value in msg.raw_items():
            self._values.setdefault(name.lower(), []).append(str(value))

    def raw(self, name: str) -> str | None:
        """The first value, unfolded and turned into text, encoded-words left as written."""
        values = self._values.get(name)
        return self._unicode(values[0]) if values else None

    def text(self, name: str) -> str:
        value = self.raw(name)
        return _clean_text(_decode_words(value)) if value else ""

    def addresses(self, name: str) -> list[tuple[str, str]]:
        """(display name, lower-cased address) pairs from every instance of the header."""
        values = [self._unicode(v) for v in self._values.get(name, ())]
        if not values:
            return []
        found = []
        for display, address in _simple_addresses(values) or getaddresses(values, **_GETADDRESSES_KW):
            address = "".join(address.split()).strip("<>").lower()
            if "@" in address:
                found.append((_clean_text(_decode_words(display)).strip("\"' "), address))
        if not found:  # unparseable as a list; still worth finding whatever addresses are in it
            found = [("", a.lower()) for v in values for a in _BARE_ADDRESS.findall(v)]
        return found

    def _unicode(self, value: str) -> str:
        value = value.replace("\r", "").replace("\n", "")
        if value.isascii():
            return value
        # 8-bit header bytes arrive as surrogate escapes. UTF-8 is the usual meaning; otherwise
        # the sender most likely used the charset of its body text.
        data = value.encode("utf-8", "surrogateescape")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return _decode_bytes(data, self._charset_hint())

    def _charset_hint(self) -> str | None:
        if self._hint is False:
            self._hint = next((c for p in self._msg.walk() if (c := _content_charset(p))), None)
        return self._hint or None


_SIMPLE_ITEM = re.compile(r"\s*(?:([^<>]*?)\s*<([^<>\s]*)>|([^<>\s]+))\s*")
_SPECIALS = re.compile(r'["()\\;:]')


def _simple_addresses(values: list[str]) -> list[tuple[str, str]] | None:
    """The common `Name <a@b>, c@d` lists, without the stdlib's character-by-character parser
    (the slowest step of header parsing). None: quoting, comments or groups - let it decide."""
    pairs = []
    for value in values:
        if _SPECIALS.search(value):
            return None
        for item in value.split(","):
            if not item.strip():
                continue
            m = _SIMPLE_ITEM.fullmatch(item)
            if m is None:
                return None
            pairs.append((m.group(1) or "", m.group(2) if m.group(3) is None else m.group(3)))
    return pairs


def _bare(pairs: list[tuple[str, str]]) -> list[str]:
    return list(dict.fromkeys(address for _, address in pairs))


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        t = parsedate_tz(value)
        if t is None:
            return None
        local = datetime(*t[:5], min(t[5], 59), tzinfo=timezone(timedelta(seconds=t[9] or 0)))
        return local.astimezone(timezone.utc)
    except (ValueError, OverflowError, TypeError, IndexError):  # out-of-range fields, odd zones
        return None


_BRACKETED = re.compile(r"<([^<>]*)>")


def normalise_message_id(value: str | None) -> str | None:
    """`<id>` from a Message-ID / In-Reply-To value (first bracketed id, folding removed), or
    a bare `id@host`; None when the value holds nothing usable as an id."""
    if not value:
        return None
    value = str(value)
    candidates = ["".join(c.split()) for c in _BRACKETED.findall(value)]
    if not candidates:
        bare_id = value.strip()
        candidates = [bare_id] if "@" in bare_id and not any(c.isspace() for c in bare_id) else []
    for core in candidates:
        if core and len(core) <= 995 and core.isprintable():
            return f"<{core}>"
    return None


def _message_ids(value: str | None) -> list[str]:
    """Every id of a References header, in order, without duplicates."""
    if not value:
        return []
    tokens = _BRACKETED.findall(value) or [t for t in value.split() if "@" in t]
    ids = (normalise_message_id(f"<{t}>") for t in tokens)
    return list(dict.fromkeys(i for i in ids if i))


# ---- attachments -----------------------------------------------------------------------------

_UNSAFE_IN_FILENAME = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


def _filename(part) -> str:
    items = [(k, v) for k, v in part.raw_items() if k.lower() in ("content-disposition", "content-type")]
    # Both `filename=` and `name=` contain "name"; most body parts have neither, and the
    # stdlib's parameter parsing is costly enough to skip when there is nothing to find.
    if not any("name" in str(v).lower() for _, v in items):
        return ""
    if not all(str(v).isascii() for _, v in items):
        # Raw 8-bit names: compat32 would turn every such byte into U+FFFD, so the parameters
        # are parsed from the decoded header text instead.
        decoder, part = _Headers(part), email.message.Message()
        for k, v in items:
            part[k] = decoder._unicode(str(v))
    try:
        name = part.get_filename()  # RFC 2231 parameters are joined and decoded here
    except Exception:  # noqa: BLE001 - malformed parameters; the part stays, nameless
        return ""
    return _decode_words(str(name)) if name else ""


def _safe_filename(name: str, content_type: str) -> str:
    """A name any file system accepts: no directories, no reserved or control characters,
    at most 200 UTF-8 bytes with the extension kept; derived from the type when empty."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(_UNSAFE_IN_FILENAME.sub("_", name).split()).strip(" .")
    if name.split(".", 1)[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    if len(name.encode()) > 200:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:20] if dot else ""
        stem = (stem if dot else name).encode()[: 200 - len(ext.encode()) - 1].decode("utf-8", "ignore")
        name = f"{stem}.{ext}" if ext else stem
    return name or "attachment" + (mimetypes.guess_extension(content_type) or ".bin")


def _guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _content_id(value) -> str | None:
    if not value:
        return None
    return "".join(str(value).split()).strip("<>") or None


_UU_BLOCK = re.compile(r"^begin [0-7]{3,4} ([^\n]+)\n(.*?)^end[ \t]*$\n?", re.M | re.S)


def _extract_uuencoded(text: str, found) -> str:
    """Remove each uuencoded block from `text`, passing (file name, bytes or None) to `found`;
    a block that does not decode stays in the text."""
    def lift(m: re.Match) -> str:
        data = _uudecode(m.group(2))
        found(m.group(1).strip(), data)
        return m.group(0) if data is None else ""

    return _UU_BLOCK.sub(lift, text)


def _uudecode(block: str) -> bytes | None:
    out = bytearray()
    for line in block.splitlines():
        if not line.strip() or line == "`":
            continue
        try:
            out += binascii.a2b_uu(line)
        except (binascii.Error, ValueError):
            # Some encoders pad lines wrongly; the length byte says how much is real.
            try:
                out += binascii.a2b_uu(line[: (((ord(line[0]) - 32) & 63) * 4 + 5) // 3])
            except (binascii.Error, ValueError):
                return None
    return bytes(out)
