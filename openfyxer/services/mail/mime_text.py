"""Bytes and header words -> text: charset labels, decoding with fallbacks, RFC 2047 words.

Kept apart from the MIME walk because headers, bodies and file names all need it, and every
fallback here exists for a kind of mail seen in the wild, not for a case of the standard.
"""

from __future__ import annotations

import binascii
import codecs
import functools
import re

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
def codec(charset: str | None) -> str | None:
    """Python's codec name for a mail charset label; None when unknown or not a text encoding."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    try:
        info = codecs.lookup(_CHARSET_ALIASES.get(name, name))
    except Exception:  # noqa: BLE001 - LookupError, or junk that is not even a name
        return None
    # base64, zlib, rot13... are codecs too, but not text encodings.
    return info.name if getattr(info, "_is_text_encoding", True) else None


def decode_bytes(data: bytes, charset: str | None, *, detect: bool = False) -> str:
    """Text for `data`: the declared charset, else UTF-8, else (with `detect`, for bodies) a
    detected charset, else windows-1252, with replacement characters as the last resort."""
    if not data:
        return ""
    name = codec(charset)
    if data.isascii() and not (name or "").startswith(_NOT_ASCII_COMPATIBLE):
        return data.decode("ascii").replace("\x00", "")
    for candidate in (name, "utf-8"):
        if candidate:
            try:
                return data.decode(candidate).replace("\x00", "")
            except UnicodeDecodeError:
                pass
    fallback = "cp1252" if name in (None, "utf-8", "ascii") else name
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
    return None if best is None else codec(best.encoding)


_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([-\w:.]{1,40})""", re.I)


def decode_html(data: bytes, charset: str | None) -> str:
    """Text of an HTML part, falling back on the charset its <meta> tag declares."""
    if not charset:  # many HTML parts declare their charset only in a <meta> tag
        m = _META_CHARSET.search(data, 0, 4096)
        charset = m.group(1).decode("ascii") if m else None
    return decode_bytes(data, charset, detect=True)


def content_charset(part) -> str | None:
    """The part's declared charset, or None when it has none or the parameter is malformed."""
    try:
        return part.get_content_charset()
    except Exception:  # noqa: BLE001 - a malformed RFC 2231 parameter
        return None


# ---- header words ----------------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_words(text: str) -> str:
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
        out.append(decode_bytes(run[1], run[0]))
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


def clean_text(value: str) -> str:
    """One line of display text: whitespace folded, control characters gone."""
    return _CONTROLS.sub("", " ".join(value.split()))
