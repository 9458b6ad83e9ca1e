"""Recovery codes: single-use codes that stand in for the authenticator app when it is lost.

Ten are made when two-factor authentication is confirmed and shown once; the database keeps only
each code's SHA-256, so a dump of it hands out no way past the second factor. A code is spent by a
conditional update, so two sign-ins racing with one code cannot both get in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy import delete, update
from sqlmodel import Session, func, select

from openfyxer.models.user import RecoveryCode

COUNT = 10
# No 0/o, 1/l/i: a code copied from paper must not be misread. 31 symbols, 10 of them: about 50 bits,
# more than the 8 of a shorter code, because an unsalted SHA-256 is all that stands between a database
# dump and the codes.
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
GROUP = 5
SHAPE = re.compile(rf"^[{ALPHABET}]{{{GROUP}}}-?[{ALPHABET}]{{{GROUP}}}$")


def _now() -> datetime:
    return datetime.now(UTC)


def normalise(code: str) -> str:
    """What the user typed, as it was made: lower case, without spaces; the dash is optional."""
    code = re.sub(r"\s+", "", code or "").lower()
    if SHAPE.match(code) and "-" not in code:
        code = f"{code[:GROUP]}-{code[GROUP:]}"
    return code


def looks_like_one(code: str | None) -> bool:
    return bool(code) and SHAPE.match(normalise(code)) is not None


def _hash(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def _new_code() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(2 * GROUP))
    return f"{chars[:GROUP]}-{chars[GROUP:]}"


def replace(session: Session, user_id: uuid.UUID) -> list[str]:
    """A fresh set for the user, the old ones void; the codes themselves are returned this once."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes: set[str] = set()
    while len(codes) < COUNT:  # distinct, so spending one never spends a twin
        codes.add(_new_code())
    now = _now()
    session.add_all(RecoveryCode(user_id=user_id, code_hash=_hash(c), created_at=now) for c in sorted(codes))
    session.flush()
    return sorted(codes)


def spend(session: Session, user_id: uuid.UUID, code: str | None) -> bool:
    """Mark the code used if it is one of the user's unused ones; False otherwise, or if a
    concurrent sign-in spent it first (the update's condition is checked under the row's lock)."""
    if not looks_like_one(code):
        return False
    spent = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.code_hash == _hash(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=_now())
    ).rowcount
    return spent == 1


def remaining(session: Session, user_id: uuid.UUID) -> int:
    return session.exec(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))).one()


def forget(session: Session, user_id: uuid.UUID) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
