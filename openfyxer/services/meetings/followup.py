"""The follow-up email after a meeting: one draft to the attendees, waiting for the user's approval.

Code writes what it says: the recipients (the attendees, without the user's own addresses), the
summary, the decisions, the action items with their owners and dates (formatted here, in the meeting's
language), the greeting and sign-off in the user's learned style. The model writes only the opening
sentence or two, checked like any draft (services/assistant/guard.py). The draft is an ordinary one
(drafts.email_id stays empty, as for a draft written by hand): approval and the exactly-once outbox
are the same. The meeting keeps the draft's id, so asking twice gives the same draft."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from babel.dates import format_date
from sqlalchemy import update
from sqlmodel import Session, select

from openfyxer.core.errors import Conflict, OpenFyxerError, ValidationError
from openfyxer.models.account import EmailAccount
from openfyxer.models.draft import Draft
from openfyxer.models.meeting import Meeting
from openfyxer.models.meeting_minutes import ActionItem, Minutes
from openfyxer.models.user import User
from openfyxer.services import audit, settings as settings_service
from openfyxer.services.assistant import guard, llm, prompts, style
from openfyxer.services.meetings import recordings
from openfyxer.services.notify import events

WORDS = {
    "en": {"subject": "Follow-up: {title}", "hello": "Hi all,", "bye": "Best,", "summary": "Summary",
           "decisions": "Decisions", "actions": "Action items", "questions": "Open questions",
           "nobody": "owner to be agreed", "by": "by {date}", "no_date": "no date set",
           "opening": "Thank you for the meeting. Here are the summary, the decisions and the action items."},
    "ro": {"subject": "Urmare: {title}", "hello": "Bună ziua tuturor,", "bye": "Cu stimă,", "summary": "Rezumat",
           "decisions": "Decizii", "actions": "Sarcini", "questions": "Întrebări deschise",
           "nobody": "responsabil de stabilit", "by": "până {date}", "no_date": "fără termen",
           "opening": "Vă mulțumesc pentru întâlnire. Mai jos sunt rezumatul, deciziile și sarcinile stabilite."},
}
OPENING_CHARS = 400
KEPT = ("pending", "approved", "sending", "sent", "failed")  # a rejected draft is the only one written again


def _when(item: ActionItem, lang: str) -> str:
    t = WORDS[lang]
    if item.due is None:
        return t["no_date"]
    day = format_date(item.due, format="full", locale=lang)
    return t["by"].format(date=f"{day} {item.due_time}" if item.due_time else day)


def _owner(item: ActionItem, lang: str) -> str:
    if item.owner_name and item.owner_email:
        return f"{item.owner_name} <{item.owner_email}>"
    return item.owner_name or item.owner_email or WORDS[lang]["nobody"]


def body_lines(m: Minutes, lang: str) -> list[str]:
    """The minutes as the email states them: every item, every owner, every date, written by code."""
    t, out = WORDS[lang], []
    sections = [("summary", [p.text for p in m.summary]), ("decisions", [d.text for d in m.decisions]),
                ("actions", [f"{a.text} — {_owner(a, lang)} — {_when(a, lang)}" for a in m.action_items]),
                ("questions", [q.text for q in m.questions])]
    for name, items in sections:
        if items:
            out += ["", f"{t[name]}:", *(f"• {x}" for x in items)]
    return out


def _clean_opening(text: str) -> str:
    """The model's opening: two sentences at most, no list, no greeting or sign-off it was told to leave out."""
    lines = [x.strip() for x in (text or "").splitlines() if x.strip() and not x.strip().startswith(("-", "•", "*"))]
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(lines))
    return " ".join(sentences[:2])[:OPENING_CHARS].strip()


def _opening(session: Session, user: User, name: str, meeting: Meeting, m: Minutes, lang: str) -> tuple[str, str]:
    """(the opening sentences, the model that wrote them); code's own sentence if the model cannot."""
    try:
        choice = llm.choose(settings_service.get_or_create(session, user_id=user.id))
        answer = llm.complete(choice, prompts.follow_up_messages(
            user_name=name, title=meeting.title, points=[p.text for p in m.summary][:8], language=lang),
            max_tokens=120, temperature=0.3)
    except OpenFyxerError:
        return WORDS[lang]["opening"], "template"
    return (_clean_opening(answer.text) or WORDS[lang]["opening"]), answer.model


def _account(session: Session, user: User, attendees: list[str]) -> EmailAccount:
    accounts = session.exec(select(EmailAccount).where(EmailAccount.user_id == user.id)
                            .order_by(EmailAccount.created_at)).all()
    if not accounts:
        raise Conflict("connect a mail account first: the follow-up is sent from it", code="no_account")
    return next((a for a in accounts if a.email_address.lower() in attendees), accounts[0])


def _existing(session: Session, meeting: Meeting) -> Draft | None:
    draft = session.get(Draft, meeting.follow_up_draft_id) if meeting.follow_up_draft_id else None
    return draft if draft is not None and draft.status in KEPT else None


def draft_of(session: Session, meeting: Meeting) -> Draft | None:
    """The meeting's follow-up email whatever its state (the page shows it sent, failed or rejected too)."""
    return session.get(Draft, meeting.follow_up_draft_id) if meeting.follow_up_draft_id else None


def meetings_of(session: Session, *, user: User, draft_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Which of these drafts follow up one of the user's meetings: {draft id: meeting id}."""
    if not draft_ids:
        return {}
    return dict(session.exec(select(Meeting.follow_up_draft_id, Meeting.id).where(
        Meeting.user_id == user.id, Meeting.follow_up_draft_id.in_(draft_ids))).all())


def write(session: Session, *, user: User, meeting_id: uuid.UUID, ip: str | None = None) -> tuple[Draft, bool]:
    """The meeting's follow-up draft, and whether it was written now (False: it existed already)."""
    meeting = recordings.get(session, user=user, meeting_id=meeting_id)
    if (draft := _existing(session, meeting)) is not None:
        return draft, False
    m = Minutes.model_validate(meeting.minutes or {})
    if not (m.summary or m.decisions or m.action_items):
        raise Conflict("the meeting has no minutes yet", code="minutes_not_ready")
    listed = [(a.get("email") or "").lower() for a in meeting.attendees or [] if a.get("email")]
    account = _account(session, user, listed)
    own = {a.lower() for a in session.exec(select(EmailAccount.email_address).where(
        EmailAccount.user_id == user.id)).all()} | {user.email.lower()}
    to = [a for a in dict.fromkeys(listed) if a not in own]
    if not to:
        raise ValidationError("the meeting has no attendees to write to: add their addresses", code="no_attendees")
    lang = m.language if m.language in WORDS else (meeting.language if meeting.language in WORDS else "en")
    voice = style.for_language(style.profile_for(session, user=user), lang) or {}
    name = account.display_name or user.email.split("@")[0].replace(".", " ").title()
    # The model is asked before anything is written: SQLite's one write lock is not held while it thinks.
    opening, model = _opening(session, user, name, meeting, m, lang)
    flags = guard.check(opening, thread_text="\n".join(p.text for p in m.summary), thread_addresses=set(to) | own,
                        thread_has_attachments=False, system_prompt=prompts.FOLLOW_UP_SYSTEM)
    hello = f"{voice['greeting']}," if voice.get("greeting") else WORDS[lang]["hello"]
    text = "\n".join([hello, "", opening, *body_lines(m, lang), "", voice.get("sign_off") or WORDS[lang]["bye"],
                      prompts.first_name(name)] + ([voice["signature"]] if voice.get("signature") else []))
    flags += sorted({f for i in [*m.summary, *m.decisions, *m.action_items, *m.questions] for f in i.flags})
    return _keep(session, user, meeting, Draft(
        user_id=user.id, account_id=account.id, to_addresses=to, content=text, generated_content=text,
        subject=WORDS[lang]["subject"].format(title=" ".join(meeting.title.split()))[:900], language=lang,
        flags=flags, llm_model=model[:100], status="pending", created_at=datetime.now(UTC)), ip)


def _keep(session: Session, user: User, meeting: Meeting, draft: Draft, ip: str | None) -> tuple[Draft, bool]:
    was = meeting.follow_up_draft_id
    session.add(draft)
    session.flush()
    # Compare-and-set: of two requests at once, one draft is the meeting's; the other is not kept.
    cond = Meeting.follow_up_draft_id.is_(None) if was is None else Meeting.follow_up_draft_id == was
    if session.execute(update(Meeting).where(Meeting.id == meeting.id, cond)
                       .values(follow_up_draft_id=draft.id)).rowcount != 1:
        session.delete(draft)
        session.flush()
        session.refresh(meeting)
        return session.get(Draft, meeting.follow_up_draft_id), False
    session.refresh(meeting)
    audit.record(session, action="meeting.follow_up", user_id=user.id, entity_type="draft", entity_id=draft.id,
                 details={"meeting_id": str(meeting.id), "to": draft.to_addresses, "flags": draft.flags}, ip=ip)
    events.draft_ready(session, user=user, draft=draft)
    return draft, True
