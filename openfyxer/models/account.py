"""Connected mailboxes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from openfyxer.models.types import EncryptedText, UTCDateTime, new_id, utcnow

PROVIDERS = ("gmail", "outlook", "exchange", "yahoo", "imap")


class EmailAccount(SQLModel, table=True):
    __tablename__ = "email_accounts"
    __table_args__ = (UniqueConstraint("user_id", "email_address", name="uq_email_accounts_user_address"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    provider: str = Field(sa_column=Column(String(50), nullable=False))
    email_address: str = Field(max_length=255)
    oauth_token: str | None = Field(default=None, sa_type=EncryptedText("email_accounts.oauth_token"))
    oauth_refresh_token: str | None = Field(default=None, sa_type=EncryptedText("email_accounts.oauth_refresh_token"))
    imap_password: str | None = Field(default=None, sa_type=EncryptedText("email_accounts.imap_password"))
    last_sync: datetime | None = Field(default=None, sa_type=UTCDateTime)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
