"""Users and what authentication needs: sessions (refresh-token families), used TOTP steps and
the invitations that let someone register."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field as PField
from sqlalchemy import Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from openfyxer.models.types import MailAddress, EncryptedText, UTCDateTime, new_id, utcnow

LANGUAGES = ("en", "ro")


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    email: str = Field(sa_column=Column(String(255), unique=True, nullable=False, index=True))
    hashed_password: str = Field(max_length=255)
    totp_secret: str | None = Field(default=None, sa_type=EncryptedText("users.totp_secret"))
    totp_enabled: bool = False
    is_active: bool = True
    is_admin: bool = False  # invites others; the first account ever registered
    language: str = Field(default="en", max_length=5)
    timezone: str = Field(default="UTC", max_length=50)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuthSession(SQLModel, table=True):
    """One sign-in. Its id is the refresh-token family: reuse of a spent token revokes it."""

    __tablename__ = "auth_sessions"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str | None = Field(default=None, max_length=50)
    ip_address: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=255)


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_tokens"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    session_id: uuid.UUID = Field(sa_column=Column(ForeignKey("auth_sessions.id", ondelete="CASCADE"), nullable=False, index=True))
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    # SHA-256 of the token: a database dump must not hand out working refresh tokens.
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TotpUsedStep(SQLModel, table=True):
    """A TOTP time step already accepted for a user; the primary key refuses a replay."""

    __tablename__ = "totp_used_steps"
    __table_args__ = (Index("ix_totp_used_steps_used_at", "used_at"),)

    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True))
    step: int = Field(primary_key=True)
    used_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Invitation(SQLModel, table=True):
    """Lets one person register while registration is by invitation; usable once, until it expires."""

    __tablename__ = "invitations"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    # SHA-256 of the token: the token itself is shown once, to the administrator who made it.
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    email: str | None = Field(default=None, max_length=255)  # when set, only this address may use it
    created_by: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by: uuid.UUID | None = Field(default=None, sa_column=Column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True))


class RecoveryCode(SQLModel, table=True):
    """One of the single-use codes that sign in when the authenticator is lost; shown once, at enrolment."""

    __tablename__ = "recovery_codes"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    # SHA-256 of the code: a database dump must not hand out a way past the second factor.
    code_hash: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- API shapes -------------------------------------------------------------------------------


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: MailAddress = PField(max_length=255)
    password: str = PField(min_length=10, max_length=256)
    language: str = PField("en", pattern="^(en|ro)$")
    timezone: str = PField("UTC", max_length=50)
    invitation: str | None = PField(None, max_length=128)


TOTP_CODE = r"^\s*\d{3}\s?\d{3}\s*$"


class LoginRequest(BaseModel):
    """With 2FA on, the second factor is `totp_code` (the app's six digits) or, when the app is lost,
    `recovery_code` (one of the single-use codes shown at enrolment, like `7kq4m-x9p2h`); given both,
    the app's code is checked and the recovery code left unspent."""

    model_config = ConfigDict(extra="forbid")
    email: MailAddress = PField(max_length=255)
    password: str = PField(min_length=1, max_length=256)
    totp_code: str | None = PField(None, pattern=TOTP_CODE)
    recovery_code: str | None = PField(None, min_length=1, max_length=32)


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email: str
    is_active: bool
    totp_enabled: bool
    is_admin: bool
    language: str
    timezone: str
    created_at: datetime


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: MailAddress | None = PField(None, max_length=255)
    days: int = PField(7, ge=1, le=365)


class InvitationPublic(BaseModel):
    """An invitation as listed: never its token, which only its creation returns."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email: str | None
    created_by: uuid.UUID
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: uuid.UUID | None


class InvitationCreated(BaseModel):
    id: uuid.UUID
    token: str
    email: str | None
    expires_at: datetime
