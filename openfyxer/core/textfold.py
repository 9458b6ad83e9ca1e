"""Search that ignores case and diacritics, in both databases: "sedinte" finds "ședințe", "Ş" (cedilla,
what old Romanian keyboards type) finds "Ș" (comma), "cafe" finds "café".

`fold` is the Python side (the query's words); `folded(column)` is the same in SQL: a function OpenFyxer
registers in each SQLite connection, and on PostgreSQL lower() + translate() over the letters that
matter (Romanian first, then the common Latin accents), which needs no extension."""

from __future__ import annotations

import unicodedata

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Text

SQLITE_FUNCTION = "of_fold"
# On PostgreSQL: every letter here becomes the plain one below it (lower() has run first).
_ACCENTED = "șşțţăâîáàäãåéèëêíìïóòöôõúùüûçñý"
_PLAIN = "ssttaaiaaaaaeeeeiiiooooouuuucny"


def fold(text: str | None) -> str:
    text = unicodedata.normalize("NFKD", (text or "").lower())
    return "".join(c for c in text if not unicodedata.combining(c))


class folded(FunctionElement):  # noqa: N801  (reads as a SQL function)
    """folded(column): the column's text, lower-cased and without diacritics."""

    type = Text()
    inherit_cache = True
    name = "folded"


@compiles(folded)
def _default(element, compiler, **kw) -> str:  # noqa: ANN001
    return f"{SQLITE_FUNCTION}({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _postgresql(element, compiler, **kw) -> str:  # noqa: ANN001
    return f"translate(lower({compiler.process(element.clauses, **kw)}), '{_ACCENTED}', '{_PLAIN}')"


def register_sqlite(dbapi_conn) -> None:  # noqa: ANN001
    dbapi_conn.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)
