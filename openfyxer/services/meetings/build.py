"""The parts' findings made into the meeting's minutes, and the minutes stored.

Everything that states a fact about the world is code's: which stretch of the recording an item comes
from (the cited lines' times), who owns an action (owners.py), when it is due (due.py). The model's
words are kept as the items' text, checked like a draft's (services/assistant/guard.py)."""

from __future__ import annotations

from datetime import UTC, datetime
import uuid
from dataclasses import dataclass

from openfyxer.core.db import session_scope
from openfyxer.models.meeting import Meeting
from openfyxer.models.meeting_minutes import ActionItem, Item, Minutes
from openfyxer.models.user import User
from openfyxer.services.assistant import guard, llm, prompts
from openfyxer.services.meetings import commitments, condense, due, merge, owners
from openfyxer.services.meetings.extract import Finding
from openfyxer.services.meetings.parts import Part
from openfyxer.services.notify import events


@dataclass
class Job:
    """What a run of the minutes job works from, read once at its start."""

    meeting_id: uuid.UUID
    user_id: uuid.UUID
    generation: int
    title: str
    language: str
    zone: str | None
    started_at: datetime
    attendees: list[dict]
    texts: list[str]
    times: list[tuple[float, float]]
    choice: llm.Choice
    work: dict
    fresh: bool


_SKIPPED = {"en": "Lines {a}-{b} ({t0}-{t1}) could not be summarised: {why}.",
            "ro": "Rândurile {a}-{b} ({t0}-{t1}) nu au putut fi rezumate: {why}."}
_NO_SHORT = {"en": "The short summary could not be written: the notes of each part are shown instead.",
             "ro": "Rezumatul scurt nu a putut fi scris: sunt afișate notele fiecărei părți."}


_NO_SPEECH = {"en": "The recording holds no speech to take minutes of.",
              "ro": "Înregistrarea nu conține vorbire din care să se facă o minută."}


def empty(job: Job) -> Minutes:
    return Minutes(language=job.language, notes=[_NO_SPEECH.get(job.language, _NO_SPEECH["en"])],
                   generated_at=datetime.now(UTC))


def clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _flags(text: str, cited: str, addresses: set[str]) -> list[str]:
    # The transcript is someone else's words: an address or link that is only in it is flagged, as in a draft.
    found = guard.check(text, thread_text=cited, thread_addresses=addresses, thread_has_attachments=True,
                        system_prompt=prompts.MINUTES_SYSTEM)
    return [f for f in found if not f.startswith("asks_user")]


def _item(job: Job, f: Finding, addresses: set[str]) -> Item:
    cited = "\n".join(job.texts[i] for i in sorted(f.segments))
    return Item(text=f.text, segments=sorted(f.segments), cites=merge.cites(f.segments, job.times),
                flags=_flags(f.text, cited, addresses))


def _action(session, job: Job, f: Finding, addresses: set[str], day) -> ActionItem:  # noqa: ANN001
    base = _item(job, f, addresses)
    cited = "\n".join(job.texts[i] for i in sorted(f.segments))
    owner = owners.match(session, user_id=job.user_id, name=f.owner, cited=cited, attendees=job.attendees)
    when = due.resolve(f.due_words, cited, day)
    return ActionItem(**base.model_dump(), owner_name=owner.name, owner_email=owner.email, due=when.day,
                      due_time=when.at.strftime("%H:%M") if when.at else None, due_words=when.words)


def minutes(job: Job, plan: list[Part], done: dict, *, budget: int, max_tokens: int) -> Minutes:
    lang = job.language if job.language in _SKIPPED else "en"
    found: list[Finding] = []
    for i, part in enumerate(plan):  # each part's model findings, then the actions code read in its lines
        found += [Finding(d["kind"], d["text"], set(d["segments"]), d.get("owner"), d.get("due"))
                  for d in done[str(i)]["findings"]]
        found += commitments.find(job.texts[part.first:part.end], first=part.first, language=job.language)
    merged = merge.dedupe(found)
    notes = [_SKIPPED[lang].format(a=p.first + 1, b=p.end, t0=clock(job.times[p.first][0]),
                                   t1=clock(job.times[p.end - 1][1]), why=done[str(i)].get("error", "?"))
             for i, p in enumerate(plan) if not done[str(i)]["ok"]]
    points = [f for f in merged if f.kind == "summary"]
    summary, whole = condense.summarize(job.choice, points, title=job.title, language=job.language, budget=budget,
                                        max_tokens=max_tokens, use_cache=not job.fresh)
    if not whole:
        notes.append(_NO_SHORT[lang])
    addresses = {a["email"].lower() for a in job.attendees if a.get("email")}
    day = due.meeting_day(job.started_at, job.zone)
    with session_scope() as s:  # reads only: the user's mail, for owners who did not attend
        actions = [_action(s, job, f, addresses, day) for f in merged if f.kind == "action"]
    model = next((r.get("model") for r in done.values() if r.get("model")), job.choice.label)
    return Minutes(summary=[_item(job, f, addresses) for f in summary],
                   decisions=[_item(job, f, addresses) for f in merged if f.kind == "decision"],
                   action_items=actions, questions=[_item(job, f, addresses) for f in merged if f.kind == "question"],
                   language=job.language, notes=notes, model=model, generated_at=datetime.now(UTC))


def legacy(m: Minutes) -> tuple[str, list[str]]:
    """The summary as text and the actions as lines, for readers of the columns older than the minutes."""
    lines = [a.text + (f" ({a.owner_name})" if a.owner_name else "") + (f" [{a.due}]" if a.due else "")
             for a in m.action_items]
    return "\n".join(p.text for p in m.summary), lines


def store(job: Job, m: Minutes) -> str:
    """Keep the minutes unless a newer request took over or the user edited meanwhile; tell the user."""
    with session_scope() as s:
        meeting = s.get(Meeting, job.meeting_id)
        if meeting is None:
            return "gone"
        if meeting.minutes_generation != job.generation or meeting.minutes_status != "summarizing":
            return "superseded"
        meeting.minutes_status, meeting.minutes_error, meeting.minutes_work = "done", None, {}
        if meeting.minutes_edited:
            return "done"  # the user's edits stand
        meeting.minutes = m.model_dump(mode="json")
        meeting.summary, meeting.action_items = legacy(m)
        s.add(meeting)
        user = s.get(User, job.user_id)
        events.raise_event(s, user=user, event="meeting_summary", key=f"meeting_summary:{meeting.id}:{job.generation}",
                           payload={"meeting_id": str(meeting.id), "title": meeting.title[:300],
                                    "decisions": len(m.decisions), "action_items": len(m.action_items),
                                    "questions": len(m.questions), "summary": " ".join(p.text for p in m.summary)[:600],
                                    "link": events.link(f"/meetings/{meeting.id}")})
    return "done"
