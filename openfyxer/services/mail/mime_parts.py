"""One MIME leaf part: its type, its payload bytes, and what an attachment made of it is called.

Split from the tree walk in mime.py: these are the places where broken or hostile input (cut
base64, 8-bit or path-laden file names, uuencoded blocks) is repaired or made safe.
"""

from __future__ import annotations

import binascii
import email.message
import mimetypes
import re
import unicodedata

from openfyxer.services.mail.mime_headers import Headers
from openfyxer.services.mail.mime_text import decode_words

_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


def content_type(part) -> str:
    """The part's lower-case type/subtype, application/octet-stream when unreadable."""
    # compat32 accepts "text/plain charset=us-ascii" (a missing ";") as the type itself.
    ctype = part.get_content_type().split(None, 1)[0].split(";", 1)[0]
    return ctype if _MIME_TYPE.fullmatch(ctype) else "application/octet-stream"


def payload(part, errors: list[str]) -> bytes:
    """The decoded payload; what could not be decoded is named in `errors`."""
    try:
        data = part.get_payload(decode=True)
    except Exception as e:  # noqa: BLE001 - a broken transfer encoding: keep the raw text
        errors.append(f"payload: {type(e).__name__}")
        data = str(part.get_payload()).encode("utf-8", "surrogateescape")
    if any(type(d).__name__ == "InvalidBase64LengthDefect" for d in part.defects):
        data = _base64_prefix(part.get_payload())
    return data if isinstance(data, bytes) else b""


def _base64_prefix(text) -> bytes:
    # The stdlib hands back the undecoded text when base64 was cut mid-quantum (a truncated
    # download); the complete quanta before the cut are still the start of the file.
    data = "".join(str(text).split()).encode("ascii", "ignore")
    try:
        return binascii.a2b_base64(data[: len(data) - len(data) % 4])
    except binascii.Error:
        return b""


_UNSAFE_IN_FILENAME = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


def filename(part) -> str:
    """The part's file name as the sender wrote it, decoded; "" when it has none."""
    items = [(k, v) for k, v in part.raw_items() if k.lower() in ("content-disposition", "content-type")]
    # Both `filename=` and `name=` contain "name"; most body parts have neither, and the
    # stdlib's parameter parsing is costly enough to skip when there is nothing to find.
    if not any("name" in str(v).lower() for _, v in items):
        return ""
    if not all(str(v).isascii() for _, v in items):
        # Raw 8-bit names: compat32 would turn every such byte into U+FFFD, so the parameters
        # are parsed from the decoded header text instead.
        decoder, part = Headers(part), email.message.Message()
        for k, v in items:
            part[k] = decoder.to_text(str(v))
    try:
        name = part.get_filename()  # RFC 2231 parameters are joined and decoded here
    except Exception:  # noqa: BLE001 - malformed parameters; the part stays, nameless
        return ""
    return decode_words(str(name)) if name else ""


def safe_filename(name: str, content_type: str) -> str:
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


def guess_type(name: str) -> str:
    """A content type from a file name's extension, application/octet-stream when unknown."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def content_id(value) -> str | None:
    """A Content-ID without angle brackets or folding, as `cid:` URLs refer to it."""
    if not value:
        return None
    return "".join(str(value).split()).strip("<>") or None


_UU_BLOCK = re.compile(r"^begin [0-7]{3,4} ([^\n]+)\n(.*?)^end[ \t]*$\n?", re.M | re.S)


def extract_uuencoded(text: str, found) -> str:
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
