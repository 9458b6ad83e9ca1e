"""Connected mailboxes and the folders synced from them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field as PField, HttpUrl
from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from openfyxer.models.types import HostName, MailAddress, EncryptedText, UTCDateTime, new_id, utcnow

PROVIDERS = ("gmail", "outlook", "exchange", "yahoo", "imap")
Security = Literal["ssl", "starttls", "none"]


class EmailAccount(SQLModel, table=True):
    __tablename__ = "email_accounts"
    __table_args__ = (UniqueConstraint("user_id", "email_address", name="uq_email_accounts_user_address"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    provider: str = Field(sa_column=Column(String(50), nullable=False))
    email_address: str = Field(max_length=255)
    display_name: str | None = Field(default=None, max_length=255)
    username: str | None = Field(default=None, max_length=255)
    imap_host: str | None = Field(default=None, max_length=255)
    imap_port: int | None = None
    imap_security: str | None = Field(default=None, max_length=10)
    smtp_host: str | None = Field(default=None, max_length=255)
    smtp_port: int | None = None
    smtp_security: str | None = Field(default=None, max_length=10)
    ews_url: str | None = Field(default=None, max_length=500)
    # Gmail and Outlook file a copy of sent mail themselves; for the rest we append it to Sent.
    smtp_saves_sent: bool = False
    oauth_token: str | None = Field(default=None, sa_type=EncryptedText("email_accounts.oauth_token"))
    oauth_refresh_token: str | None = Field(default=None, sa_type=EncryptedText("email_accounts.oauth_refresh_token"))
    oauth_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    imap_password: str | None = Field(default=None, sa_type=EncryptedText("email_accounts.imap_password"))
    last_sync: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sync_state: str = Field(default="idle", max_length=20)
    sync_done: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    sync_total: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    sync_error: str | None = Field(default=None, sa_type=Text)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MailFolder(SQLModel, table=True):
    """Where each synced folder stands: the UIDVALIDITY, the last UID seen and the last MODSEQ."""

    __tablename__ = "mail_folders"
    __table_args__ = (UniqueConstraint("account_id", "name", name="uq_mail_folders_account_name"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    account_id: uuid.UUID = Field(sa_column=Column(ForeignKey("email_accounts.id", ondelete="CASCADE"), nullable=False))
    name: str = Field(max_length=500)
    role: str = Field(default="other", max_length=20)  # inbox, sent, archive, junk, trash
    uidvalidity: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_uid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    highest_modseq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # Providers that sync by token instead of UIDs (Exchange's SyncFolderItems state).
    sync_token: str | None = Field(default=None, sa_type=Text)
    last_synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- API shapes -------------------------------------------------------------------------------


class AccountCreate(BaseModel):
    """An IMAP account (Yahoo and others are presets that fill in hosts and ports)."""

    model_config = ConfigDict(extra="forbid")
    provider: Literal["imap", "yahoo", "icloud", "fastmail", "gmx", "zoho", "exchange"] = "imap"
    email_address: MailAddress
    username: str | None = PField(None, min_length=1, max_length=255)
    password: str = PField(min_length=1, max_length=1024)
    display_name: str | None = PField(None, max_length=255)
    imap_host: HostName | None = None
    imap_port: int | None = PField(None, ge=1, le=65535)
    imap_security: Security | None = None
    smtp_host: HostName | None = None
    smtp_port: int | None = PField(None, ge=1, le=65535)
    smtp_security: Security | None = None
    smtp_saves_sent: bool | None = None
    # Exchange (EWS) only: e.g. https://mail.example.com/EWS/Exchange.asmx
    ews_url: HttpUrl | None = None


class AccountPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    provider: str
    email_address: str
    display_name: str | None
    imap_host: str | None
    smtp_host: str | None
    is_active: bool
    last_sync: datetime | None
    sync_state: str
    sync_done: int
    sync_total: int
    sync_error: str | None
    created_at: datetime


class SyncProgress(BaseModel):
    account_id: uuid.UUID
    state: str
    done: int
    total: int
    error: str | None
    last_sync: datetime | None
    job_id: str | None = None
