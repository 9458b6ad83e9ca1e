"""Per-user preferences and provider credentials."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field as PField, field_validator
from sqlalchemy import Column, ForeignKey, Text
from sqlmodel import Field, SQLModel

from openfyxer.models.types import MailAddress, EncryptedText, JSONType, UTCDateTime, new_id, utcnow

LLM_PROVIDERS = ("local", "ollama", "openai", "gemini", "claude", "cohere")
# Write-only: accepted by PATCH, never returned; GET says only whether each is set.
SECRET_FIELDS = (
    "openai_api_key",
    "gemini_api_key",
    "claude_api_key",
    "cohere_api_key",
)


def _enc(name: str) -> EncryptedText:
    return EncryptedText(f"user_settings.{name}")


class UserSettings(SQLModel, table=True):
    __tablename__ = "user_settings"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True))
    llm_provider: str = Field(default="local", max_length=50)
    llm_model: str | None = Field(default=None, max_length=100)
    openai_api_key: str | None = Field(default=None, sa_type=_enc("openai_api_key"))
    gemini_api_key: str | None = Field(default=None, sa_type=_enc("gemini_api_key"))
    claude_api_key: str | None = Field(default=None, sa_type=_enc("claude_api_key"))
    cohere_api_key: str | None = Field(default=None, sa_type=_enc("cohere_api_key"))
    email_style: str | None = Field(default=None, sa_type=Text)
    follow_up_days: int = 3
    priority_contacts: list[str] = Field(default_factory=list, sa_type=JSONType)
    scheduling: dict = Field(default_factory=dict, sa_type=JSONType)  # SchedulingPrefs; {} = the defaults
    notify: dict = Field(default_factory=dict, sa_type=JSONType)  # NotifyPrefs; {} = the defaults
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


_RANGE = r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SchedulingPrefs(BaseModel):
    """When the user meets: local working hours per weekday ("09:00-17:00"; a day left out is not
    worked), buffers around meetings, the notice a new one needs, and a cap per day."""

    model_config = ConfigDict(extra="forbid")
    hours: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], list[str]] = PField(
        default_factory=lambda: {d: ["09:00-17:00"] for d in WEEKDAYS[:5]})
    buffer_before_minutes: int = PField(0, ge=0, le=240)
    buffer_after_minutes: int = PField(0, ge=0, le=240)
    min_notice_minutes: int = PField(120, ge=0, le=60 * 24 * 14)
    max_per_day: int | None = PField(None, ge=1, le=50)
    count_tentative: bool = True  # a tentative event blocks its time
    preferred: list[str] = PField(default_factory=list, max_length=8)  # local ranges proposed first

    @field_validator("hours")
    @classmethod
    def _ranges(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, ranges in value.items():
            if len(ranges) > 8:
                raise ValueError(f"at most 8 ranges on {day}")
            for r in ranges:
                _check_range(r)
        return value

    @field_validator("preferred")
    @classmethod
    def _preferred(cls, value: list[str]) -> list[str]:
        for r in value:
            _check_range(r)
        return value


def _check_range(r: str) -> None:
    if not re.match(_RANGE, r) or r[:5] >= r[6:]:
        raise ValueError(f"{r!r} is not a range of the day such as 09:00-17:00")


class SettingsUpdate(BaseModel):
    """PATCH body: only the fields sent change; a secret sent as "" is cleared."""

    model_config = ConfigDict(extra="forbid")
    llm_provider: Literal["local", "ollama", "openai", "gemini", "claude", "cohere"] | None = None
    llm_model: str | None = PField(None, max_length=100)
    openai_api_key: str | None = PField(None, max_length=512)
    gemini_api_key: str | None = PField(None, max_length=512)
    claude_api_key: str | None = PField(None, max_length=512)
    cohere_api_key: str | None = PField(None, max_length=512)
    follow_up_days: int | None = PField(None, ge=1, le=60)
    priority_contacts: list[MailAddress] | None = PField(None, max_length=500)
    language: Literal["en", "ro"] | None = None
    timezone: str | None = PField(None, max_length=50)
    scheduling: SchedulingPrefs | None = None


class SettingsPublic(BaseModel):
    llm_provider: str
    llm_model: str | None
    follow_up_days: int
    priority_contacts: list[str]
    language: str
    timezone: str
    scheduling: SchedulingPrefs
    secrets_set: dict[str, bool]
    updated_at: datetime
