"""One contract for both knowledge stores: the embedded one (SQLite tables + an in-memory vector
index) and Neo4j 5 (a real server from Maven Central's neo4j-harness, started by the tests)."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from openfyxer.core.errors import ValidationError
from openfyxer.integrations.graph_store import DIM, Chunk, Node, Ref, Step

pytestmark = pytest.mark.timeout(600)  # the first Neo4j run fetches its jars with Maven


@pytest.fixture(params=["embedded", "neo4j"])
def backend(request):  # noqa: ANN001, ANN201
    """(store, user id, another user's id) on a fresh database or a fresh pair of Neo4j users."""
    if request.param == "embedded":
        request.getfixturevalue("sqlite_url")
        from openfyxer.core.db import session_scope
        from openfyxer.integrations.graph_embedded import EmbeddedStore
        from openfyxer.services import auth

        with session_scope() as s:
            users = [str(auth.register(s, email=f"{uuid.uuid4().hex[:8]}@kg.test", password="a long password 1").id)
                     for _ in range(2)]
        store = EmbeddedStore()
    else:
        from openfyxer.integrations.neo4j_graph import Neo4jStore

        server = request.getfixturevalue("neo4j_server")
        store = Neo4jStore(server.url, "neo4j", "")
        users = [str(uuid.uuid4()), str(uuid.uuid4())]
    store.setup()
    yield store, users[0], users[1]
    for user in users:
        store.clear_user(user)
    store.close()


def vec(*hot: int) -> np.ndarray:
    """A vector pointing along the given axes (so cosines are known exactly)."""
    v = np.zeros(DIM, dtype=np.float32)
    v[list(hot)] = 1.0
    return v


def test_nodes_merge_by_key_and_keep_their_properties(backend) -> None:  # noqa: ANN001
    store, me, _ = backend
    store.merge_node(me, Node("Person", "ana@acme.ro", {"name": "Ana"}))
    store.merge_node(me, Node("Person", "ana@acme.ro", {"role": "CFO"}))
    store.merge_node(me, Node("Person", "ana@acme.ro", {"role": "CFO"}))  # again: nothing changes
    assert store.node(me, Ref("Person", "ana@acme.ro")).props == {"name": "Ana", "role": "CFO"}
    assert store.node(me, Ref("Person", "nobody@acme.ro")) is None
    assert store.stats(me)["Person"] == 1
    store.merge_node(me, Node("Company", "acme.ro", {"name": "Acme"}))
    assert [n.key for n in store.find(me, "Company", ["ACME"])] == ["acme.ro"]  # by name, any case
    assert [n.key for n in store.find(me, "Company", ["acme.ro", "globex"])] == ["acme.ro"]  # by key
    assert store.find(me, "Person", ["acme"]) == [] and store.find(me, "Company", []) == []
    store.merge_node(me, Node("Person", "dan@acme.ro", {"name": "Dan Matei"}))
    assert [n.key for n in store.find(me, "Person", ["dan"])] == ["dan@acme.ro"]  # a first name
    assert [n.key for n in store.find(me, "Person", ["dan matei"])] == ["dan@acme.ro"]


def test_edges_are_made_once_and_walked_both_ways_with_a_date_filter(backend) -> None:  # noqa: ANN001
    """GIVEN people at Acme and elsewhere, and emails the user sent to some of them on several dates
    WHEN walking Company <-WORKS_AT- Person -RECEIVED-> Email since a date
    THEN only the Acme people who received mail since then come back, each once."""
    store, me, other = backend
    for address, domain in (("ana@acme.ro", "acme.ro"), ("dan@acme.ro", "acme.ro"), ("ion@acme.ro", "acme.ro"),
                            ("eve@beta.com", "beta.com")):
        store.merge_node(me, Node("Person", address, {"name": address.split("@")[0].title()}))
        store.merge_node(me, Node("Company", domain, {"name": domain.split(".")[0].title()}))
        store.merge_edge(me, Ref("Person", address), "WORKS_AT", Ref("Company", domain))
    for key, date, to in (("e1", "2026-11-20T10:00:00", "ana@acme.ro"), ("e2", "2026-11-25T09:00:00", "ana@acme.ro"),
                          ("e3", "2026-10-02T12:00:00", "dan@acme.ro"), ("e4", "2026-11-21T08:00:00", "eve@beta.com")):
        store.merge_node(me, Node("Email", key, {"subject": f"about {key}", "date": date}))
        store.merge_edge(me, Ref("Person", "me@mine.ro"), "SENT", Ref("Email", key))
        store.merge_edge(me, Ref("Person", to), "RECEIVED", Ref("Email", key))
    store.merge_edge(me, Ref("Person", "ana@acme.ro"), "WORKS_AT", Ref("Company", "acme.ro"))  # once only
    # Another user's graph has the same names and must not leak in.
    store.merge_edge(other, Ref("Person", "ion@acme.ro"), "WORKS_AT", Ref("Company", "acme.ro"))
    store.merge_node(other, Node("Email", "x1", {"date": "2026-11-26T00:00:00"}))
    store.merge_edge(other, Ref("Person", "ion@acme.ro"), "RECEIVED", Ref("Email", "x1"))

    since = [Step("WORKS_AT", "Person", "in"), Step("RECEIVED", "Email", at_least=("date", "2026-11-01T00:00:00")),
             Step("RECEIVED", "Person", "in")]
    assert [n.key for n in store.walk(me, Ref("Company", "acme.ro"), since)] == ["ana@acme.ro"]
    everyone = store.walk(me, Ref("Company", "acme.ro"), [Step("WORKS_AT", "Person", "in")])
    assert [(n.key, n.props["name"]) for n in everyone] == [("ana@acme.ro", "Ana"), ("dan@acme.ro", "Dan"),
                                                            ("ion@acme.ro", "Ion")]
    sent = store.walk(me, Ref("Person", "me@mine.ro"), [Step("SENT", "Email")])
    assert [n.key for n in sent] == ["e1", "e2", "e3", "e4"]
    assert store.walk(me, Ref("Company", "nowhere.org"), [Step("WORKS_AT", "Person", "in")]) == []
    stats = store.stats(me)
    assert (stats["Person"], stats["Company"], stats["Email"], stats["edges"]) == (5, 2, 4, 12)


def test_vector_search_ranks_by_cosine_within_one_user(backend) -> None:  # noqa: ANN001
    store, me, other = backend
    store.merge_node(me, Node("Email", "budget", {"subject": "Q2 budget"}))
    store.merge_node(me, Node("Document", "plan.pdf", {"filename": "plan.pdf"}))
    store.set_chunks(me, Ref("Email", "budget"), [Chunk(0, "the budget for Q2", vec(0)),
                                                  Chunk(1, "numbers by Friday", vec(0, 1))])
    store.set_chunks(me, Ref("Document", "plan.pdf"), [Chunk(0, "a plan", vec(2))])
    store.merge_node(other, Node("Email", "theirs", {"subject": "not yours"}))
    store.set_chunks(other, Ref("Email", "theirs"), [Chunk(0, "their budget", vec(0))])

    hits = store.search(me, vec(0), k=3)
    assert [(h.item.key, h.ordinal) for h in hits] == [("budget", 0), ("budget", 1), ("plan.pdf", 0)]
    assert [round(h.score, 3) for h in hits] == [1.0, 0.707, 0.0]
    assert hits[0].text == "the budget for Q2" and hits[0].item.props == {"subject": "Q2 budget"}
    assert hits[0].item.label == "Email"
    assert [h.item.key for h in store.search(me, vec(0), k=5, labels=("Document",))] == ["plan.pdf"]
    assert [h.item.key for h in store.search(other, vec(0), k=5)] == ["theirs"]


def test_word_search_finds_rare_words_and_scores_by_cosine(backend) -> None:  # noqa: ANN001
    store, me, other = backend
    for key, text, v in (("invoice", "Invoice INV-20931 is attached, the total is due Friday", vec(0)),
                         ("lunch", "Lunch on Friday? The usual place is fine", vec(1)),
                         ("friday", "Friday Friday Friday, the weekly report is due", vec(0, 1))):
        store.merge_node(me, Node("Email", key, {"subject": key}))
        store.set_chunks(me, Ref("Email", key), [Chunk(0, text, v)])
    store.merge_node(me, Node("Document", "terms.pdf", {"filename": "terms.pdf"}))
    store.set_chunks(me, Ref("Document", "terms.pdf"), [Chunk(0, "Payment terms for INV-20931: 30 days", vec(2))])
    store.merge_node(other, Node("Email", "theirs", {"subject": "theirs"}))
    store.set_chunks(other, Ref("Email", "theirs"), [Chunk(0, "INV-20931 INV-20931 inv 20931", vec(0))])

    # The rare code outranks a word every chunk has, however often that word is repeated.
    hits = store.search_words(me, ["inv", "20931", "friday"], vec(0), k=10)
    assert [h.item.key for h in hits][:2] in (["invoice", "terms.pdf"], ["terms.pdf", "invoice"])
    assert {h.item.key for h in hits} == {"invoice", "terms.pdf", "lunch", "friday"}
    scores = {h.item.key: round(h.score, 3) for h in hits}
    assert scores == {"invoice": 1.0, "terms.pdf": 0.0, "lunch": 0.0, "friday": 0.707}
    assert hits[0].item.props["subject" if hits[0].item.label == "Email" else "filename"]
    assert [h.item.key for h in store.search_words(me, ["INV", "20931"], vec(0), k=5, labels=("Email",))] == ["invoice"]
    assert [h.item.key for h in store.search_words(me, ["20931"], vec(0), k=1)][0] in ("invoice", "terms.pdf")
    assert store.search_words(me, ["nowhere", "absent"], vec(0)) == []
    assert store.search_words(me, [], vec(0)) == []
    assert [h.item.key for h in store.search_words(other, ["20931"], vec(0))] == ["theirs"]
    # Replaced chunks are searched as they are now, not as they were.
    store.set_chunks(me, Ref("Email", "lunch"), [Chunk(0, "Dinner on Saturday instead", vec(1))])
    assert "lunch" not in {h.item.key for h in store.search_words(me, ["friday"], vec(0))}
    assert [h.item.key for h in store.search_words(me, ["saturday"], vec(0))] == ["lunch"]


def test_setting_chunks_again_replaces_them(backend) -> None:  # noqa: ANN001
    store, me, _ = backend
    store.merge_node(me, Node("Email", "e1", {}))
    store.set_chunks(me, Ref("Email", "e1"), [Chunk(0, "old", vec(5)), Chunk(1, "older", vec(6))])
    store.set_chunks(me, Ref("Email", "e1"), [Chunk(0, "new", vec(7))])
    store.set_chunks(me, Ref("Email", "e1"), [Chunk(0, "new", vec(7))])  # re-indexing changes nothing
    assert store.stats(me)["chunks"] == 1
    assert [h.text for h in store.search(me, vec(7), k=5)] == ["new"]
    with pytest.raises(LookupError):
        store.set_chunks(me, Ref("Email", "missing"), [Chunk(0, "x", vec(1))])


def test_delete_removes_the_item_its_chunks_and_edges(backend) -> None:  # noqa: ANN001
    store, me, _ = backend
    store.merge_node(me, Node("Document", "d1", {"filename": "d1.txt"}))
    store.merge_edge(me, Ref("Email", "e1"), "HAS_ATTACHMENT", Ref("Document", "d1"))
    store.merge_edge(me, Ref("Document", "d1"), "RELATED_TO", Ref("Project", "apollo"))
    store.set_chunks(me, Ref("Document", "d1"), [Chunk(0, "text", vec(3))])
    store.delete(me, Ref("Document", "d1"))
    store.delete(me, Ref("Document", "d1"))  # already gone: fine
    assert store.node(me, Ref("Document", "d1")) is None
    assert store.search(me, vec(3), k=5) == []
    assert store.walk(me, Ref("Email", "e1"), [Step("HAS_ATTACHMENT", "Document")]) == []
    stats = store.stats(me)
    assert stats["chunks"] == 0 and stats["edges"] == 0 and stats.get("Document", 0) == 0


def test_an_accounts_mail_is_removed_together(backend) -> None:  # noqa: ANN001
    store, me, _ = backend
    for key, account in (("e1", "a1"), ("e2", "a1"), ("e3", "a2")):
        store.merge_node(me, Node("Email", key, {"account_id": account}))
        store.merge_edge(me, Ref("Person", "dan@acme.ro"), "SENT", Ref("Email", key))
        store.set_chunks(me, Ref("Email", key), [Chunk(0, key, vec(int(key[1])))])
    assert store.delete_account_mail(me, "a1") == 2
    assert [n.key for n in store.walk(me, Ref("Person", "dan@acme.ro"), [Step("SENT", "Email")])] == ["e3"]
    assert [h.item.key for h in store.search(me, vec(1), k=5)] == ["e3"]
    assert store.delete_account_mail(me, "a1") == 0


def test_a_recorded_meeting_is_written_found_and_removed_leaving_nothing(backend) -> None:  # noqa: ANN001
    """GIVEN a person who also sent mail, and a recorded meeting written in one batch: its node with the start and
    end times of its chunks (lists of seconds), ATTENDED by that person and a new one, DISCUSSED a topic, a project
    and a company (RELATED_TO the project too), two transcript chunks
    WHEN searched and walked THEN the chunks come back with the meeting's properties, times included, and the
    graph leads from the person to the meeting and on to what it discussed
    WHEN the meeting is deleted and what it named is pruned THEN only what nothing else uses goes: the store
    holds exactly what it held before the meeting, the mail's sender included."""
    from openfyxer.integrations.graph_store import Batch

    store, me, _ = backend
    store.merge_edge(me, Ref("Person", "ana@acme.ro"), "SENT", Ref("Email", "e1"))
    before = store.stats(me)
    m = Ref("Meeting", "rec-1")
    props = {"title": "Budget review", "date": "2026-11-30T09:00:00", "origin": "recording",
             "starts": [0.0, 41.5], "ends": [45.2, 90.0]}
    named = [Ref("Topic", "budget"), Ref("Project", "apollo"), Ref("Company", "globex")]
    batch = Batch(nodes=[Node("Meeting", m.key, props), Node("Person", "dan@beta.com", {"email": "dan@beta.com"}),
                         Node("Topic", "budget", {"name": "budget"}), Node("Project", "apollo", {"name": "Apollo"}),
                         Node("Company", "globex", {"name": "Globex"})],
                  edges=[(Ref("Person", "ana@acme.ro"), "ATTENDED", m), (Ref("Person", "dan@beta.com"), "ATTENDED", m),
                         *((m, "DISCUSSED", ref) for ref in named), (m, "RELATED_TO", Ref("Project", "apollo"))],
                  chunks={m: [Chunk(0, "we review the Q3 budget", vec(8)),
                              Chunk(1, "we agreed to cut travel", vec(9))]})
    store.write(me, batch)
    store.write(me, batch)  # written again: nothing doubles

    hit = store.search(me, vec(9), k=1)[0]
    assert (hit.item.label, hit.item.key, hit.ordinal, hit.text) == ("Meeting", "rec-1", 1, "we agreed to cut travel")
    assert hit.item.props == props and hit.item.props["starts"][hit.ordinal] == 41.5
    assert [h.ordinal for h in store.search_words(me, ["budget"], vec(8), labels=("Meeting",))] == [0]
    met = store.walk(me, Ref("Person", "ana@acme.ro"), [Step("ATTENDED", "Meeting")])
    assert [(n.key, n.props["origin"]) for n in met] == [("rec-1", "recording")]
    assert [n.key for n in store.walk(me, Ref("Person", "dan@beta.com"), [Step("ATTENDED", "Meeting"),
                                                                           Step("DISCUSSED", "Project")])] == ["apollo"]
    assert {n.key for n in store.walk(me, m, [Step("DISCUSSED", "Topic")])} == {"budget"}
    stats = store.stats(me)
    assert (stats["Meeting"], stats["chunks"], stats["edges"] - before["edges"]) == (1, 2, 6)

    neighbours = [*named, Ref("Person", "ana@acme.ro"), Ref("Person", "dan@beta.com")]
    store.delete(me, m)
    assert store.prune(me, neighbours) == 4  # Ana stays: she sent mail
    assert store.prune(me, neighbours) == 0
    assert store.stats(me) == before
    assert store.node(me, Ref("Person", "ana@acme.ro")) is not None
    assert store.search(me, vec(9), k=5) == [] and store.having(me, "Meeting", "origin", "recording") == []


def test_the_nodes_one_source_wrote_are_listed_by_a_property(backend) -> None:  # noqa: ANN001
    """GIVEN Meeting nodes from the calendar and from elsewhere, and another user's
    WHEN those with origin "calendar" are asked for THEN exactly this user's calendar ones come back, by key."""
    store, me, other = backend
    store.merge_node(me, Node("Meeting", "m2", {"origin": "calendar", "title": "Standup"}))
    store.merge_node(me, Node("Meeting", "m1", {"origin": "calendar", "title": "Review"}))
    store.merge_node(me, Node("Meeting", "m3", {"origin": "recording"}))
    store.merge_node(other, Node("Meeting", "m4", {"origin": "calendar"}))
    found = store.having(me, "Meeting", "origin", "calendar")
    assert [(n.key, n.props["title"]) for n in found] == [("m1", "Review"), ("m2", "Standup")]
    assert store.having(me, "Person", "origin", "calendar") == []


def test_bad_labels_relationships_and_vectors_are_refused(backend) -> None:  # noqa: ANN001
    store, me, _ = backend
    with pytest.raises(ValidationError):
        store.merge_node(me, Node("Person) DETACH DELETE (x", "k", {}))
    with pytest.raises(ValidationError):
        store.merge_edge(me, Ref("Person", "a"), "KNOWS", Ref("Person", "b"))
    store.merge_node(me, Node("Email", "e1", {}))
    with pytest.raises(ValidationError):
        store.set_chunks(me, Ref("Email", "e1"), [Chunk(0, "short vector", np.ones(12))])
    with pytest.raises(ValidationError):
        store.search(me, np.ones(12))
    assert store.stats(me).get("chunks", 0) == 0


def test_configuration_picks_the_backend(sqlite_url, neo4j_server, monkeypatch) -> None:  # noqa: ANN001
    """GIVEN no Neo4j URL THEN the embedded store; GIVEN OPENFYXER_NEO4J_URL THEN Neo4j, set up and answering."""
    from openfyxer.integrations import knowledge_store
    from openfyxer.integrations.graph_embedded import EmbeddedStore
    from openfyxer.integrations.neo4j_graph import Neo4jStore
    from tests.conftest import apply_env

    assert isinstance(knowledge_store.get_store(), EmbeddedStore)
    apply_env(monkeypatch, neo4j_url=neo4j_server.url)
    store = knowledge_store.get_store()
    assert isinstance(store, Neo4jStore) and knowledge_store.get_store() is store
    assert store.stats(str(uuid.uuid4())) == {"edges": 0, "chunks": 0}


def test_neo4j_search_is_per_user_whatever_others_hold(neo4j_server) -> None:  # noqa: ANN001
    """GIVEN another user with fifty chunks nearer the question than any of mine (one shared index would return
    only theirs) and a chunk of mine written before chunks had their user's label WHEN I search THEN I get my
    own chunks, as many as asked, the old one too once the store is set up again."""
    from openfyxer.integrations.neo4j_graph import Neo4jStore, user_label

    store = Neo4jStore(neo4j_server.url, "neo4j", "")
    me, other = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        store.setup()
        for i in range(50):
            store.merge_node(other, Node("Email", f"theirs-{i}", {}))
            store.set_chunks(other, Ref("Email", f"theirs-{i}"), [Chunk(0, "their budget", vec(0))])
        for i in range(3):
            store.merge_node(me, Node("Email", f"mine-{i}", {}))
            store.set_chunks(me, Ref("Email", f"mine-{i}"), [Chunk(0, f"my note {i}", vec(0, i + 1))])
        assert sorted(h.item.key for h in store.search(me, vec(0), k=3)) == ["mine-0", "mine-1", "mine-2"]
        # A chunk as the store wrote them before: no label of its user.
        store.merge_node(me, Node("Email", "old", {}))
        store._run("MATCH (n:Email {user_id: $u, key: 'old'}) CREATE (n)-[:HAS_CHUNK]->(:Chunk {user_id: $u, "
                   "key: 'Email:old:0', ordinal: 0, text: 'old note', embedding: $v})", u=me, v=vec(0).tolist())
        assert "old" not in [h.item.key for h in store.search(me, vec(0), k=4)]
        restarted = Neo4jStore(neo4j_server.url, "neo4j", "")
        restarted.setup()
        restarted.close()
        assert store.search(me, vec(0), k=1)[0].item.key == "old"
        labelled = store._run(f"MATCH (c:{user_label(me)}) RETURN count(c) AS n")[0]["n"]
        assert labelled == 4
    finally:
        for user in (me, other):
            store.clear_user(user)
        store.close()
