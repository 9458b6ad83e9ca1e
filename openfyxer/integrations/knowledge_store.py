"""Which knowledge store this process uses: Neo4j when OPENFYXER_NEO4J_URL is set, the embedded one
otherwise. Kept apart from `graph_store` (the interface both backends import), so the interface
never imports its own implementations."""

from __future__ import annotations

import threading

from openfyxer.core.config import get_settings
from openfyxer.integrations.graph_store import KnowledgeStore

_STORE: KnowledgeStore | None = None
_STORE_KEY: tuple | None = None
_LOCK = threading.Lock()


def get_store() -> KnowledgeStore:
    """The configured backend, set up once per process (and again if the settings change)."""
    global _STORE, _STORE_KEY
    s = get_settings()
    key = (s.neo4j_url, s.neo4j_user, s.neo4j_password, s.sqlalchemy_url)
    with _LOCK:
        if _STORE is None or _STORE_KEY != key:
            if _STORE is not None:
                _STORE.close()
            if s.neo4j_url:
                from openfyxer.integrations.neo4j_graph import Neo4jStore

                store: KnowledgeStore = Neo4jStore(s.neo4j_url, s.neo4j_user, s.neo4j_password)
            else:
                from openfyxer.integrations.graph_embedded import EmbeddedStore

                store = EmbeddedStore()
            store.setup()
            _STORE, _STORE_KEY = store, key
        return _STORE
