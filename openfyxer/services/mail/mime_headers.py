"""Header values -> fields: addresses, dates, Message-IDs and the ids that thread a message.

compat32 hands headers over as raw strings (see mime.py for why); they are decoded here, lazily
and one value at a time, so a bad value falls back on its own instead of failing the message.
"""

from __future__ import annotations

import inspect
import re
from datetime import datetime, timedelta, timezone
from email.utils import getaddresses, parsedate_tz

from openfyxer.services.mail.mime_text import clean_text, content_charset, decode_bytes, decode_words
from openfyxer.services.mail.parsed import ParsedMessage

_GETADDRESSES_KW = {"strict": False} if "strict" in inspect.signature(getaddresses).parameters else {}
_BARE_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*")


def fill_headers(out: ParsedMessage, msg) -> None:
    """Copy the headers the product uses from `msg` into `out`, decoded and normalised."""
    h = Headers(msg)
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
    out.date, out.date_offset_minutes = _parse_date(h.raw("date"))
    out.in_reply_to = normalise_message_id(h.raw("in-reply-to"))
    out.references = _message_ids(h.raw("references"))
    out.list_unsubscribe = h.text("list-unsubscribe") or None
    out.list_unsubscribe_one_click = "list-unsubscribe=one-click" in h.text("list-unsubscribe-post").lower()
    out.list_id = h.text("list-id") or None
    out.precedence = h.text("precedence").lower() or None
    out.auto_submitted = h.text("auto-submitted").lower() or None


class Headers:
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
        return self.to_text(values[0]) if values else None

    def text(self, name: str) -> str:
        value = self.raw(name)
        return clean_text(decode_words(value)) if value else ""

    def addresses(self, name: str) -> list[tuple[str, str]]:
        """(display name, lower-cased address) pairs from every instance of the header."""
        values = [self.to_text(v) for v in self._values.get(name, ())]
        if not values:
            return []
        found = []
        for display, address in _simple_addresses(values) or getaddresses(values, **_GETADDRESSES_KW):
            address = "".join(address.split()).strip("<>").lower()
            if "@" in address:
                found.append((clean_text(decode_words(display)).strip("\"' "), address))
        if not found:  # unparseable as a list; still worth finding whatever addresses are in it
            found = [("", a.lower()) for v in values for a in _BARE_ADDRESS.findall(v)]
        return found

    def to_text(self, value: str) -> str:
        """A raw value of this part's headers, unfolded, with 8-bit bytes decoded."""
        value = value.replace("\r", "").replace("\n", "")
        if value.isascii():
            return value
        # 8-bit header bytes arrive as surrogate escapes. UTF-8 is the usual meaning; otherwise
        # the sender most likely used the charset of its body text.
        data = value.encode("utf-8", "surrogateescape")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return decode_bytes(data, self._charset_hint())

    def _charset_hint(self) -> str | None:
        if self._hint is False:
            self._hint = next((c for p in self._msg.walk() if (c := content_charset(p))), None)
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


def _parse_date(value: str | None) -> tuple[datetime | None, int | None]:
    """(the instant in UTC, the sender's UTC offset in minutes); an offset only when the header gave one
    a clock can have (RFC 5322's "-0000" means "unknown", and so does an absurd one)."""
    if not value:
        return None, None
    try:
        t = parsedate_tz(value)
        if t is None:
            return None, None
        local = datetime(*t[:5], min(t[5], 59), tzinfo=timezone(timedelta(seconds=t[9] or 0)))
        offset = t[9] // 60 if t[9] is not None and abs(t[9]) <= 14 * 3600 and "-0000" not in value else None
        return local.astimezone(timezone.utc), offset
    except (ValueError, OverflowError, TypeError, IndexError):  # out-of-range fields, odd zones
        return None, None


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
