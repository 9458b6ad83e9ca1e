"""What an email or document is about, for the knowledge graph: people, companies, projects and
topics, found by rules that are cheap, deterministic and explainable (no model call per message).

- People: the sender and every recipient, by address (names from the headers); addresses written
  in the text are MENTIONS.
- Companies: the domain of each address, except public mail providers (gmail.com is nobody's
  employer); names followed by a company form ("Acme Ltd", "Example SRL") are MENTIONS.
- Projects: "project X" / "proiectul X" and "X project" with X capitalised.
- Topics: the subject's content words (English and Romanian stop words removed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PUBLIC_MAIL = {
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.ro", "yahoo.co.uk", "ymail.com", "outlook.com", "hotmail.com",
    "hotmail.co.uk", "live.com", "msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "gmx.com", "gmx.net",
    "gmx.de", "web.de", "proton.me", "protonmail.com", "pm.me", "mail.com", "mail.ru", "yandex.com", "yandex.ru",
    "zoho.com", "fastmail.com", "tutanota.com", "example.com", "example.org", "example.net",
}
# Second-level labels under which the registrable name is one further left (acme.co.uk).
_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc"}
_COMPANY_FORMS = r"(?:Inc|Ltd|LLC|LLP|GmbH|AG|SRL|S\.R\.L\.|SA|S\.A\.|Corp|Corporation|Limited|plc|BV|NV|SAS|SARL)"
_COMPANY = re.compile(rf"\b((?:[A-Z][\w&'-]+ ){{0,3}}[A-Z][\w&'-]+),? {_COMPANY_FORMS}(?![\w])")
_PROJECT = re.compile(r"\b(?:[Pp]roject|[Pp]roiect(?:ul)?)\s+([A-Z][\w-]+(?:\s[A-Z][\w-]+)?)|"
                      r"\b([A-Z][\w-]+(?:\s[A-Z][\w-]+)?)\s+project\b")
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
STOP = set("""
about above after again against also been before being below between both came could does doing down during each
from further have having here hers herself himself into itself just more most myself once only other ours
ourselves over same should some such than that their theirs them themselves then there these they this those
through under until very were what when where which while whom will with would your yours yourself yourselves
please thanks thank hello dear regards best week today tomorrow yesterday re fwd fw subject email mail message
re: fwd: meeting update question quick
acest aceasta aceste acesta acolo aici asta asupra avea avem aveti aveți care catre către cine este eram
fost fără fara foarte pentru prin până pana sunt suntem toate totul voastra vostru unde cand când despre dintre
mulțumesc multumesc salut buna bună ziua noastra noastră nostru vreau poate poti poți doar
the and for are was you not but can has had our out who how why all any its his her she him did get got let may
one two per via yes now new see say use din sau mai ale lui cum
""".split())


@dataclass
class Found:
    people: dict[str, str] = field(default_factory=dict)  # address -> display name ("" if unknown)
    companies: dict[str, str] = field(default_factory=dict)  # key (domain or name) -> display name
    mentioned_people: set[str] = field(default_factory=set)
    mentioned_companies: set[str] = field(default_factory=set)
    projects: dict[str, str] = field(default_factory=dict)  # key -> name
    topics: set[str] = field(default_factory=set)


def company_domain(address: str) -> str | None:
    """The registrable domain of an address's company, or None for a public mail provider."""
    domain = address.rsplit("@", 1)[-1].lower().strip(".")
    labels = domain.split(".")
    if len(labels) < 2:
        return None
    take = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL else 2
    registrable = ".".join(labels[-take:])
    return None if registrable in PUBLIC_MAIL or domain in PUBLIC_MAIL else registrable


def company_name(domain: str) -> str:
    return domain.split(".")[0].replace("-", " ").title()


def key_of(name: str) -> str:
    return " ".join(name.lower().split())


def topics(subject: str, limit: int = 4) -> set[str]:
    words = [w.lower() for w in _WORD.findall(subject or "")]
    out: list[str] = []
    for w in words:
        if w not in STOP and w not in out:
            out.append(w)
    return set(out[:limit])


def extract(*, sender: str | None, sender_name: str | None, recipients: list[str], subject: str | None,
            text: str) -> Found:
    found = Found()
    for address, name in [(sender, sender_name), *((r, None) for r in recipients)]:
        if not address or "@" not in address:
            continue
        address = address.lower()
        found.people.setdefault(address, name or "")
        if name and not found.people[address]:
            found.people[address] = name
        if domain := company_domain(address):
            found.companies.setdefault(domain, company_name(domain))
    body = text or ""
    found.mentioned_people = {a.lower() for a in _ADDRESS.findall(body)} - set(found.people)
    for m in _COMPANY.finditer(body):
        name = m.group(1).strip()
        found.mentioned_companies.add(key_of(name))
        found.companies.setdefault(key_of(name), name)
    for m in _PROJECT.finditer(f"{subject or ''}\n{body}"):
        name = (m.group(1) or m.group(2)).strip()
        if name.lower() not in STOP:
            found.projects.setdefault(key_of(name), name)
    found.topics = topics(subject or "")
    return found


def chunks(text: str, size: int = 600, overlap: int = 100, limit: int = 4) -> list[str]:
    """Overlapping windows of about `size` characters, cut at whitespace; at most `limit` of them.

    600 characters is about 130 MiniLM tokens, near the 128 it was trained on; a longer window
    costs more per chunk than it saves in count. An email's first windows say what it is about;
    a document passes a larger limit."""
    text = " ".join((text or "").split())
    if not text:
        return []
    out, start = [], 0
    while start < len(text) and len(out) < limit:
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind(" ", start + size // 2, end)
            end = cut if cut > 0 else end
        out.append(text[start:end].strip())
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < end else start
    return [c for c in out if c]
