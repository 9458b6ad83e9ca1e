"""What parsing a message gives: plain data, kept apart from the parser so the modules that fill
it in (mime, mime_headers, mime_parts) import it without importing each other in a circle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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
    date_offset_minutes: int | None = None  # the Date header's UTC offset: the sender's clock
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    thread_id: str = ""
    body_text: str = ""
    body_html: str | None = None
    has_remote_images: bool = False
    attachments: list[ParsedAttachment] = field(default_factory=list)
    list_unsubscribe: str | None = None
    list_unsubscribe_one_click: bool = False  # List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058)
    list_id: str | None = None
    precedence: str | None = None
    auto_submitted: str | None = None
    headers_size: int = 0
    size: int = 0
    parse_error: str | None = None
