"""User settings: read (secrets reported only as set / not set) and patch."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from openfyxer.models.settings import SECRET_FIELDS, SchedulingPrefs, SettingsPublic, SettingsUpdate, UserSettings
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.auth import check_timezone

_USER_FIELDS = ("language", "timezone")


def get_or_create(session: Session, *, user_id) -> UserSettings:  # noqa: ANN001
    row = session.exec(select(UserSettings).where(UserSettings.user_id == user_id)).first()
    if row is None:
        row = UserSettings(user_id=user_id)
        session.add(row)
        session.flush()
    return row


def to_public(row: UserSettings, user: User) -> SettingsPublic:
    return SettingsPublic(
        llm_provider=row.llm_provider,
        llm_model=row.llm_model,
        follow_up_days=row.follow_up_days,
        priority_contacts=list(row.priority_contacts or []),
        language=user.language,
        timezone=user.timezone,
        scheduling=scheduling_prefs(row),
        secrets_set={name: bool(getattr(row, name)) for name in SECRET_FIELDS},
        updated_at=row.updated_at,
    )


def scheduling_prefs(row: UserSettings) -> SchedulingPrefs:
    return SchedulingPrefs.model_validate(row.scheduling or {})


def read(session: Session, *, user: User) -> SettingsPublic:
    return to_public(get_or_create(session, user_id=user.id), user)


def update(session: Session, *, user: User, data: SettingsUpdate, ip: str | None = None) -> SettingsPublic:
    """Apply the fields that were sent. The audit entry names the fields, never their values."""
    row = get_or_create(session, user_id=user.id)
    changes = data.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if name in _USER_FIELDS:
            if value is None:
                continue
            if name == "timezone":
                check_timezone(value)
            setattr(user, name, value)
            continue
        if name == "priority_contacts" and value is not None:
            value = sorted({v.strip().lower() for v in value})
        if name in SECRET_FIELDS:
            value = value or None  # "" clears
        if value is None and name in ("llm_provider", "follow_up_days", "priority_contacts", "scheduling"):
            continue  # these have no "unset" state
        setattr(row, name, value)
    now = datetime.now(UTC)
    row.updated_at = user.updated_at = now
    session.add_all([row, user])
    session.flush()
    audit.record(session, action="settings.update", user_id=user.id, entity_type="user_settings",
                 entity_id=row.id, details={"fields": sorted(changes)}, ip=ip)
    return to_public(row, user)
