"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import ipaddress
import re
import uuid
from datetime import UTC, datetime
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, WithJsonSchema

from sqlalchemy import JSON, DateTime, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

from openfyxer.security import crypto


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class UTCDateTime(TypeDecorator):
    """Always timezone-aware UTC out, whatever the backend stores (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # noqa: ANN001
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# A JSON document: JSONB on PostgreSQL (indexable), JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class EncryptedText(TypeDecorator):
    """A secret column: AES-256-GCM ciphertext at rest, plaintext in Python.

    `context` (table.column) is bound into the ciphertext so values cannot be swapped between
    columns; `openfyxer.services.keys.rotate` finds every column of this type to re-encrypt.
    """

    impl = Text
    cache_ok = True

    def __init__(self, context: str):
        super().__init__()
        self.context = context

    def process_bind_param(self, value, dialect):  # noqa: ANN001
        if value is None or value == "":
            return None
        return crypto.encrypt(value, self.context)

    def process_result_value(self, value, dialect):  # noqa: ANN001
        if value is None:
            return None
        return crypto.decrypt(value, self.context)


_DOMAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_ADDRESS = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})*$")


def check_address(value: str) -> str:
    """A syntactically valid address, lower-cased.

    Self-hosted mail lives on names like mail.lan, host.local or localhost, which
    email-validator refuses as special-use; those pass here when their syntax is plain.
    """
    value = value.strip()
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as e:
        if "special-use or reserved" in str(e) and len(value) <= 254 and _PLAIN_ADDRESS.match(value):
            return value.lower()
        raise ValueError(f"not a valid email address: {e}") from None


MailAddress = Annotated[str, AfterValidator(check_address), WithJsonSchema({"type": "string", "format": "email"})]


def one_line(value: str) -> str:
    """A header's text: a line break in it would end the header and start another (a subject with
    one wedged its draft in `sending`)."""
    if any(c in value for c in "\r\n\x00"):
        raise ValueError("a line break or NUL is not allowed here")
    return value


HeaderText = Annotated[str, AfterValidator(one_line)]


_HOST = re.compile(rf"^(?=.{{1,253}}$){_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})*\.?$")


def check_host(value: str) -> str:
    """A host name (IDN allowed) or an IP address, as a socket can be opened to it."""
    value = value.strip()
    try:
        ipaddress.ip_address(value.strip("[]"))
        return value.strip("[]")
    except ValueError:
        pass
    try:
        ascii_name = value.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("not a valid host name") from None
    if not _HOST.match(ascii_name):
        raise ValueError("not a valid host name")
    return value.lower()


HostName = Annotated[str, AfterValidator(check_host), WithJsonSchema({"type": "string", "format": "hostname"})]
