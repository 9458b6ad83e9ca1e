"""Triage classifiers on real data: the SpamAssassin corpus, the local embeddings, the sentences that ship."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from openfyxer.services.assistant import classify, classify_bulk, intent_data
from openfyxer.services.assistant.classify_deadline import age_words, day_words, passed_deadline
from openfyxer.services.assistant.classify_intent import default_embedder, shipped_examples
from openfyxer.services.assistant.classify_spam import CORPUS_DIR, CORPUS_GROUPS, corpus_messages
from openfyxer.services.assistant.classify_text import new_text, sentences
from openfyxer.services.assistant.intent_data import public_examples
from openfyxer.services.assistant.intent_seed import seed_examples
from openfyxer.services.mail.mime import ParsedMessage, parse_message

needs_corpus = pytest.mark.skipif(not CORPUS_DIR.is_dir(), reason="SpamAssassin corpus not installed (make install)")

_cache: dict[str, np.ndarray] = {}


def cached_embedder(texts: list[str]) -> np.ndarray:
    """The real local embeddings, remembered across tests: the seed set is embedded once per run."""
    todo = [t for t in dict.fromkeys(texts) if t not in _cache]
    if todo:
        _cache.update(zip(todo, default_embedder(todo)))
    return np.array([_cache[t] for t in texts], dtype=np.float32).reshape(len(texts), -1)


@pytest.fixture(scope="module")
def corpus_split():
    """A stratified slice of the corpus: 1,400 messages to train on and 600 held out."""
    corpus = corpus_messages()
    rng = np.random.default_rng(11)
    order = rng.permutation(len(corpus))
    spam = [i for i in order if CORPUS_GROUPS[corpus[i][0]]]
    ham = [i for i in order if not CORPUS_GROUPS[corpus[i][0]]]
    train = ham[:900] + spam[:500]
    test = ham[900:1280] + spam[500:720]

    def pick(rows):
        return [parse_message(corpus[i][1]) for i in rows], np.array([CORPUS_GROUPS[corpus[i][0]] == 1 for i in rows])

    return pick(train), pick(test)


@pytest.fixture(scope="module")
def seed_model():
    return classify.train_default_intent(embedder=cached_embedder)


@needs_corpus
def test_spam_model_beats_95_percent_on_held_out_mail(corpus_split):
    """GIVEN 1,400 corpus messages to learn from WHEN the spam model is trained
    THEN it sorts 600 messages it never saw with over 95 % accuracy and spam F1."""
    (train_p, train_y), (test_p, test_y) = corpus_split
    model = classify.train_spam(train_p, train_y)
    pred = model.predict_many(test_p) >= model.threshold
    accuracy = (pred == test_y).mean()
    f1 = 2 * (pred & test_y).sum() / (pred.sum() + test_y.sum())
    assert accuracy > 0.95 and f1 > 0.95, (accuracy, f1)


@needs_corpus
def test_spam_model_round_trips_through_a_file(corpus_split, tmp_path):
    """GIVEN a trained spam model WHEN saved and loaded THEN every prediction is the same."""
    (train_p, train_y), (test_p, _) = corpus_split
    model = classify.train_spam(train_p[::5], train_y[::5])
    model.save(tmp_path / "spam.npz")
    loaded = classify.SpamModel.load(tmp_path / "spam.npz")
    assert np.allclose(model.predict_many(test_p[:100]), loaded.predict_many(test_p[:100]), atol=1e-6)
    assert (tmp_path / "spam.npz").stat().st_size < 3_000_000


@needs_corpus
def test_spam_model_is_trained_from_the_corpus_on_first_use_only(tmp_path):
    """GIVEN no spam model file and a (small) installed corpus WHEN ensure_spam_model runs twice
    THEN the first call trains and writes the file, the second loads it unchanged."""
    corpus = tmp_path / "corpus"
    for group, raw_list in _small_corpus().items():
        (corpus / group).mkdir(parents=True)
        for n, raw in enumerate(raw_list):
            (corpus / group / f"{n}.txt").write_bytes(raw)
    path = tmp_path / "data" / "models" / "spam.npz"
    first = classify.ensure_spam_model(path, corpus_dir=corpus)
    written = path.stat().st_mtime_ns
    second = classify.ensure_spam_model(path, corpus_dir=corpus)
    assert path.stat().st_mtime_ns == written and first.n_train == second.n_train == 60
    probe = parse_message(_small_corpus()["spam-2"][0])
    assert first.predict_proba(probe) == pytest.approx(second.predict_proba(probe), abs=1e-6)


def _small_corpus() -> dict[str, list[bytes]]:
    by_group: dict[str, list[bytes]] = {}
    for group, raw in corpus_messages():
        if len(by_group.setdefault(group, [])) < 12:
            by_group[group].append(raw)
    return by_group


def test_missing_corpus_is_a_clear_error(tmp_path):
    """GIVEN no corpus WHEN the spam model must be trained THEN a ClassifierError says how to install it."""
    with pytest.raises(classify.ClassifierError, match="make install"):
        classify.ensure_spam_model(tmp_path / "spam.npz", corpus_dir=tmp_path / "nowhere")


REQUESTS = [
    ("Budget", "Hi Ana,\n\nCould you send me the Q3 budget by Thursday?\n\nThanks,\nMihai"),
    ("Lunch", "Are you free for lunch on Wednesday? Let me know."),
    ("Întâlnire", "Bună ziua,\n\nVă rog să-mi confirmați dacă puteți participa la ședința de joi.\n\nCu stimă,\nIon"),
    ("Intalnire", "Buna ziua,\n\nPutem sa ne vedem marti la ora 10 pentru a discuta oferta?\n\nCu stima,\nIon"),
    ("Raport", "Salut, ai apucat sa te uiti pe raport? Am nevoie de feedback pana vineri."),
]
NOT_REQUESTS = [
    ("Your order has shipped", "Your order #12345 has shipped and will arrive on Friday."),
    ("Thanks", "Thank you so much for your help yesterday, everything works now."),
    ("Re: dinner", "Sounds great, see you there!\n\nOn Mon, 3 Jun 2024, Ana wrote:\n> Can you come at 8?"),
    ("Factura", "Vă transmitem atașat factura pentru luna octombrie. Vă mulțumim!"),
    ("Multumesc", "Multumesc mult pentru ajutor, a mers perfect."),
]


def test_seed_model_tells_requests_from_the_rest_in_english_and_romanian(seed_model):
    """GIVEN the model a fresh install trains WHEN clear EN and RO emails are classified
    THEN requests (with or without diacritics) ask, statements, notices and thanks do not."""
    asks = {s: seed_model.predict_email(s, b) for s, b in REQUESTS}
    rest = {s: seed_model.predict_email(s, b) for s, b in NOT_REQUESTS}
    assert all(r.asks for r in asks.values()), {s: r.probability for s, r in asks.items()}
    assert not any(r.asks for r in rest.values()), {s: r.probability for s, r in rest.items()}
    assert "budget" in asks["Budget"].sentence.lower()


def test_a_correction_flips_near_duplicates_only(seed_model):
    """GIVEN a recurring report email the model says needs nothing WHEN the user marks one as asking
    THEN the next one of the same kind asks too, and unrelated mail is sorted as before."""
    template = ("Weekly sales report", "The weekly sales report for week {n} is attached. "
                                       "Totals are up {p}% on last week in the north region.")
    first = (template[0], template[1].format(n=22, p=3))
    nxt = (template[0], template[1].format(n=23, p=5))
    other = ("Thanks", "Thank you so much for your help yesterday, everything works now.")
    assert not seed_model.predict_email(*nxt).asks

    corrected = seed_model.with_examples(seed_model.email_vector(*first)[None], [True])
    result = corrected.predict_email(*nxt)
    assert result.asks and result.source == "correction"
    assert corrected.predict_email(*other).asks is False and corrected.predict_email(*other).source == "model"

    undone = corrected.with_examples(corrected.email_vector(*first)[None], [False])
    assert len(undone.memory) == 1 and not undone.predict_email(*nxt).asks


def test_intent_model_round_trips_with_its_corrections(seed_model, tmp_path):
    """GIVEN a seed model with one correction WHEN saved and loaded THEN predictions and memory are the same."""
    corrected = seed_model.with_examples(seed_model.email_vector("Ping", "Just checking in.")[None], [True])
    corrected.save(tmp_path / "intent.npz")
    loaded = classify.IntentModel.load(tmp_path / "intent.npz", embedder=cached_embedder)
    texts = [b for _, b in REQUESTS + NOT_REQUESTS]
    assert np.allclose(corrected.predict_sentences(texts), loaded.predict_sentences(texts), atol=1e-6)
    assert loaded.trained_on == seed_model.trained_on and loaded.predict_email("Ping", "Just checking in.").asks


def test_new_seed_set_retrains_and_keeps_corrections(seed_model, tmp_path):
    """GIVEN a saved intent model trained on an older seed set, with a correction
    WHEN ensure_intent_model loads it THEN it is retrained on the current seed and keeps the correction."""
    path = tmp_path / "intent.npz"
    old = seed_model.with_examples(seed_model.email_vector("Ping", "Just checking in.")[None], [True])
    old.trained_on = "seed:older"
    old.save(path)
    model = classify.ensure_intent_model(path, embedder=cached_embedder)
    assert model.trained_on == seed_model.trained_on and len(model.memory) == 1
    assert classify.IntentModel.load(path).trained_on == seed_model.trained_on


def test_bulk_mail_never_needs_a_reply(seed_model):
    """GIVEN a list mail that asks the reader to do something WHEN needs_reply runs
    THEN no reply is needed, while the same words from a person need one."""
    text = "Could you confirm your attendance by Friday?"
    bulk = ParsedMessage(message_id="<a@x>", subject="Event", sender="news@list.example", body_text=text,
                         list_unsubscribe="<mailto:leave@list.example>")
    person = ParsedMessage(message_id="<b@x>", subject="Event", sender="ana@example.org", body_text=text)
    assert classify.needs_reply(person, seed_model).asks
    verdict = classify.needs_reply(bulk, seed_model)
    assert not verdict.asks and verdict.source == "bulk"


def test_only_what_the_sender_wrote_is_read():
    """GIVEN a reply with a quoted thread and a signature WHEN split THEN only the new sentences remain."""
    body = "Thanks, done.\nI sent it to Maria.\n\n-- \nAna\n\nOn Mon, Bob wrote:\n> Can you send it?"
    assert sentences(new_text(body)) == ["Thanks, done.", "I sent it to Maria."]
    assert sentences("Hi Ana,\nCan you call me?\nThanks") == ["Hi Ana, Can you call me?", "Thanks"]


def test_seed_set_is_bilingual_balanced_and_has_diacritic_free_twins():
    """GIVEN the seed set WHEN read THEN hundreds of examples, both labels, Romanian with and without diacritics."""
    seed = seed_examples()
    texts = {s for s, _ in seed}
    assert len(seed) >= 400 and 0.4 < np.mean([y for _, y in seed]) < 0.6
    assert "Vă rog să confirmați primirea facturii." in texts and "Va rog sa confirmati primirea facturii." in texts
    assert len(texts) == len(seed), "duplicate seed sentences"


def test_the_public_labelled_set_ships_with_its_licence_and_is_learned(seed_model):
    """GIVEN the package WHEN the default intent model is trained THEN it learned from the public
    email-intent sentences as well as the seed set (a licence file beside them says Apache-2.0), and a
    terse invitation the seed set alone leaves unsure is read as asking."""
    public = public_examples()
    assert len(public) > 3000 and {True, False} == {label for _, label in public}
    assert ("Please forward to Jeff.", True) in public
    assert "Apache License" in (intent_data.DATA.parent / "email_intent.LICENSE").read_text()
    assert set(shipped_examples()) >= set(public) | set(seed_examples())
    seed_only = classify.train_intent([s for s, _ in seed_examples()], [y for _, y in seed_examples()],
                                      embedder=cached_embedder)
    text = ("Thursday", "Want to grab a beer after work Thursday?")
    assert seed_model.predict_email(*text).asks and seed_model.trained_on != "seed:"
    assert seed_model.predict_email(*text).probability > seed_only.predict_email(*text).probability


@needs_corpus
def test_feeds_and_newsletters_without_list_headers_are_bulk_and_replies_are_not():
    """GIVEN the corpus's 2002 ham that carries no List-* header WHEN bulk_signal reads it as stored
    THEN every RSS item (rssfeeds@) and every CNET/ZDNet newsletter (newsletter.online.com) is bulk,
    and none of the people's replies ("Re: ...") is."""
    raws = [raw for group, raw in corpus_messages() if not CORPUS_GROUPS[group] and b"\nList-" not in raw]
    parsed = [parse_message(raw) for raw in raws]
    mailings = [p for p in parsed if p.sender.startswith("rssfeeds@") or p.sender.endswith("@newsletter.online.com")]
    replies = [p for p in parsed if p.subject.lower().startswith("re:") and p.precedence not in ("bulk", "list")]
    assert len(mailings) > 600 and len(replies) > 40
    assert [p.subject for p in mailings if not classify_bulk.is_bulk(p)] == []
    assert [p.subject for p in replies if classify_bulk.is_bulk(p)] == []


def test_bulk_mail_is_told_from_a_persons_by_its_shape():
    """GIVEN mail without any list header WHEN bulk_signal reads it THEN a footer with an unsubscribe link,
    a feed tool's layout, a list server's sender or a no-reply sender decide alone; soft hints decide only
    together; a colleague's HTML mail with a signature table and a disclaimer is a person's mail."""
    def msg(**fields) -> ParsedMessage:
        return ParsedMessage(message_id="<m@x>", **{"sender": "ana@acme.example", "subject": "Hello", **fields})

    footer = "Our news.\n\nYou are receiving this e-mail because you subscribed.\nTo unsubscribe, click here."
    assert classify_bulk.bulk_signal(msg(body_text=footer)).kind == "newsletter"
    assert classify_bulk.is_bulk(msg(body_text="URL: http://blog.example/a.html\nDate: Not supplied\n\nNew post."))
    assert classify_bulk.is_bulk(msg(sender="owner-announce@lists.example", body_text="Press release."))
    assert classify_bulk.bulk_signal(msg(sender="no-reply@bank.example", body_text="Please confirm.")).kind == "fyi"
    one_hint = msg(sender="news@acme.example", body_text="Could you check the budget?")
    two_hints = msg(sender="news@acme.example", sender_name="Acme Weekly Digest", body_text="Top stories.")
    assert not classify_bulk.is_bulk(one_hint) and classify_bulk.is_bulk(two_hints)
    html = ("<p>Could you send me the Q2 numbers?</p><table><tr><td>Dan Popescu</td><td>"
            "<a href='https://acme.example'>acme.example</a></td></tr></table><p>See our "
            "<a href='https://acme.example/privacy'>privacy policy</a>.</p>")
    assert not classify_bulk.is_bulk(msg(body_text="Could you send me the Q2 numbers?", body_html=html))
    person = msg(body_text="I get their newsletter every day. Could you ask them how I can unsubscribe?")
    assert not classify_bulk.is_bulk(person)


def test_a_correction_may_spread_over_a_senders_own_domain_only():
    """GIVEN sender domains WHEN asked whether a correction may spread over one THEN public providers
    (in any country) and shared sending platforms never, an organisation's own domain yes."""
    assert all(classify_bulk.is_shared_domain(d) for d in
               ("gmail.com", "yahoo.co.uk", "hotmail.fr", "outlook.ro", "gmx.de", "substack.com", None))
    assert not any(classify_bulk.is_shared_domain(d) for d in ("newsletter.online.com", "acme.co.uk", "firma.ro"))
    assert classify_bulk.list_key("Acme Weekly <Weekly.Acme-News.example>") == "weekly.acme-news.example"


def test_deadlines_are_read_in_english_and_romanian_and_only_after_a_lead_word():
    """GIVEN requests naming a deadline in the forms people write WHEN read at a fixed time THEN a past
    deadline is found (with its day), a future or merely mentioned date is not, and days named without
    a year or relative to the sending day are placed after the email was sent."""
    now = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
    sent_2002 = datetime(2002, 4, 29, 10, 0, tzinfo=UTC)
    passed = {
        "Please send it by Friday 3 May 2002.": (sent_2002, date(2002, 5, 3)),
        "The offer is open until 12.03.2024, please reply.": (None, date(2024, 3, 12)),
        "Deadline: 2024-03-12": (None, date(2024, 3, 12)),
        "Vă rog să trimiteți raportul până la 12.03.2024.": (None, date(2024, 3, 12)),
        "Could you send the numbers by May 3rd?": (sent_2002, date(2002, 5, 3)),
        "Can you send me the numbers by Friday?": (datetime(2025, 6, 2, 9, 0, tzinfo=UTC), date(2025, 6, 6)),
        "Urgent, please answer today.": (datetime(2025, 5, 20, 9, 0, tzinfo=UTC), date(2025, 5, 20)),
    }
    for text, (sent, day) in passed.items():
        found = passed_deadline(text, sent=sent, now=now)
        assert found is not None and found[0] == day, (text, found)
    current = {
        "Can you send me the numbers by Friday?": datetime(2025, 6, 10, 8, 0, tzinfo=UTC),
        "Please answer today.": datetime(2025, 6, 9, 23, 30, tzinfo=UTC),
        "Trimite-mi te rog raportul până mâine.": datetime(2025, 6, 9, 8, 0, tzinfo=UTC),
        "After our meeting on 3 March 2024: can you send the file as soon as possible?": now,
        "I saw Mark today. Can you call me?": datetime(2025, 6, 1, 8, 0, tzinfo=UTC),
        "Please reply by 12.03.2030 or by Friday 3 May 2002.": None,
    }
    for text, sent in current.items():
        assert passed_deadline(text, sent=sent, now=now) is None, text
    assert day_words(date(2002, 5, 3)) == "3 May 2002" and age_words(timedelta(days=21)) == "3 weeks old"
