"""A started OAuth authorization: the PKCE verifier waits here for the provider's callback."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field as PField
from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from openfyxer.models.types import HostName, MailAddress, EncryptedText, JSONType, UTCDateTime, new_id, utcnow


class OAuthFlow(SQLModel, table=True):
    __tablename__ = "oauth_flows"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    state: str = Field(sa_column=Column(String(128), unique=True, nullable=False))
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    provider: str = Field(max_length=20)
    code_verifier: str = Field(sa_type=EncryptedText("oauth_flows.code_verifier"))
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    # SHA-256 of the nonce cookie given to the browser that started the flow: the callback must
    # come from that browser, not from someone the provider's link was forwarded to.
    browser_nonce_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OAuthStart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email_address: MailAddress
    # Only for the custom provider (a self-hosted OAuth server in front of your own IMAP/SMTP).
    imap_host: HostName | None = None
    imap_port: int | None = PField(None, ge=1, le=65535)
    imap_security: Literal["ssl", "starttls", "none"] | None = None
    smtp_host: HostName | None = None
    smtp_port: int | None = PField(None, ge=1, le=65535)
    smtp_security: Literal["ssl", "starttls", "none"] | None = None


class OAuthStartOut(BaseModel):
    authorization_url: str
    state: str
