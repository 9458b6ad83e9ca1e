"""A meeting's minutes over the whole transcript, by a job: map, then reduce.

Map: the transcript is cut into parts that fit the model's context (parts.py), every line in exactly
one; the model writes each part's findings (summary points, decisions, action items, open questions)
in a line form that code reads and checks (extract.py). A part whose answer cannot be read is asked
once more, then skipped with a note saying which stretch of the meeting it was: one bad answer never
loses the meeting. Each finished part is committed with the job's progress, so a killed worker's
successor starts at the next part. Reduce: the same finding from several parts becomes one item citing
all of them (merge.py), the notes become a short summary (condense.py), owners and due dates are
worked out by code (owners.py, due.py). Minutes the user edited are never replaced by an automatic run.
"""

from __future__ import annotations

import logging
import time
import uuid

from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.core.errors import Conflict, OpenFyxerError
from openfyxer.core.later import later
from openfyxer.models.meeting import Meeting
from openfyxer.models.user import User
from openfyxer.services import audit, settings as settings_service
from openfyxer.services.assistant import llm, prompts
from openfyxer.services.meetings import build, extract, parts, recordings
from openfyxer.services.meetings.build import Job

log = logging.getLogger(__name__)
# One run works this long at most, then declares the next (its job's deadline is 30 minutes, like every
# task's); the parts done are kept, so a two-hour meeting on a slow machine is a few runs.
RUN_BUDGET_S = 20 * 60
_clock = time.monotonic  # the tests move it
RERUNS = 5  # requests that arrive while a run works: it runs again for the newest, this many times at most


def _start(session: Session, meeting: Meeting, *, fresh: bool) -> None:
    meeting.minutes_generation += 1
    meeting.minutes_status, meeting.minutes_error = "summarizing", None
    meeting.minutes_work = {"generation": meeting.minutes_generation, "fresh": fresh}
    session.add(meeting)
    later(session, "summarize_meeting", meeting.id, owner=meeting.user_id)


def on_transcribed(session: Session, meeting: Meeting) -> None:
    """The transcript is complete: minutes follow, unless the user has edited the ones it has."""
    if not meeting.minutes_edited:
        _start(session, meeting, fresh=False)


def request(session: Session, *, user: User, meeting_id: uuid.UUID, overwrite_edits: bool = False,
            ip: str | None = None) -> Meeting:
    """The user asks for the minutes again; edited ones only when they say so (`overwrite_edits`)."""
    meeting = recordings.get(session, user=user, meeting_id=meeting_id)
    if meeting.status != "done":
        raise Conflict("the meeting is not transcribed yet", code="meeting_not_transcribed")
    if meeting.minutes_edited and not overwrite_edits:
        raise Conflict("you edited these minutes: ask with overwrite_edits to replace them", code="minutes_edited")
    meeting.minutes_edited = False
    _start(session, meeting, fresh=True)
    session.flush()
    audit.record(session, action="meeting.summarize", user_id=user.id, entity_type="meeting", entity_id=meeting.id,
                 details={"overwrite_edits": overwrite_edits}, ip=ip)
    return meeting


def resume_unfinished(session: Session) -> int:
    """Declare the minutes job of every meeting whose run a killed worker or a restart left unfinished."""
    rows = session.exec(select(Meeting.id, Meeting.user_id).where(Meeting.minutes_status == "summarizing")).all()
    for meeting_id, user_id in rows:
        later(session, "summarize_meeting", meeting_id, owner=user_id)
    return len(rows)


def _load(meeting_id: uuid.UUID) -> Job | str:
    with session_scope() as s:
        meeting = s.get(Meeting, meeting_id)
        if meeting is None or meeting.minutes_status != "summarizing":
            return meeting.minutes_status if meeting else "gone"
        user = s.get(User, meeting.user_id)
        segs = recordings.segments(s, meeting_id)
        work = dict(meeting.minutes_work or {})
        choice = llm.choose(settings_service.get_or_create(s, user_id=user.id))
        return Job(meeting_id, user.id, meeting.minutes_generation, meeting.title, meeting.language or "en",
                   user.timezone, meeting.started_at, list(meeting.attendees or []), [g.text for g in segs],
                   [(g.start_s, g.end_s) for g in segs], choice, work, bool(work.get("fresh")))


def summarize_meeting(*, meeting_id: uuid.UUID, stop_after: int | None = None) -> str:
    """Write (or go on writing) the meeting's minutes; returns the minutes' status ("gone" for a deleted
    meeting). `stop_after` ends the run after that many parts (tests of resuming, benchmarks)."""
    for _ in range(RERUNS):
        job = _load(meeting_id)
        if isinstance(job, str):
            return job
        try:
            outcome = _run(job, stop_after)
        except Exception as e:
            _fail(job, e.message if isinstance(e, OpenFyxerError) else type(e).__name__)
            raise
        if outcome != "superseded":
            return outcome
    return "summarizing"


def _hand_on(job: Job) -> None:
    with session_scope() as s:
        later(s, "summarize_meeting", job.meeting_id, owner=job.user_id)


def _run(job: Job, stop_after: int | None) -> str:
    max_tokens = get_settings().minutes_max_tokens
    budget = parts.budget_chars(parts.context_tokens(job.choice), max_tokens)
    plan = parts.plan(job.texts, budget)
    key = f"{len(job.texts)}:{budget}:{job.choice.label}"
    done: dict = dict(job.work.get("parts") or {}) if job.work.get("key") == key else {}
    if not plan:  # a recording that held no words: minutes that say so, nothing for the model to read
        return build.store(job, build.empty(job))
    ran, until = 0, _clock() + RUN_BUDGET_S
    for i, part in enumerate(plan):
        if str(i) in done:
            continue
        if stop_after is not None and ran >= stop_after:
            return "summarizing"
        if _clock() > until:  # a run's share of the work is done: the next run goes on (below its deadline)
            _hand_on(job)
            return "summarizing"
        done[str(i)] = _extract(job, part, budget=budget, max_tokens=max_tokens)
        if (saved := _save_part(job, key, done)) != "ok":
            return saved
        ran += 1
    if not any(r["ok"] for r in done.values()):
        _fail(job, "the model's answers could not be read for any part of the transcript")
        return "failed"
    minutes = build.minutes(job, plan, done, budget=budget, max_tokens=max_tokens)
    return build.store(job, minutes)


def _extract(job: Job, part: parts.Part, *, budget: int, max_tokens: int) -> dict:
    lines = [parts.numbered(i, job.texts[i]) for i in range(part.first, part.end)]
    limit = max(budget, sum(len(x) + 1 for x in lines)) + 200  # the block is never cut
    messages = prompts.minutes_messages(title=job.title, lines=lines, language=job.language, limit=limit,
                                        first=part.first + 1, last=part.end)
    error, text = "its answer could not be read", ""
    for attempt in range(2):
        asked = messages if attempt == 0 else prompts.minutes_redo_messages(messages, text)
        try:
            # The embedded model continues a started answer: starting it in the form keeps a small one in it.
            answer = llm.complete(job.choice, [*asked, {"role": "assistant", "content": "SUMMARY:"}],
                                  max_tokens=max_tokens, temperature=0.2 + 0.3 * attempt,
                                  use_cache=not job.fresh and attempt == 0)
        except OpenFyxerError as e:
            error, text = e.message, ""
            continue
        text = answer.text
        found, dropped = extract.parse(text, first=part.first, end=part.end, texts=job.texts[part.first:part.end],
                                       examples=prompts.minutes_example_findings(job.language))
        if found:
            return {"ok": True, "dropped": dropped, "model": answer.model,
                    "findings": [{"kind": f.kind, "text": f.text, "segments": sorted(f.segments), "owner": f.owner,
                                  "due": f.due_words} for f in found]}
    log.warning("meeting %s: lines %d-%d skipped: %s", job.meeting_id, part.first + 1, part.end, error)
    return {"ok": False, "error": error[:300], "findings": []}


def _save_part(job: Job, key: str, done: dict) -> str:
    """Commit a finished part with the progress; "superseded" when a newer request took over."""
    with session_scope() as s:
        meeting = s.get(Meeting, job.meeting_id)
        if meeting is None:
            return "gone"
        if meeting.minutes_generation != job.generation or meeting.minutes_status != "summarizing":
            return "superseded"
        meeting.minutes_work = {"generation": job.generation, "fresh": job.fresh, "key": key, "parts": dict(done)}
        s.add(meeting)
    return "ok"


def _fail(job: Job, reason: str) -> None:
    log.error("the minutes of meeting %s failed: %s", job.meeting_id, reason)
    with session_scope() as s:
        meeting = s.get(Meeting, job.meeting_id)
        if meeting is not None and meeting.minutes_generation == job.generation:
            meeting.minutes_status, meeting.minutes_error = "failed", f"minutes failed: {reason}"[:500]
