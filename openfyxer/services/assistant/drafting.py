"""Reply drafts written by the model in the user's voice and in the sender's language.

The model gets the email and its thread as untrusted data, with what the reply may rely on
(services.assistant.grounding: the user's earlier replies to the sender, facts from their own mail
and documents), and has no tools: it writes text and nothing else. What it states as fact must come
from those; otherwise it asks ([[Ask: ...]], flagged `asks_user`). What it writes is checked
(services.guard) and saved, with the sources it was given, as a pending draft that only the user
can approve and send.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from sqlmodel import Session, select

from openfyxer.core.errors import ValidationError
from openfyxer.models.account import EmailAccount
from openfyxer.models.document import Document
from openfyxer.models.draft import REPLACED, Draft
from openfyxer.models.email import Email
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.assistant import amounts, decisions, grounding, guard, language, llm, prompts, style
from openfyxer.services import settings as settings_service
from openfyxer.services.mail import drafts, recipients
from openfyxer.services.mail.drafts import reply_subject
from openfyxer.services.assistant.classify_text import new_text
from openfyxer.services.mail.emails import get_owned
from openfyxer.services.mail.mailstore import participants

THREAD_MESSAGES = 4
# Most of the worked example's reply found in a draft: copied, whatever the email asked.
COPIED_EXAMPLE = 0.5
_SUBJECT_LINE = re.compile(r"^\s*(subject|subiect)\s*:.*$", re.I | re.M)
_FENCE = re.compile(r"^```\w*\s*|\s*```$")


def _display_name(account: EmailAccount, user: User) -> str:
    return account.display_name or user.email.split("@")[0].replace(".", " ").title()


def _clean(text: str) -> str:
    text = _FENCE.sub("", text.strip())
    text = _SUBJECT_LINE.sub("", text).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def _thread(session: Session, email: Email, own: str) -> list[Email]:
    """The earlier messages of the email's thread that share someone besides the user with it.

    The thread comes from References / In-Reply-To, which the sender writes: a stranger who learned
    one Message-ID of a private conversation could otherwise pull it into a reply addressed to them."""
    if not email.thread_id:
        return []
    rows = session.exec(select(Email).where(Email.account_id == email.account_id, Email.thread_id == email.thread_id,
                                            Email.id != email.id).order_by(Email.received_at.asc().nulls_first())).all()
    people = participants(email, own)
    return [r for r in rows if (not email.received_at or not r.received_at or r.received_at <= email.received_at)
            and people & participants(r, own)][-THREAD_MESSAGES:]


def generate(session: Session, *, user: User, email_id: uuid.UUID, instructions: str | None = None,
             choice: str | None = None, ip: str | None = None, replace: bool = True) -> Draft:
    """Write a pending reply draft for one email.

    `choice` is the user's pick among the answers the email offers (Draft.choices): the reply is
    written with it, as their instruction; a pick the email does not offer is refused.

    The user's request (`replace=True`) replaces the email's pending draft. An automatic one
    (`replace=False`) gives way instead: if a draft appeared while the model was writing (the user
    asked for one meanwhile), that draft is returned and the new text is dropped.

    The user's request is always written by the model: a "write again" answered from the cache would
    be the text they are asking to replace. Automatic drafts may be answered from it."""
    email = get_owned(session, user=user, email_id=email_id)
    if choice is not None:
        if instructions:
            raise ValidationError("give either instructions or a choice, not both")
        if choice not in decisions.choices(email.subject, email.body_text):
            raise ValidationError("that is not one of the answers this email offers")
        instructions = decisions.instruction(choice)
    account = session.get(EmailAccount, email.account_id)
    model = llm.choose(settings_service.get_or_create(session, user_id=user.id))
    user_name = _display_name(account, user)
    sender_name = email.sender_name or prompts.first_name(email.sender or "") or prompts.UNKNOWN_SENDER
    # What the sender wrote, without the quoted thread and without names: "Dragoș" is no sign of Romanian.
    lang = language.detect(language.without_names(f"{email.subject or ''}\n{new_text(email.body_text or '')}",
                                                  [sender_name, user_name]))
    # Nothing is written before the model answers: on SQLite a write would hold the database's
    # one write lock for the seconds the model takes, and every other writer (the dashboard,
    # the sync) would wait for it.
    profile = style.profile_for(session, user=user)
    learned = not profile or not profile.get("samples")
    if learned:
        profile = style.learn_from_sent(session, user=user)  # the user may have sent mail since
    voice = style.for_language(profile, lang)
    earlier = _thread(session, email, account.email_address)
    grounds = grounding.gather(session, user=user, email=email, user_name=user_name, user_email=account.email_address)
    # The user's instructions are their decision; without them the draft leaves the choice open.
    offered = decisions.choices(email.subject, email.body_text)
    messages = prompts.draft_messages(
        user_name=user_name, user_email=account.email_address, language=lang,
        style=style.describe(profile, lang), email_block=prompts.untrusted(email.sender, email.subject, email.body_text),
        thread_blocks=[prompts.untrusted(m.sender, m.subject, m.body_text, limit=800) for m in earlier],
        instructions=instructions, sender_name=sender_name, profile=voice,
        example_blocks=grounds.example_blocks, fact_blocks=grounds.fact_blocks,
        undecided=offered if offered and not instructions else None,
    )
    # "Write again": a draft for this email was written before, so the model samples afresh (the embedded
    # model's fixed seed would otherwise write the same words for the same prompt).
    again = session.exec(select(Draft.id).where(Draft.email_id == email.id)).first() is not None
    answer = llm.complete(model, messages, max_tokens=400, temperature=0.3, use_cache=not replace,
                          vary=again and replace)
    text = _clean(answer.text)
    source = "\n".join(m.body_text or "" for m in [email, *earlier])
    echo = guard.echo_share(text, source)
    if echo > guard.ECHO_LIMIT:  # one more try, told what went wrong; keep whichever echoes less
        again = prompts.redo_messages(messages, answer.text, lang=lang, sender_name=sender_name, profile=voice)
        retry = llm.complete(model, again, max_tokens=400, temperature=0.5, use_cache=not replace)
        if guard.echo_share(_clean(retry.text), source) < echo:
            answer, text = retry, _clean(retry.text)
            echo = guard.echo_share(text, source)
    example = prompts.example_reply(lang)
    copied = guard.echo_share(example, text) if example else 0.0
    if copied >= COPIED_EXAMPLE:  # the small model's other habit: the worked example, word for word
        again = prompts.redo_messages(messages, answer.text, lang=lang, sender_name=sender_name, profile=voice,
                                      problem=prompts.COPIES_EXAMPLE)
        retry = llm.complete(model, again, max_tokens=400, temperature=0.5, use_cache=not replace)
        if guard.echo_share(example, _clean(retry.text)) < copied:
            answer, text = retry, _clean(retry.text)
    decided = _leave_decision_open(model, messages, answer, text, offered if not instructions else [], email,
                                   use_cache=not replace)
    if decided is not None:
        answer, text, removed = decided
    signature = (voice or {}).get("signature")
    own = "\n".join(m.body_text or "" for m in earlier if m.sender == account.email_address)
    quotable = "\n".join([f"{m.subject or ''}\n{m.body_text or ''}" for m in [email, *earlier]]
                         + [grounds.trusted_text, grounds.amount_text, instructions or "", signature or ""])
    text, unfounded = amounts.without_unsourced(text, quotable, decisions.question(email.body_text) or email.subject or "?")
    addresses = {a for m in [email, *earlier] for a in [m.sender, *(m.recipients or []), *(m.cc or [])] if a} \
        | {account.email_address}
    has_files = session.exec(select(Document.id).where(Document.email_id.in_([m.id for m in [email, *earlier]]))).first()
    flags = guard.check(text, thread_text="\n".join(f"{m.subject or ''}\n{m.body_text or ''}" for m in [email, *earlier]),
                        thread_addresses=addresses, thread_has_attachments=bool(has_files),
                        trusted_text="\n".join([own, grounds.trusted_text, instructions or "", signature or ""]),
                        system_prompt=messages[0]["content"])
    sender_domain = (email.sender or "").rsplit("@", 1)[-1].lower()
    if decided is not None and removed:
        flags.append(f"decision_removed: {removed[0][:160]}")
    if unfounded:
        flags.append(f"amount_removed: {unfounded[0][:160]}")
    if echo > guard.ECHO_LIMIT:
        flags.append(f"repeats_email: {echo:.0%} of it is the sender's words")
    flags += [f"reply_to_differs: {a}" for a in email.reply_to or [] if a.rsplit("@", 1)[-1].lower() != sender_domain]
    if signature and signature not in text:
        text = f"{text}\n\n{signature}"
    text = text or "(the model wrote nothing)"
    if language.detect(text, default=lang) != lang and len(text) > 40:
        flags.append(f"language_mismatch: expected {lang}")
    if learned:
        style.save(session, user=user, profile=profile)
    # One reply waits for approval, never two.
    pending = session.exec(select(Draft).where(Draft.email_id == email.id, Draft.status == "pending")
                           .order_by(Draft.created_at.desc())).all()
    if pending and not replace:
        return pending[0]
    for old in pending:
        drafts.reject(session, user=user, draft_id=old.id, reason=REPLACED, ip=ip)
    # One draft per conversation, answering its latest message: a draft for an earlier one is withdrawn.
    if email.thread_id and email.received_at:
        earlier_ids = session.exec(select(Email.id).where(Email.account_id == email.account_id,
                                                          Email.thread_id == email.thread_id, Email.id != email.id,
                                                          Email.received_at <= email.received_at)).all()
        drafts.withdraw_for(session, user=user, email_ids=list(earlier_ids), ip=ip)
    to, cc = recipients.reply_all(email, recipients.own_addresses(session, user.id))
    draft = Draft(
        user_id=user.id, account_id=account.id, email_id=email.id, content=text, to_addresses=to, cc_addresses=cc,
        subject=reply_subject(email.subject), in_reply_to=email.message_id,
        references=[*(email.references or []), email.message_id][-20:], llm_model=answer.model[:100],
        language=lang, flags=flags, sources=grounds.sources, status="pending", created_at=datetime.now(UTC),
        generated_content=text, choices=offered,
    )
    session.add(draft)
    session.flush()
    audit.record(session, action="draft.generate", user_id=user.id, entity_type="draft", entity_id=draft.id,
                 details={"email_id": str(email.id), "model": answer.model, "cached": answer.cached,
                          "flags": flags, "instructions": bool(instructions),
                          "sources": [f"{x['role']}:{x['kind']}:{x['id']}" for x in grounds.sources]}, ip=ip)
    return draft


def _leave_decision_open(model: str, messages: list[dict], answer, text: str, offered: list[str],  # noqa: ANN001
                         email: Email, *, use_cache: bool) -> tuple[object, str, list[str]] | None:
    """When a draft written before the user picked makes the pick anyway ("Yes, I signed it"): one more
    try, told which sentence decided; if that one decides too, the sentences go and the decision is
    left to the user as a [[Ask: ...]]. (answer, text, sentences removed), or None if nothing decided."""
    made = decisions.deciding(text, offered)
    if not made:
        return None
    again = prompts.undecided_redo_messages(messages, answer.text, made)
    retry = llm.complete(model, again, max_tokens=400, temperature=0.5, use_cache=use_cache)
    retried = _clean(retry.text)
    if retried and not decisions.deciding(retried, offered):
        return retry, retried, []
    asked = decisions.question(email.body_text) or email.subject or "?"
    return answer, decisions.without_decision(text, offered, asked), made


def has_pending_draft(session: Session, email_id: uuid.UUID) -> bool:
    return session.exec(select(Draft.id).where(Draft.email_id == email_id,
                                               Draft.status.in_(("pending", "approved", "sending")))).first() is not None
