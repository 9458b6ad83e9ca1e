"""Neo4j: connectivity for /health/neo4j, and the knowledge store's Neo4j backend."""

from __future__ import annotations

import hashlib

from openfyxer.core.errors import OpenFyxerError
from openfyxer.integrations.graph_store import (DIM, LABELS, Batch, Hit, Node, Ref, Step, WriteShortcuts,
                                                check_label, check_step, terms, unit)


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


# --------------------------------------------------------------------------- the knowledge store
# Community 5.26 has no filtered vector search: one shared index returned every user's nearest
# chunks, ten times more were fetched to keep ours, and it slowed as other users' mail grew. Each
# user's chunks carry a label of their own instead, with a vector index of its own.
# The driver reads without a socket timeout unless the server hints one, so the server bounds each
# transaction instead: a job never waits on a stuck query for longer than this.
QUERY_TIMEOUT_S = 120
OVERSAMPLE = 2  # chunks fetched per wanted hit, for the label filter (emails or documents only)
_VECTOR_OPTIONS = ("OPTIONS {indexConfig: {`vector.dimensions`: %d, `vector.similarity_function`: 'cosine', "
                   "`vector.quantization.enabled`: false}}" % DIM)


def user_label(user_id: str) -> str:
    """The label of a user's chunks (an identifier whatever the id is made of)."""
    return "UC_" + hashlib.sha256(str(user_id).encode()).hexdigest()[:24]


class Neo4jStore(WriteShortcuts):
    """The knowledge store on Neo4j 5: the spec's labels and relationships, one uniqueness
    constraint per label on (user_id, key), and the item texts as (:Chunk) nodes hanging off their
    Email or Document by HAS_CHUNK, in a 384-dim cosine vector index."""

    def __init__(self, url: str, user: str, password: str) -> None:
        import neo4j

        self._driver = neo4j.GraphDatabase.driver(url, auth=(user, password) if password else None,
                                                  connection_timeout=5)
        self._indexed: set[str] = set()  # users whose vector index is known to exist

    def close(self) -> None:
        self._driver.close()

    def _run(self, query: str, **params):  # noqa: ANN003, ANN202
        import neo4j

        try:
            records, _, _ = self._driver.execute_query(neo4j.Query(query, timeout=QUERY_TIMEOUT_S), params)
        except Exception as e:  # the driver's many kinds of "not reachable"
            from neo4j.exceptions import ClientError

            if isinstance(e, ClientError):
                raise
            raise GraphUnavailable(f"neo4j: {e}") from e
        return records

    def setup(self) -> None:
        for label in (*LABELS, "Chunk"):
            self._run(f"CREATE CONSTRAINT {label.lower()}_key IF NOT EXISTS FOR (n:{label}) "
                      "REQUIRE (n.user_id, n.key) IS UNIQUE")
        # Chunks written before each user had an index of their own get their user's label, and the
        # shared index of those days goes (every write would feed it for nothing).
        self._run("DROP INDEX chunk_embeddings IF EXISTS")
        for r in self._run("MATCH (c:Chunk) WHERE c.user_id IS NOT NULL RETURN DISTINCT c.user_id AS u"):
            label = self._user_index(r["u"])
            self._run(f"MATCH (c:Chunk {{user_id: $u}}) WHERE NOT c:{label} SET c:{label}", u=r["u"])
        self._run("CALL db.awaitIndexes(60)")

    def _user_index(self, user_id: str) -> str:
        """The user's chunk label, its vector index created on first use (schema changes cannot
        share a transaction with writes, so this runs before the write)."""
        label = user_label(user_id)
        if label not in self._indexed:
            # Quantisation off: it shaves memory but moves scores (an exact match scored 0.91).
            self._run(f"CREATE VECTOR INDEX {label.lower()} IF NOT EXISTS FOR (c:{label}) ON c.embedding "
                      + _VECTOR_OPTIONS)
            # Word search: Lucene's BM25 over the same chunks (the user's own label again).
            self._run(f"CREATE FULLTEXT INDEX {label.lower()}_text IF NOT EXISTS FOR (c:{label}) ON EACH [c.text]")
            self._run(f"CALL db.awaitIndex('{label.lower()}', 60)")
            self._run(f"CALL db.awaitIndex('{label.lower()}_text', 60)")
            self._indexed.add(label)
        return label

    def write(self, user_id: str, batch: Batch) -> None:
        """One transaction; one UNWIND query per label, per kind of edge and per kind of item
        (labels and relationship types cannot be parameters, so they were checked against the schema)."""
        batch.check()
        u = str(user_id)
        queries: list[tuple[str, dict]] = []
        by_label: dict[str, list[dict]] = {}
        for n in batch.nodes:
            by_label.setdefault(n.label, []).append({"key": n.key, "props": dict(n.props)})
        for label, rows in by_label.items():
            queries.append((f"UNWIND $rows AS r MERGE (n:{label} {{user_id: $u, key: r.key}}) SET n += r.props",
                            {"rows": rows}))
        by_kind: dict[tuple[str, str, str], list[dict]] = {}
        for a, rel, b in dict.fromkeys(batch.edges):
            by_kind.setdefault((a.label, rel, b.label), []).append({"a": a.key, "b": b.key})
        for (la, rel, lb), rows in by_kind.items():
            queries.append((f"UNWIND $rows AS r MERGE (a:{la} {{user_id: $u, key: r.a}}) "
                            f"MERGE (b:{lb} {{user_id: $u, key: r.b}}) MERGE (a)-[:{rel}]->(b)", {"rows": rows}))
        items: dict[str, list[Ref]] = {}
        for ref in batch.chunks:
            items.setdefault(ref.label, []).append(ref)
        chunk_label = self._user_index(u) if items else ""
        for label, refs in items.items():
            keys = [r.key for r in refs]
            rows = [{"item": r.key, "key": f"{label}:{r.key}:{c.ordinal}", "ordinal": c.ordinal, "text": c.text,
                     "embedding": c.vector.tolist()} for r in refs for c in batch.chunks[r]]
            queries.append((f"UNWIND $keys AS k OPTIONAL MATCH (n:{label} {{user_id: $u, key: k}}) "
                            "WITH k, n WHERE n IS NULL RETURN collect(k) AS missing", {"keys": keys, "_check": label}))
            queries.append((f"MATCH (n:{label})-[:HAS_CHUNK]->(c:Chunk) WHERE n.user_id = $u AND n.key IN $keys "
                            "DETACH DELETE c", {"keys": keys}))
            queries.append((f"UNWIND $rows AS r MATCH (n:{label} {{user_id: $u, key: r.item}}) "
                            f"CREATE (n)-[:HAS_CHUNK]->(:Chunk:{chunk_label} {{user_id: $u, key: r.key, ordinal: r.ordinal, "
                            "text: r.text, embedding: r.embedding})", {"rows": rows}))

        import neo4j

        @neo4j.unit_of_work(timeout=QUERY_TIMEOUT_S)
        def work(tx) -> None:  # noqa: ANN001
            for query, params in queries:
                label = params.pop("_check", None)
                result = tx.run(query, u=u, **params)
                if label:
                    missing = result.single()["missing"]
                    if missing:
                        raise LookupError(f"no {label} {missing[0]} to attach chunks to")
                else:
                    result.consume()

        if queries:
            try:
                with self._driver.session() as session:
                    session.execute_write(work)
            except LookupError:
                raise
            except Exception as e:
                from neo4j.exceptions import ClientError

                if isinstance(e, ClientError):
                    raise
                raise GraphUnavailable(f"neo4j: {e}") from e

    def node(self, user_id: str, ref: Ref) -> Node | None:
        records = self._run(f"MATCH (n:{check_label(ref.label)} {{user_id: $u, key: $k}}) RETURN properties(n) AS p",
                            u=str(user_id), k=ref.key)
        return Node(ref.label, ref.key, _public(records[0]["p"])) if records else None

    def delete(self, user_id: str, ref: Ref) -> None:
        self._run(f"MATCH (n:{check_label(ref.label)} {{user_id: $u, key: $k}}) "
                  "OPTIONAL MATCH (n)-[:HAS_CHUNK]->(c:Chunk) DETACH DELETE c, n", u=str(user_id), k=ref.key)

    def delete_account_mail(self, user_id: str, account_id: str) -> int:
        records = self._run("MATCH (n:Email {user_id: $u, account_id: $a}) OPTIONAL MATCH (n)-[:HAS_CHUNK]->(c:Chunk) "
                            "WITH n, collect(c) AS chunks FOREACH (c IN chunks | DETACH DELETE c) "
                            "DETACH DELETE n RETURN count(*) AS n", u=str(user_id), a=str(account_id))
        return records[0]["n"] if records else 0

    def prune(self, user_id: str, refs: list[Ref]) -> int:
        by_label: dict[str, list[str]] = {}
        for ref in refs:
            by_label.setdefault(check_label(ref.label), []).append(ref.key)
        gone = 0
        for label, keys in by_label.items():
            # Chunks hang off their item by HAS_CHUNK, so "no relationship at all" covers them too.
            records = self._run(f"MATCH (n:{label}) WHERE n.user_id = $u AND n.key IN $keys AND NOT (n)--() "
                                "DELETE n RETURN count(*) AS n", u=str(user_id), keys=sorted(set(keys)))
            gone += records[0]["n"] if records else 0
        return gone

    def clear_user(self, user_id: str) -> None:
        self._run("MATCH (n {user_id: $u}) DETACH DELETE n", u=str(user_id))

    def search(self, user_id: str, vector, k: int = 10, labels: tuple[str, ...] | None = None) -> list[Hit]:  # noqa: ANN001
        for label in labels or ():
            check_label(label)
        wanted = unit(vector).tolist()  # refused here if it is not a vector of the index's size
        label = user_label(user_id)
        if label not in self._indexed and not self._run("SHOW INDEXES YIELD name WHERE name = $n RETURN name",
                                                        n=label.lower()):
            return []  # nothing of this user's was ever indexed
        self._indexed.add(label)
        records = self._run(
            f"CALL db.index.vector.queryNodes('{label.lower()}', $n, $v) YIELD node AS c, score "
            "WHERE c.user_id = $u MATCH (item)-[:HAS_CHUNK]->(c) "
            "WITH item, c, score WHERE $labels IS NULL OR labels(item)[0] IN $labels "
            "RETURN labels(item)[0] AS label, item.key AS key, properties(item) AS props, c.ordinal AS ordinal, "
            "c.text AS text, score ORDER BY score DESC LIMIT $k",
            n=k * OVERSAMPLE if labels else k, v=wanted, u=str(user_id), k=k, labels=list(labels) if labels else None)
        # Neo4j reports cosine as (1 + cos) / 2; the contract speaks cosine.
        return [Hit(Node(r["label"], r["key"], _public(r["props"])), r["ordinal"], r["text"], 2 * r["score"] - 1)
                for r in records]

    def search_words(self, user_id: str, words: list[str], vector, k: int = 10,  # noqa: ANN001
                     labels: tuple[str, ...] | None = None) -> list[Hit]:
        for label in labels or ():
            check_label(label)
        wanted = unit(vector).tolist()
        # Plain lower-case words joined by spaces: Lucene ORs them, and none can be an operator
        # (those are upper case) or carry its syntax (\w only).
        query = " ".join(dict.fromkeys(t for w in words for t in terms(w)))
        label = user_label(user_id)
        if not query or (label not in self._indexed and not self._run(
                "SHOW INDEXES YIELD name WHERE name = $n RETURN name", n=f"{label.lower()}_text")):
            return []
        records = self._run(
            f"CALL db.index.fulltext.queryNodes('{label.lower()}_text', $q, {{limit: $n}}) YIELD node AS c, score "
            "WHERE c.user_id = $u MATCH (item)-[:HAS_CHUNK]->(c) "
            "WITH item, c, score WHERE $labels IS NULL OR labels(item)[0] IN $labels "
            "RETURN labels(item)[0] AS label, item.key AS key, properties(item) AS props, c.ordinal AS ordinal, "
            "c.text AS text, vector.similarity.cosine(c.embedding, $v) AS cosine ORDER BY score DESC LIMIT $k",
            q=query, n=k * OVERSAMPLE if labels else k, v=wanted, u=str(user_id), k=k,
            labels=list(labels) if labels else None)
        # Like the vector index, vector.similarity.cosine reports (1 + cos) / 2.
        return [Hit(Node(r["label"], r["key"], _public(r["props"])), r["ordinal"], r["text"], 2 * r["cosine"] - 1)
                for r in records]

    def having(self, user_id: str, label: str, name: str, value: str) -> list[Node]:
        records = self._run(f"MATCH (n:{check_label(label)}) WHERE n.user_id = $u AND n[$p] = $v "
                            "RETURN n.key AS key, properties(n) AS props ORDER BY key", u=str(user_id), p=name, v=value)
        return [Node(label, r["key"], _public(r["props"])) for r in records]

    def find(self, user_id: str, label: str, names: list[str], limit: int = 20) -> list[Node]:
        wanted = sorted({n.lower().strip() for n in names if n.strip()})
        if not wanted:
            return []
        records = self._run(f"MATCH (n:{check_label(label)}) WHERE n.user_id = $u AND (toLower(n.key) IN $names "
                            "OR toLower(n.name) IN $names OR split(toLower(n.name), ' ')[0] IN $names) RETURN n.key AS key, properties(n) AS props "
                            "ORDER BY key LIMIT $limit", u=str(user_id), names=wanted, limit=limit)
        return [Node(label, r["key"], _public(r["props"])) for r in records]

    def walk(self, user_id: str, start: Ref, steps: list[Step], limit: int = 100) -> list[Node]:
        query = [f"MATCH (n0:{check_label(start.label)} {{user_id: $u, key: $k}})"]
        params: dict = {"u": str(user_id), "k": start.key, "limit": limit}
        for i, step in enumerate(map(check_step, steps), 1):
            arrow = f"-[:{step.rel}]->" if step.direction == "out" else f"<-[:{step.rel}]-"
            query.append(f"MATCH (n{i - 1}){arrow}(n{i}:{step.label}) WHERE n{i}.user_id = $u")
            if step.at_least:
                query.append(f"AND n{i}[$p{i}] >= $v{i}")
                params[f"p{i}"], params[f"v{i}"] = step.at_least
        last = f"n{len(steps)}"
        query.append(f"WITH DISTINCT {last} RETURN labels({last})[0] AS label, {last}.key AS key, "
                     f"properties({last}) AS props ORDER BY key LIMIT $limit")
        return [Node(r["label"], r["key"], _public(r["props"])) for r in self._run(" ".join(query), **params)]

    def stats(self, user_id: str) -> dict[str, int]:
        out = {r["label"]: r["n"] for r in self._run(
            "MATCH (n {user_id: $u}) WHERE NOT n:Chunk RETURN labels(n)[0] AS label, count(*) AS n", u=str(user_id))}
        out["edges"] = self._run("MATCH (a {user_id: $u})-[r]->() WHERE type(r) <> 'HAS_CHUNK' RETURN count(r) AS n",
                                 u=str(user_id))[0]["n"]
        out["chunks"] = self._run("MATCH (c:Chunk {user_id: $u}) RETURN count(c) AS n", u=str(user_id))[0]["n"]
        return out


def _public(props: dict) -> dict:
    """A node's own properties, without the store's bookkeeping."""
    return {k: v for k, v in props.items() if k not in ("user_id", "key", "embedding")}
