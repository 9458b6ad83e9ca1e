"""Neo4j connectivity. The knowledge store built on it comes with the knowledge capability."""

from __future__ import annotations

from openfyxer.core.errors import OpenFyxerError


class GraphUnavailable(OpenFyxerError):
    """Neo4j did not answer."""

    status = 503
    code = "neo4j_unavailable"


def ping(url: str, user: str, password: str) -> None:
    import neo4j  # lazily: the web process only needs it when Neo4j is configured

    auth = (user, password) if password else None
    try:
        with neo4j.GraphDatabase.driver(url, auth=auth, connection_timeout=3) as driver:
            driver.verify_connectivity()
    except Exception as e:  # the driver raises many unrelated types for one "not reachable"
        raise GraphUnavailable(f"neo4j: {e}") from e
