"""The user's writing style, learned from their Sent mail: greeting, sign-off, length, formality,
common phrases and signature. Kept as JSON in user_settings.email_style."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime

from sqlmodel import Session, select

from openfyxer.models.account import EmailAccount
from openfyxer.models.email import Email
from openfyxer.models.user import User
from openfyxer.services import settings as settings_service

SAMPLE = 200
_QUOTE = re.compile(r"^\s*(>|on .{5,80} wrote:|în .{5,80} a scris:|-----\s*original message)", re.I)
# Longer greetings first: "Bună ziua" must not be read as "Bună" followed by a name.
_GREETING = re.compile(r"^(bună ziua|buna ziua|bună seara|buna seara|good (?:morning|afternoon|evening)|hi|hello|hey|"
                       r"dear|bună|buna|salut|salutare|stimate|stimată|dragă|draga)\b[^\n]{0,40}$", re.I)
_SIGNOFF = re.compile(r"^(best|best regards|regards|kind regards|thanks|thank you|cheers|sincerely|all the best|"
                      r"cu stimă|cu stima|mulțumesc|multumesc|toate cele bune|o zi bună|numai bine|pe curând)\b[^\n]{0,25}$",
                      re.I)
_FORMAL = re.compile(r"\b(dear|sincerely|kind regards|stimate|stimată|cu stimă|vă|dumneavoastră|would you)\b", re.I)
_INFORMAL = re.compile(r"\b(hey|hi|cheers|thanks!|salut|pa|te pup|ok|cool)\b", re.I)


def _own_text(body: str) -> list[str]:
    """The lines the user wrote, without the quoted message below them."""
    lines = []
    for line in (body or "").splitlines():
        if _QUOTE.match(line):
            break
        lines.append(line.rstrip())
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def learn(bodies: list[str], *, by_language: bool = True) -> dict:
    """A style profile from sent messages' bodies (no model: counting is enough).

    People write differently in each language ("Hi Dan," ... "Best," in English, "Bună ziua," ...
    "Cu stimă," in Romanian), so a profile per language the user writes in sits under
    `languages`; `describe` picks the one for the reply's language.
    """
    greetings, signoffs, lengths, signatures, phrases = Counter(), Counter(), [], Counter(), Counter()
    named = 0  # greetings followed by the addressee's name ("Hi Dan,") rather than alone ("Bună ziua,")
    formal = informal = 0
    for body in bodies:
        lines = [l for l in _own_text(body) if l.strip()]
        if not lines:
            continue
        lengths.append(sum(len(l.split()) for l in lines))
        first = lines[0].strip()
        body_lines = lines  # between the greeting and the sign-off: where the user's own phrases are
        if m := _GREETING.match(first):
            body_lines = lines[1:]
            greetings[first[: m.end(1)]] += 1
            named += bool(re.search(r"\w", first[m.end(1):]))
        for i, line in enumerate(lines):
            if _SIGNOFF.match(line.strip()):
                signoffs[line.strip()] += 1
                body_lines = body_lines[:len(body_lines) - (len(lines) - i)]
                tail = "\n".join(lines[i + 1:i + 4])
                if tail:
                    signatures[tail] += 1
                break
        text = " ".join(lines)
        formal += len(_FORMAL.findall(text))
        informal += len(_INFORMAL.findall(text))
        words = re.findall(r"[\wăâîșțş]+", " ".join(body_lines).lower())
        phrases.update(" ".join(words[j:j + 3]) for j in range(len(words) - 2))
    lengths.sort()
    languages = {}
    if by_language:
        from openfyxer.services.assistant import language

        groups: dict[str, list[str]] = {}
        for body in bodies:
            own = "\n".join(_own_text(body)).strip()
            if own:
                groups.setdefault(language.detect(own), []).append(body)
        languages = {lang: learn(group, by_language=False) for lang, group in groups.items()}
    signature = signatures.most_common(1)[0][0] if signatures and signatures.most_common(1)[0][1] >= 2 else None
    return {
        "greeting": greetings.most_common(1)[0][0] if greetings else None,
        "greeting_with_name": named * 2 >= sum(greetings.values()) if greetings else True,
        "sign_off": signoffs.most_common(1)[0][0] if signoffs else None,
        "median_words": lengths[len(lengths) // 2] if lengths else None,
        "formality": "formal" if formal > informal * 1.5 else "informal" if informal > formal else "neutral",
        "phrases": [p for p, n in phrases.most_common(8) if n >= 3][:5],
        "signature": signature,
        "samples": len(lengths),
        **({"languages": languages} if by_language else {}),
        "updated_at": datetime.now(UTC).isoformat(),
    }


def for_language(profile: dict | None, lang: str) -> dict | None:
    """The part of the profile learned from mail in `lang`, or the whole one if there is none."""
    part = ((profile or {}).get("languages") or {}).get(lang)
    return part if part and part.get("samples") else profile


def describe(profile: dict | None, lang: str | None = None) -> str:
    """The profile (for `lang`, when given) as an instruction for the drafting prompt."""
    if lang:
        profile = for_language(profile, lang)
    if not profile or not profile.get("samples"):
        return "friendly, clear and brief; greet by first name and sign off with the sender's first name."
    bits = [f"{profile['formality']} tone"]
    if profile.get("greeting"):
        name = " <name>" if profile.get("greeting_with_name", True) else ""
        bits.append(f"opens with \"{profile['greeting']}{name},\"")
    if profile.get("sign_off"):
        bits.append(f"signs off with \"{profile['sign_off']}\"")
    if profile.get("median_words"):
        bits.append(f"about {profile['median_words']} words")
    if profile.get("phrases"):
        bits.append("often says: " + "; ".join(profile["phrases"][:3]))
    return ", ".join(bits) + "."


def learn_from_sent(session: Session, *, user: User) -> dict:
    """The profile of the user's newest sent mail across accounts (reads only)."""
    rows = session.exec(
        select(Email.body_text).join(EmailAccount, EmailAccount.id == Email.account_id)
        .where(EmailAccount.user_id == user.id, Email.folder_role == "sent")
        .order_by(Email.received_at.desc().nulls_last()).limit(SAMPLE)
    ).all()
    return learn([r or "" for r in rows])


def save(session: Session, *, user: User, profile: dict) -> None:
    row = settings_service.get_or_create(session, user_id=user.id)
    row.email_style = json.dumps(profile)
    session.add(row)
    session.flush()


def refresh(session: Session, *, user: User) -> dict:
    """Re-learn the profile from the user's newest sent mail and keep it."""
    profile = learn_from_sent(session, user=user)
    save(session, user=user, profile=profile)
    return profile


def profile_for(session: Session, *, user: User) -> dict | None:
    row = settings_service.get_or_create(session, user_id=user.id)
    try:
        return json.loads(row.email_style) if row.email_style else None
    except ValueError:
        return None

