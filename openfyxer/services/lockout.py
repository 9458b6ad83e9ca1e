"""Sign-in attempts against one account slow down, then stop for a while.

The per-address throttle (the API's rate limit) does not help when the guesses come from many
addresses; this counts the account's own failed sign-ins since its last success, from the audit
trail that records each of them already (no table of its own, and a restart forgets nothing).

After DELAY_AFTER failures each further try waits 1, 2, 4 ... (at most MAX_DELAY) seconds after
the last one; LOCK_AFTER failures within LOCK_WINDOW lock the account until LOCK_WINDOW after the
first of them. A refused try checks no password and counts as no failure, so the right password
does not get in during a lock, and the lock ends on time whatever an attacker keeps sending.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, func, select

from openfyxer.core.errors import Throttled
from openfyxer.models.audit import AuditLog
from openfyxer.models.user import User

DELAY_AFTER = 3
MAX_DELAY = 60
LOCK_AFTER = 10
LOCK_WINDOW = timedelta(minutes=15)
FAILED, SIGNED_IN = "auth.login_failed", "auth.login"
# A wrong current password when changing it is a guess at the password too.
FAILURES = (FAILED, "auth.password_change_failed")


def check(session: Session, user: User, now: datetime | None = None) -> None:
    """Raise Throttled (with when to try again) if this account may not try a password now."""
    now = now or datetime.now(UTC)
    since = now - LOCK_WINDOW
    last_ok = session.exec(select(func.max(AuditLog.created_at)).where(
        AuditLog.user_id == user.id, AuditLog.action == SIGNED_IN, AuditLog.created_at >= since)).one()
    start = max(since, _utc(last_ok)) if last_ok else since
    failures = [_utc(t) for t in session.exec(
        select(AuditLog.created_at).where(AuditLog.user_id == user.id, AuditLog.action.in_(FAILURES),
                                          AuditLog.created_at > start)
        .order_by(AuditLog.created_at.desc()).limit(LOCK_AFTER)).all()]
    if len(failures) >= LOCK_AFTER:
        until = failures[-1] + LOCK_WINDOW
        minutes = math.ceil((until - now).total_seconds() / 60)
        raise Throttled(f"too many failed sign-ins: this account is locked for {minutes} more minute(s)",
                        code="account_locked", retry_after=int((until - now).total_seconds()) + 1)
    if len(failures) >= DELAY_AFTER:
        wait = min(2 ** (len(failures) - DELAY_AFTER), MAX_DELAY)
        ready = failures[0] + timedelta(seconds=wait)
        if now < ready:
            seconds = math.ceil((ready - now).total_seconds())
            raise Throttled(f"too many failed sign-ins: wait {seconds} s before trying again",
                            code="login_delayed", retry_after=seconds)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
