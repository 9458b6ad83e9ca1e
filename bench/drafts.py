"""`python -m bench.drafts [--model NAME]`: reply drafts on 56 English and Romanian threads, judged.

Each thread of bench.threads is stored as synced mail (with Ana's Sent mail, from which the style
profile is learned as in the product), and with its `background` (earlier mail and uploaded
documents, bench.threads_grounding). The mailbox's past (February's Sent mail, the background) is
indexed into the knowledge store first, so grounding.gather finds facts as in a mailbox synced
before; this week's threads are not indexed yet when drafted, as in the product. Then
`drafting.generate` writes the reply with the embedded default model (`--model smollm2-135m` for a
fast smoke run of the plumbing). Every draft is timed and judged by a deterministic checklist; a
small model is not a reliable judge:

  language      the draft is in the language the incoming email is written in (language.detect,
                with the thread's personal names removed: a name is no evidence of a language)
  length        15 to 250 words
  placeholder   no [Name], <name>, {name}, "Your Name", XXX ([[Ask: ...]], the question left for
                the user, is the product's one allowed bracket)
  subject_line  no "Subject:" line, no "Re: ..." first line
  new_contact   no address or link absent from the thread (flagged or not; an unflagged one is
                also counted as guard_missed)
  guard         no quotes_system_prompt / possible_secret flag (mentions_attachment and
                language_mismatch flags are reported, not failed here)
  greeting      opens with a greeting or the sender's name, and does not greet Ana herself
  sign_off      ends with a sign-off or Ana's name, and is not signed with the sender's name
  not_echo      at most half of the draft's word 4-grams appear in the thread
  answers       matches every `mention` group of the thread (what the reply must address)
  instructions  when the user asked to accept or decline: an accept / decline phrase in the
                thread's language
  facts         none of the thread's `must_not` patterns (contradictions of its facts)
  uses_fact     grounding threads: matches every `uses` group (the fact found only in the background)
                outside any [[Ask: ...]]
  invented      states none of the thread's `invents` patterns (questions, [[Ask: ...]] and clauses
                after if / whether / dacă state nothing); and on an `asks_user` thread the draft asks:
                a [[Ask: ...]] for the user (guard.asks) or a question to the sender matching
                `asks_about`

send_ready = every check passes (uses_fact and invented pass trivially on threads without those
fields). When an email asks Ana to decide (the draft offers `choices`, services.assistant.decisions)
and the thread gives no instructions, the bench picks the first answer as she would in the draft
panel, and the reply written with it is the one judged (both generations are timed); on an ask
thread the choices offered are the question to Ana. Grounding figures: `grounded_threads` (threads with `uses` or `asks_user`), `uses_fact`
(share of `uses` threads passing), `invented` (drafts stating an `invents` pattern: a count, 0 to
pass; `did_not_ask` counts the ask threads' drafts that neither stated nor asked),
`asks_user_ok` (share of ask threads whose draft asked). Saved rows carry the draft's `sources`
(role:kind:title), what grounding gave the model. `style_match` (reported, not part of
send_ready): Ana's greeting and sign-off for that language ("Hi <name>," / "Best," or
"Bună ziua," / "Cu stimă,").

Ollama and any configured server are shut out (OPENFYXER_OLLAMA_URL is a dead port,
OPENFYXER_LLM_BASE_URL empty) so an Ollama on this machine does not change the measurement, unless
asked for: `--ollama URL` or `--server URL [--server-model NAME]` run the same threads and checks on
a larger model through the product's router (the figure's "model" names what answered);
answers are not cached. The assembled 1.1 GB model is kept in OPENFYXER_MODELS_DIR (default
~/.cache/openfyxer/models) so it is built once across runs. Times are wall-clock seconds per
draft on this machine's cores, with the model already loaded (its load time is reported apart).
`median_cpu_per_wall` near 2 means the two cores were free; near 1, another process shared them
and the times are inflated (llama.cpp threads spin waiting for each other).

The last line is the JSON figures. `--out FILE` keeps every draft with its checks; `--rejudge FILE`
scores such a file again with the current checklist, without running the model.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENFYXER_ENV_FILE", os.devnull)
os.environ.setdefault("OPENFYXER_ENVIRONMENT", "test")

from bench.threads import ANA, Thread, load, normalize, store, store_background, store_sent  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHECKS = ("language", "length", "placeholder", "subject_line", "new_contact", "guard", "greeting", "sign_off",
          "not_echo", "answers", "instructions", "facts", "uses_fact", "invented")
MIN_WORDS, MAX_WORDS, MAX_ECHO = 15, 250, 0.5

_PLACEHOLDER = re.compile(r"\[[^\]\n]{1,60}\]|<(?![\w.+-]+@)[^<>\n]{1,40}>|\{\{?[^}\n]{1,40}\}\}?|\bX{3,}\b|_{3,}|"
                          r"\b(your name|recipient'?s name|sender'?s name|company name|insert \w+|"
                          r"numele (tau|dvs|dumneavoastra|destinatarului|expeditorului))\b", re.I)
# The question a draft leaves for the user, as guard.asks finds it: exempt from `placeholder`.
_ASK_BLOCK = re.compile(r"\[\[\s*ask\s*:.*?\]\]", re.I | re.S)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
# From here to the end of its sentence a draft states nothing ("I'll check whether it was signed").
_CONDITIONAL = re.compile(r"(?<!\w)(if|whether|once|unless|which|daca|dupa ce|imediat ce|in cazul in care)(?!\w).*")
# A request to the sender that is not written as a question still asks ("Please send me the scope.").
_REQUEST = re.compile(r"^(please|could you|can you|would you|let me know|kindly|va rog|te rog|ati putea|"
                      r"puteti|imi puteti|ne puteti|spuneti-mi|va rugam|as avea nevoie|ar fi util)\b")
_SUBJECT = re.compile(r"^\s*(subject|subiect)\s*:", re.I | re.M)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+", re.I)
_GREETING = re.compile(r"^(hi|hello|hey|dear|good (morning|afternoon|evening|day)|greetings|buna|salut|salutare|"
                       r"stimate|stimata|stimati|draga|dragi|o zi buna)\b")
_SIGN_OFF = re.compile(r"^(best|regards|kind regards|warm regards|best regards|warmly|thanks|thank you|many thanks|"
                       r"cheers|sincerely|yours|all the best|cu stima|cu respect|cu drag|multumesc|multumim|"
                       r"toate cele bune|o zi buna|numai bine|pe curand|salutari|o seara buna)\b")
_INTENT = {
    ("decline", "en"): r"unfortunately|(i'?m |i am )?(unable|not able)|can'?t|cannot|can not|won'?t be able|"
                       r"will not be able|(have to|must|will|'ll) (pass|decline)|pass on|declin|regret|not (currently )?(looking|"
                       r"interested|available|in a position)|not be (available|around|able)|away",
    ("decline", "ro"): r"din pacate|nu (pot|voi putea|vom putea|sunt disponibil|am posibilitatea|caut|sunt interesat|"
                       r"ma pot|imi este posibil|voi fi disponibil|voi fi prezent)|refuz|declin|regret",
    ("accept", "en"): r"(happy|glad|delighted|pleased|thrilled) to|accept|(would|i'?d) love to|count me in|"
                      r"i'?ll be there|i will be there|works (well )?for me|sounds (good|great)|confirm|yes|honou?red|"
                      r"see you",
    ("accept", "ro"): r"accept|cu (mare )?placere|bucuros|bucuroasa|sunt de acord|confirm|voi participa|"
                      r"particip cu|ma bucur|onorat|onorata|da,|de acord",
}
_USER_NAMES = {normalize(n) for n in ANA[0].split()}
_STYLE = {"en": (re.compile(r"^hi\b"), re.compile(r"^best,?$", re.M)),
          "ro": (re.compile(r"^buna ziua\b"), re.compile(r"^cu stima,?$", re.M))}


class _Terminated(BaseException):  # not Exception: llm_local wraps those
    """SIGTERM: stop after the current token and still print the figures of the drafts done."""


def _on_sigterm(signum, frame) -> None:  # noqa: ANN001
    raise _Terminated()


def _dead_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there for the bench's lifetime
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _grams(text: str, n: int = 4) -> list[tuple[str, ...]]:
    words = re.findall(r"\w+", normalize(text))
    return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]


def echo_ratio(draft: str, source: str) -> float:
    """Share of the draft's word 4-grams that also occur in the thread."""
    grams = _grams(draft)
    if not grams:
        return 0.0
    seen = set(_grams(source))
    return sum(g in seen for g in grams) / len(grams)


def _without_names(text: str, names: set[str]) -> str:
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(name)}\b", " ", text)
    return text


def _new_contact(thread: Thread, content: str, flags: list[str], account_address: str) -> str | None:
    source = thread.source_text()
    known = {a.lower() for a in _ADDRESS.findall(source)} | {m[1].lower() for m in [*thread.earlier, thread.incoming]}
    new = sorted({a.lower() for a in _ADDRESS.findall(content)} - known - {account_address.lower()})
    known_urls = {u.lower().rstrip(".,;:!?") for u in _URL.findall(source)}
    new += sorted({u.lower().rstrip(".,;:!?") for u in _URL.findall(content)} - known_urls)
    flagged = any(f.startswith(("new_address", "new_link")) for f in flags)
    if new:
        return f"{'flagged' if flagged else 'UNFLAGGED'}: {', '.join(new)}"
    return "flagged by guard" if flagged else None  # the guard trusts fewer sources than the thread's text


def _greeting(thread: Thread, lines: list[str]) -> str | None:
    if not lines:
        return "empty"
    first, sender = normalize(lines[0]), normalize(thread.sender_first_name)
    # The first two lines: a small model may open "Hi Andrei," and then "Bună ziua, doamna Popescu,".
    openers = [normalize(line) for line in lines[:2] if len(line.split()) <= 6 and line.endswith(",")] or [first]
    to_user = [g for g in openers if any(re.search(rf"\b{n}\b", g) for n in _USER_NAMES)]
    if to_user and sender not in _USER_NAMES:
        return f"greets the user herself: {to_user[0][:40]!r}"
    if _GREETING.match(first) or (sender and sender in first):
        return None
    return f"no greeting: {lines[0][:40]!r}"


def _sign_off(thread: Thread, lines: list[str]) -> str | None:
    if not lines:
        return "empty"
    tail, sender, full = [normalize(line) for line in lines[-3:]], normalize(thread.sender_first_name), \
        normalize(thread.sender_name)
    as_sender = [line for line in tail if sender and sender not in _USER_NAMES and len(line.split()) <= 5
                 and (line.strip(" ,.!") == sender or full in line
                      or (line.startswith(sender + " ") and len(line.split()) <= 3))]
    if as_sender:
        return f"signed as the sender: {as_sender[0]!r}"
    if any(_SIGN_OFF.match(line) for line in tail) or tail[-1].strip(" ,.!") in {"ana", "ana popescu"}:
        return None
    return f"no sign-off: {lines[-1][:40]!r}"


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(normalize(_ASK_BLOCK.sub(" ", text))) if s.strip()]


def _statements(text: str) -> str:
    """What the draft tells the sender as fact: not its questions, [[Ask: ...]] or conditional clauses."""
    return "\n".join(_CONDITIONAL.sub("", s) for s in _sentences(text) if not s.endswith("?"))


def asked(thread: Thread, content: str, choices: list[str] = ()) -> bool:
    """The draft leaves the question open: [[Ask: ...]] for the user, the answers offered to the user
    as choices in the draft panel, or a question to the sender about it."""
    from openfyxer.services.assistant import guard, prompts

    if choices:
        return True
    # The prompt's own "[[Ask: your question]]" copied back is no question (guard still flags it).
    if set(guard.asks(content)) - set(guard.asks(prompts.ASK_FORM)):
        return True
    questions = [s for s in _sentences(content) if s.endswith("?") or _REQUEST.match(s)]
    return any(p.search(q) for q in questions for p in thread.ask_topics())


def _invented(thread: Thread, content: str, choices: list[str] = ()) -> str | None:
    statements = _statements(content)
    if hits := [m.group(0) for p in thread.inventions() if (m := p.search(statements))]:
        return "states: " + ", ".join(hits)
    if thread.asks_user and not asked(thread, content, choices):
        return "did not ask: no [[Ask: ...]]" + (" and no question about " + "|".join(thread.asks_about)
                                                 if thread.asks_about else "")
    return None


def judge(thread: Thread, content: str, flags: list[str], account_address: str,
          choices: list[str] = ()) -> dict[str, str | None]:
    """Each check's failure reason, or None when it passes."""
    from openfyxer.services.assistant import language

    norm, lines = normalize(content), _lines(content)
    told = _ASK_BLOCK.sub(" ", content)  # what the sender would read: a [[Ask: ...]] is for the user
    detected = language.detect(_without_names(told, thread.participant_names), default="?")
    words = len(re.findall(r"\w+", content))
    hole = _PLACEHOLDER.search(told) or _PLACEHOLDER.search(normalize(told))
    echo = echo_ratio(content, thread.source_text())
    missing = [group for group, pats in zip(thread.mention, thread.mention_groups())
               if not any(p.search(norm) for p in pats)]
    intent = thread.intent and re.compile(r"(?<!\w)(?:" + _INTENT[(thread.intent, thread.lang)] + ")")
    hits = [m.group(0) for p in thread.forbidden() if (m := p.search(norm))]
    unused = [group for group, pats in zip(thread.uses, thread.uses_groups())
              if not any(p.search(normalize(told)) for p in pats)]
    bad_flags = [f for f in flags if f.startswith(("quotes_system_prompt", "possible_secret"))]
    return {
        "language": None if detected == thread.lang else f"wrote {detected}",
        "length": None if MIN_WORDS <= words <= MAX_WORDS else f"{words} words",
        "placeholder": f"{hole.group(0)!r}" if hole else None,
        "subject_line": "subject line" if _SUBJECT.search(content) or norm.lstrip().startswith("re:") else None,
        "new_contact": _new_contact(thread, content, flags, account_address),
        "guard": ", ".join(bad_flags) or None,
        "greeting": _greeting(thread, lines),
        "sign_off": _sign_off(thread, lines),
        "not_echo": f"echo {echo:.2f}" if echo > MAX_ECHO else None,
        "answers": "none of " + " / ".join("|".join(g) for g in missing) if missing else None,
        "instructions": (f"no {thread.intent} phrase in {thread.lang}" if intent and not intent.search(norm)
                         else None),
        "facts": "contradicts: " + ", ".join(hits) if hits else None,
        "uses_fact": "none of " + " / ".join("|".join(g) for g in unused) if unused else None,
        "invented": _invented(thread, content, choices),
    }


def style_match(thread: Thread, content: str) -> bool:
    lines = _lines(content)
    greeting, sign_off = _STYLE[thread.lang]
    return bool(lines) and bool(greeting.match(normalize(lines[0]))) and bool(sign_off.search(normalize(content)))


def _setup(args: argparse.Namespace, work: Path) -> None:
    os.environ["OPENFYXER_DATA_DIR"] = str(work / "data")
    os.environ.setdefault("OPENFYXER_MODELS_DIR", str(Path.home() / ".cache" / "openfyxer" / "models"))
    os.environ["OPENFYXER_LOCAL_MODEL"] = args.model
    # Only the server asked for, through the product's own router (llm.choose): an Ollama or an
    # OpenAI-compatible server with a larger model, or else the embedded model.
    os.environ["OPENFYXER_OLLAMA_URL"] = args.ollama or f"http://127.0.0.1:{_dead_port()}"
    os.environ["OPENFYXER_LLM_BASE_URL"] = args.server
    os.environ["OPENFYXER_LLM_MODEL"] = args.server_model
    os.environ["OPENFYXER_REDIS_URL"] = ""
    os.environ["OPENFYXER_LLM_CACHE_TTL_SECONDS"] = "0"
    subprocess.run([sys.executable, "-m", "openfyxer.cli", "migrate"], cwd=ROOT, check=True, env=dict(os.environ),
                   stdout=subprocess.DEVNULL)


def _store_all(threads: list[Thread]) -> tuple:
    from openfyxer.core import later
    from openfyxer.core.db import session_scope
    from openfyxer.models.account import EmailAccount
    from openfyxer.models.user import User
    from openfyxer.services.assistant import style

    declared: list = []
    # documents.add declares its index_document job, and later() refuses when no job layer would
    # send it: the bench is that layer here, and runs the jobs itself once the upload is committed.
    previous = later.install(declared.extend)
    try:
        with session_scope() as session:  # the mailbox's past: February's Sent mail and the background
            user = User(email="ana@bench.test", hashed_password="!no-login")
            session.add(user)
            session.flush()
            account = EmailAccount(user_id=user.id, provider="imap", email_address=ANA[1], display_name=ANA[0],
                                   username=ANA[1], imap_host="127.0.0.1", imap_port=1, imap_security="none")
            session.add(account)
            session.flush()
            store_sent(session, account)
            background = sum(store_background(session, account, user, t) for t in threads)
            user_id, account_id = user.id, account.id
    finally:
        later.install(previous)
    _index(account_id, declared, background)
    with session_scope() as session:  # this week's mail, not indexed yet when its drafts are written
        account = session.get(EmailAccount, account_id)
        email_ids = {t.id: store(session, account, t, i).id for i, t in enumerate(threads)}
        profile = style.refresh(session, user=session.get(User, user_id))  # as a sync of Sent would leave it
        return user_id, account.email_address, email_ids, profile


def _index(account_id, declared: list, background: int) -> None:  # noqa: ANN001
    """The mailbox's past into the knowledge store, as the product's jobs left it before this week's
    mail came: the documents' declared index jobs, then the account's mail. The threads come after:
    the product drafts new mail before its index job runs (processing declares draft_email first)."""
    import uuid

    from openfyxer.services.knowledge import indexing

    start = time.perf_counter()
    docs = [job for job in declared if job.name == "index_document"]
    for job in docs:
        indexing.index_document(document_id=uuid.UUID(job.args[0]))
    emails = indexing.index_account(account_id=account_id)
    print(f"knowledge store: {emails} emails and {len(docs)} documents indexed in "
          f"{time.perf_counter() - start:.1f} s ({background} background items)", flush=True)


def _load_model() -> tuple[float, bool]:
    from openfyxer.core.config import get_settings
    from openfyxer.integrations import llm_local

    name = get_settings().local_model
    spec = llm_local.MODELS.get(name)
    built = spec is not None and len(spec.packages) > 1 and (get_settings().models_path / spec.filename).exists()
    start = time.perf_counter()
    # Assemble first, outside load(): load() holds llm_local._lock while model_file() takes the same
    # (non-reentrant) lock to assemble, so a first load of a multi-part model hangs forever.
    llm_local.model_file(name)
    llm_local.load(name)
    return time.perf_counter() - start, built


def _frac(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def _select(args: argparse.Namespace) -> list[Thread]:
    threads = load()
    if args.only:
        threads = [t for t in threads if t.id in set(args.only.split(","))]
    return threads[: args.limit or None]


def score(thread: Thread, content: str, flags: list[str], address: str, choices: list[str] = ()) -> dict:
    """One draft's checklist result (the part of a result row that does not need the model)."""
    checks = judge(thread, content, flags, address, choices)
    return {"words": len(re.findall(r"\w+", content)), "failed": [name for name in CHECKS if checks[name]],
            "why": {k: v for k, v in checks.items() if v}, "style_match": style_match(thread, content),
            "asked": asked(thread, content, choices)}


def _line(row: dict) -> str:
    why = row["why"]
    return (f"{row['id']:20} {row['lang']}->{row['draft_language']}  {row['seconds']:6.1f} s  {row['words']:3} words  "
            + ("send-ready" if not row["failed"] else "FAILED " + "; ".join(f"{k}: {why[k]}" for k in row["failed"]))
            + (f"  [flags: {', '.join(row['flags'])}]" if row["flags"] else "")
            + (f"  [facts: {' | '.join(s.split(':', 2)[2] for s in facts)}]"
               if (facts := [s for s in row.get("sources", []) if s.startswith("fact:")]) else ""))


def generate_all(args: argparse.Namespace, threads: list[Thread]) -> tuple[list[dict], dict]:
    """Store the threads, draft a reply to each, score it; (result rows, run facts)."""
    from openfyxer.core.db import session_scope
    from openfyxer.models.user import User
    from openfyxer.services.assistant import drafting

    user_id, address, email_ids, profile = _store_all(threads)
    shown = ("greeting", "sign_off", "median_words", "formality", "phrases", "signature", "samples")
    print(f"style profile: {json.dumps({k: profile.get(k) for k in shown}, ensure_ascii=False)}")
    if args.server or args.ollama:
        load_s, was_built = 0.0, False
        print(f"answered by the server at {args.server or args.ollama}")
    else:
        load_s, was_built = _load_model()
        print(f"model {args.model} ready in {load_s:.1f} s ({'was assembled' if was_built else 'assembled now, or one file'})")
    rows, load_avg, interrupted = [], os.getloadavg()[0], None
    for t in threads:
        start, cpu = time.perf_counter(), time.process_time()
        try:
            with session_scope() as session:
                user = session.get(User, user_id)
                draft = drafting.generate(session, user=user, email_id=email_ids[t.id], instructions=t.instructions)
                choices, picked = list(draft.choices or []), None
                if choices and not t.instructions and not t.asks_user:
                    # The email asks Ana to decide: the panel offers the answers and the reply is
                    # written once she picks; the bench picks the first, and judges that reply.
                    picked = choices[0]
                    draft = drafting.generate(session, user=user, email_id=email_ids[t.id], choice=picked)
                content, flags, draft_lang, model = (draft.content, list(draft.flags or []), draft.language,
                                                     draft.llm_model)
                # What grounding gave the model, for whoever reads the saved rows.
                sources = [f"{s.get('role')}:{s.get('kind')}:{s.get('title')}" for s in draft.sources or []]
        except (KeyboardInterrupt, _Terminated) as e:
            interrupted = f"{type(e).__name__} during {t.id}"
            print(f"interrupted ({interrupted}): figures below cover the {len(rows)} drafts done", flush=True)
            break
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        rows.append({"id": t.id, "lang": t.lang, "draft_language": draft_lang, "seconds": round(seconds, 2),
                     "cpu_s": round(cpu, 2), "flags": flags, "instructions": t.instructions, "model": model,
                     "sources": sources, "choices": choices, "picked": picked, "content": content,
                     **score(t, content, flags, address, choices)})
        print(_line(rows[-1]), flush=True)
    run_facts = {"model": rows[0]["model"] if rows else args.model, "model_load_s": round(load_s, 1),
                 # Other processes on these cores slow llama.cpp far more than their share: compare wall and CPU.
                 "load_avg_1m": [round(load_avg, 2), round(os.getloadavg()[0], 2)],
                 **({"interrupted": interrupted, "threads_planned": len(threads)} if interrupted else {})}
    if args.out:
        Path(args.out).write_text(json.dumps({"profile": profile, "run": run_facts, "drafts": rows},
                                             ensure_ascii=False, indent=1))
    return rows, run_facts


def rejudge(path: str, threads: list[Thread]) -> tuple[list[dict], dict]:
    """Drafts saved by --out, scored again with the current checklist (no model runs)."""
    saved = json.loads(Path(path).read_text())
    by_id = {t.id: t for t in threads}
    rows = []
    for row in saved["drafts"]:
        if row["id"] in by_id:
            rows.append({**row, **score(by_id[row["id"]], row["content"], row["flags"], ANA[1],
                                        row.get("choices", []))})
            print(_line(rows[-1]))
    return rows, {**saved.get("run", {"model": rows[0]["model"] if rows else None}), "rejudged": path}


def figures(threads: list[Thread], rows: list[dict], run_facts: dict) -> dict:
    from openfyxer.services.assistant import language

    times = sorted(r["seconds"] for r in rows)
    by_lang = {lang: [r for r in rows if r["lang"] == lang] for lang in ("en", "ro")}
    by_id = {t.id: t for t in threads}
    uses_rows = [r for r in rows if by_id[r["id"]].uses]
    ask_rows = [r for r in rows if by_id[r["id"]].asks_user]
    incoming_ok = [language.detect(f"{'Re: ' if t.earlier else ''}{t.subject}\n{t.incoming[2]}") == t.lang
                   for t in threads]
    return {
        "threads": len(rows),
        "language_match": _frac([not r["why"].get("language") for r in rows]),
        "send_ready": _frac([not r["failed"] for r in rows]),
        "median_draft_s": round(statistics.median(times), 2) if times else None,
        "p90_draft_s": round(times[min(len(times) - 1, int(0.9 * len(times)))], 2) if times else None,
        "mean_draft_s": round(statistics.fmean(times), 2) if times else None,
        "median_draft_cpu_s": round(statistics.median(r["cpu_s"] for r in rows), 2) if rows else None,
        # CPU over wall time per draft: about the thread count (2 here) when the cores were free, near 1
        # when another process shared them (llama.cpp threads then spin waiting for each other).
        "median_cpu_per_wall": round(statistics.median(r["cpu_s"] / r["seconds"] for r in rows), 2) if rows else None,
        **run_facts,
        **{f"send_ready_{lang}": _frac([not r["failed"] for r in rs]) for lang, rs in by_lang.items()},
        **{f"language_match_{lang}": _frac([not r["why"].get("language") for r in rs]) for lang, rs in by_lang.items()},
        "checks_passed": {name: _frac([name not in r["failed"] for r in rows]) for name in CHECKS},
        "style_match": _frac([r["style_match"] for r in rows]),
        "flagged": _frac([bool(r["flags"]) for r in rows]),
        "guard_missed": sum("UNFLAGGED" in (r["why"].get("new_contact") or "") for r in rows),
        "grounded_threads": len(uses_rows) + len(ask_rows),
        "uses_fact": _frac(["uses_fact" not in r["failed"] for r in uses_rows]),
        # A count: any invention fails the product. A draft that only failed to ask is counted apart.
        "invented": sum((r["why"].get("invented") or "").startswith("states") for r in rows),
        "did_not_ask": sum((r["why"].get("invented") or "").startswith("did not ask") for r in rows),
        "asks_user_ok": _frac([r["asked"] for r in ask_rows]),
        "incoming_language_detected": _frac(incoming_ok),
        "median_words": statistics.median(r["words"] for r in rows) if rows else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=os.environ.get("OPENFYXER_LOCAL_MODEL", "qwen2.5-1.5b"),
                        help="embedded model: qwen2.5-1.5b (the default) or smollm2-135m (plumbing smoke run)")
    parser.add_argument("--server", default="", metavar="URL",
                        help="an OpenAI-compatible server (e.g. http://127.0.0.1:8080/v1) instead of the embedded model")
    parser.add_argument("--server-model", default="", metavar="NAME", help="the model to ask that server for")
    parser.add_argument("--ollama", default="", metavar="URL",
                        help="an Ollama (e.g. http://127.0.0.1:11434), its first model (or --server URL/v1 --server-model NAME)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N threads")
    parser.add_argument("--only", default="", help="comma-separated thread ids")
    parser.add_argument("--out", default="", help="write every draft with its checks to this JSON file")
    parser.add_argument("--rejudge", default="", metavar="FILE",
                        help="score the drafts saved by --out again with the current checklist; no model runs")
    args = parser.parse_args()
    threads = _select(args)
    if args.rejudge:
        print(json.dumps(figures(threads, *rejudge(args.rejudge, threads)), ensure_ascii=False))
        return 0
    signal.signal(signal.SIGTERM, _on_sigterm)
    work = Path(tempfile.mkdtemp(prefix="of-bench-drafts-"))
    wall = time.perf_counter()
    try:
        _setup(args, work)
        result = figures(threads, *generate_all(args, threads))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["wall_s"] = round(time.perf_counter() - wall, 1)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
