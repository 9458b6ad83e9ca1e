"""Re-encryption of every stored secret with the active key of the keyring."""

from __future__ import annotations

from sqlalchemy import column, select, table, update
from sqlmodel import Session, SQLModel

import openfyxer.models  # noqa: F401  (registers every table in the metadata)
from openfyxer.models.types import EncryptedText
from openfyxer.security import crypto


def encrypted_columns() -> list[tuple[str, str, str, str]]:
    """(table, primary key column, column, context) for every EncryptedText column."""
    found = []
    for tbl in SQLModel.metadata.sorted_tables:
        pk = [c.name for c in tbl.primary_key.columns]
        for col in tbl.columns:
            if isinstance(col.type, EncryptedText):
                found.append((tbl.name, pk, col.name, col.type.context))
    return found


def reencrypt_all(session: Session, batch: int = 500) -> dict[str, int]:
    """Re-encrypt each secret not made with the active key. Returns counts per column.

    Reads the raw ciphertext (an untyped table() bypasses the decrypting column type), so
    no plaintext is ever written back through the ORM or held longer than one value.
    """
    active = crypto.active_key_id()
    counts: dict[str, int] = {}
    for tname, pk, cname, context in encrypted_columns():
        t = table(tname, *(column(p) for p in pk), column(cname))
        done = 0
        rows = session.execute(select(*(t.c[p] for p in pk), t.c[cname]).where(t.c[cname].is_not(None))).all()
        for row in rows:
            value = row[-1]
            if crypto.key_id_of(value) == active:
                continue
            fresh = crypto.encrypt(crypto.decrypt(value, context), context)
            cond = [t.c[p] == row[i] for i, p in enumerate(pk)]
            session.execute(update(t).where(*cond).values({cname: fresh}))
            done += 1
            if done % batch == 0:
                session.flush()
        counts[f"{tname}.{cname}"] = done
    session.flush()
    return counts
