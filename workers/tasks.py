"""Job entry points. Each takes ids, opens a unit of work and calls one service."""

from __future__ import annotations

from openfyxer.core.db import session_scope
from openfyxer.services import maintenance


def purge_expired() -> dict[str, int]:
    with session_scope() as session:
        return maintenance.purge_expired(session)
