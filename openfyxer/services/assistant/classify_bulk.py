"""Mail sent to many or by a machine, recognised from its headers and its shape. No database.

Nobody waits for a personal answer to a newsletter, a feed digest or a notification, however
much its text asks ("Reply now! Act today!"). The headers say so when they are there (List-Id,
List-Unsubscribe: RFC 2369; Precedence; Auto-Submitted: RFC 3834), but older mail and many
mailers carry none of them: then the sender, the footer and the layout still tell. One signal
that only mailings have (an unsubscribe footer, a feed tool's item layout, a no-reply sender)
decides alone; softer hints (a "news@" sender, "Daily Dispatch" as a name, dozens of links, a
table layout with a tracking pixel) decide only two together, so a colleague's mail with an
HTML signature is never one.

X-Mailer is not stored with a message, and is not needed: every bulk tool of the SpamAssassin
corpus that names itself there also leaves an unsubscribe footer or a bulk sender in what is.

Works on anything with the Email / ParsedMessage field names (sender, sender_name, subject,
body_text, body_html, list_id, list_unsubscribe, precedence, auto_submitted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openfyxer.services.assistant.classify_text import fold

_BULK_PRECEDENCE = {"bulk", "list", "junk"}
_NOREPLY = re.compile(r"(no-?_?reply|do-?_?not-?_?(reply|use)|donotreply|donotuse|nu-?raspunde|mailer-daemon|"
                      r"postmaster|^nobody$)", re.I)
_NOTICE_LOCAL = re.compile(r"^(notifications?|notify|alerts?|automated|system|daemon|root|cron|anacron)([-_.+].*)?$",
                           re.I)
_NOTIFIER_LOCAL = re.compile(r"^(notifications?|alerts?)([-_.+].*)?$", re.I)
_AUTOMATIC_NAME = re.compile(r"^(cron daemon|anacron|mail delivery (system|subsystem))$", re.I)
# The envelope senders of list servers (majordomo, Mailman, ezmlm): the list itself is writing.
_LIST_LOCAL = re.compile(r"^(owner-.+|.+-(request|owner|bounces?|announce)|majordomo|listserv|mailman)$", re.I)
_BULK_LOCAL = re.compile(
    r"^(newsletters?|news|digests?|updates?|mailer|mailings?|mailinglist|announce(ments?)?|marketing|promos?|"
    r"promotions?|offers|deals|rss|rssfeeds?|feeds?|bulletins?|editors?|subscriptions?|list|listserv|majordomo|"
    r"bounces?|campaigns?|e-?news|info-?letter|webmaster|info)([-_.+#].*)?$", re.I)
# Variable envelope senders: a per-recipient token in the address ("online#3.19578.34-ugg...@").
_VERP_LOCAL = re.compile(r"(\d+[.#_-]){2,}\d+|[0-9a-f]{12,}|=[\w.-]+@?$", re.I)
_BULK_HOST = re.compile(r"^(news|newsletters?|lists?|mailers?|mailings?|e?mail|email|em|e|mg|send|bounces?|"
                        r"updates|marketing|campaigns?|info|rss|feeds?|alerts?|notifications?)\d*\.", re.I)
_FEED_LOCAL = re.compile(r"^(rss|rssfeeds?|feeds?|feedburner|rss2email|blogtrottr)([-_.+].*)?$", re.I)
_BULK_NAME = re.compile(r"\b(newsletters?|digest|dispatch|daily|weekly|monthly|bulletin|news|updates?|alerts?|"
                        r"briefing|roundup|magazine|ezine|e-?letter|rss|feed|list|buletin|noutati|stiri)\b", re.I)
_BULK_SUBJECT = re.compile(r"\b(newsletter|digest|issue\s*#?\s*\d+|vol(\.|ume)\s*\d+|no\.\s*\d+|edition|bulletin|"
                           r"announcements?|breaking news|this week in|top stories|headlines|press release|buletin|"
                           r"editia)\b", re.I)
# Said only by mailings, in the footer or next to the link.
_UNSUBSCRIBE = re.compile(
    r"(((^|[.!?]\s+)|if you (would like|wish|want) )to unsubscribe|"
    r"unsubscribe (here|now|at|by|from (this|these|our|all|the)|instantly|below)|"
    r"click (here )?to unsubscribe|unsubscribe\s*[:|\]]|[|]\s*unsubscribe|\[unsubscribe|^\s*unsubscribe\s*$|"
    r"https?://\S*(unsubscribe|optout|opt-out|/remove\.)\S*|"
    r"(you are|you're) (receiving|getting) this|(you are|you're) subscribed to|"
    r"because you (have )?(subscribed|signed up|opted in|registered)|"
    r"you received this (e-?mail|message|newsletter)|"
    r"manage (my|your) (subscriptions?|(e-?mail )?preferences)|update your (e-?mail )?preferences|"
    r"to (stop|change) (receiving|your subscription)|(e-?mail|subscription) preferences|"
    r"removed from (this|our|the|these) (mailing |e-?mail )?lists?|the e-?mail address for your subscription|"
    r"(mailing list|communication|subscription) (options|preferences)|"
    r"(do not|don't|rather not) (want to )?receive (future|further|these|more) "
    r"(e-?mails|messages|newsletters|mailings)|"
    r"reply (to this (e-?mail|message) )?with [\"']?remove|"
    r"dezabonare|dezaboneaza|dezabona-te|nu mai (doriti|vrei|doresti) sa primesti|nu mai doriti sa primiti)",
    re.I | re.M)
_MAILING_TEXT = re.compile(
    r"(in this issue|view (this|it) (e-?mail|message|newsletter|online)|(view|read) (it )?(online|in your browser)|"
    r"web (version|browser)|forward (this )?to a friend|all rights reserved|not displaying properly|"
    r"in your (web )?browser|"
    r"to view this newsletter|if you (cannot|can't|are unable to) (see|read|view) this|"
    r"toate drepturile rezervate)", re.I)
# Feed tools: rss2email / newspipe / newsisfree put a URL: and Date: line first; the others sign.
_FEED_HEAD = re.compile(r"\A\s*(URL:\s*https?://\S+\s*\n|Link:\s*https?://\S+\s*\n\s*Date:.*\n)", re.I)
_FEED_SIGNATURE = re.compile(r"(delivered by feedburner|feedburner\.com/|newsisfree\.com/click|rss2email|"
                             r"blogtrottr\.com|feedblitz\.com|you are subscribed to (e-?mail )?updates from)", re.I)
_LINK = re.compile(r"https?://[^\s<>\"')\]]+", re.I)
_HTML_LINK = re.compile(r"<a\s[^>]*href=[\"']?https?:", re.I)
_HTML_TABLE = re.compile(r"<table\b", re.I)
_PIXEL = re.compile(r"<img\b[^>]*\b(width=[\"']?[01][\"'\s/>]|height=[\"']?[01][\"'\s/>]|"
                    r"style=[\"'][^\"']*(width|height)\s*:\s*[01]px)", re.I)
_REPLY_SUBJECT = re.compile(r"^\s*(re|aw|sv|r|ref|rif)\s*:", re.I)
_TAIL = 3000  # a mailing's footer is at the end; a person's text rarely gets that far


@dataclass(frozen=True, slots=True)
class Bulk:
    kind: str  # newsletter | fyi (notifications and other automatic mail)
    reason: str  # what gave it away, for the reason line


def _text(msg, name: str) -> str:
    return getattr(msg, name, None) or ""


def bulk_signal(msg) -> Bulk | None:
    """Why `msg` is bulk or automatic mail (and where it belongs), or None for a person's mail."""
    sender = _text(msg, "sender").lower()
    local, _, host = sender.partition("@")
    auto = _text(msg, "auto_submitted").strip().lower()
    if auto and not auto.startswith("no"):
        return Bulk("fyi", f"automatic message (Auto-Submitted: {auto})")
    precedence = _text(msg, "precedence").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return Bulk("newsletter", f"sent in bulk (Precedence: {precedence})")
    if list_id := _text(msg, "list_id").strip():
        return Bulk("newsletter", f"mailing list ({_list_name(list_id)})")
    if _text(msg, "list_unsubscribe"):
        return Bulk("newsletter", "newsletter or mailing list (List-Unsubscribe)")
    body = _text(msg, "body_text")
    if _FEED_LOCAL.match(local) or _FEED_HEAD.match(body[:600]) or _FEED_SIGNATURE.search(body[-_TAIL:]):
        return Bulk("newsletter", "RSS or feed item (feed sender or layout)")
    if _LIST_LOCAL.match(local):
        return Bulk("newsletter", f"mailing list (sent by the list server {local[:40]}@)")
    if _NOREPLY.search(local):
        return Bulk("fyi", "sent from a no-reply address")
    name = _text(msg, "sender_name").strip()
    if _AUTOMATIC_NAME.match(name):
        return Bulk("fyi", f"automatic message (from {name})")
    if _UNSUBSCRIBE.search(body[-_TAIL:]) or _UNSUBSCRIBE.search(body[:600]):
        notice = _NOTICE_LOCAL.match(local) and not _BULK_NAME.search(fold(name))
        return Bulk("fyi" if notice else "newsletter", "mass mailing (unsubscribe link in the text)")
    if _NOTIFIER_LOCAL.match(local):
        return Bulk("fyi", f"automatic notification ({local[:30]}@ sender)")
    if _is_reply(msg):
        return None  # a mailing never answers anyone: softer hints are not trusted on a reply
    hints = _hints(msg, local, host, body)
    if _NOTICE_LOCAL.match(local) and hints:
        return Bulk("fyi", f"automatic notification ({local}@ sender, {hints[0]})")
    if len(hints) >= 2:
        return Bulk("newsletter", "mass mailing (" + ", ".join(hints[:3]) + ")")
    return None


def _is_reply(msg) -> bool:
    return bool(getattr(msg, "in_reply_to", None)) or bool(_REPLY_SUBJECT.match(_text(msg, "subject")))


def is_bulk(msg) -> bool:
    return bulk_signal(msg) is not None


def list_key(list_id: str | None) -> str | None:
    """The list's identity from a List-Id value: `Name <id.example.org>` -> `id.example.org`."""
    if not list_id:
        return None
    m = re.search(r"<([^<>]+)>", list_id)
    key = (m.group(1) if m else list_id).strip().lower()
    return key[:255] or None


def _list_name(list_id: str) -> str:
    name = re.sub(r"<[^<>]*>", "", list_id).strip(" \"'")
    return (name or list_key(list_id) or "List-Id")[:80]


def _hints(msg, local: str, host: str, body: str) -> list[str]:
    """Soft signs of a mailing, each one named; two of them together decide."""
    out = []
    if _BULK_LOCAL.match(local) or _VERP_LOCAL.search(local):
        out.append(f"sender {local[:30]}@")
    elif host.count(".") >= 2 and _BULK_HOST.match(host):
        out.append(f"sent from {host}")
    name = _text(msg, "sender_name")
    if name and _BULK_NAME.search(fold(name)):
        out.append(f"sender name “{name[:40]}”")
    if _BULK_SUBJECT.search(fold(_text(msg, "subject"))):
        out.append("newsletter subject")
    if _MAILING_TEXT.search(fold(body[-_TAIL:])) or _MAILING_TEXT.search(fold(body[:600])):
        out.append("mailing footer")
    html = _text(msg, "body_html")
    links = max(len(set(_LINK.findall(body[:20_000]))), len(_HTML_LINK.findall(html[:200_000])))
    if links >= 12:
        out.append(f"{links} links")
    if links >= 40:  # a page of links is a mailing's front page, whoever else it looks like
        out.append("link list")
    if html and (len(_HTML_TABLE.findall(html[:200_000])) >= 3 or _PIXEL.search(html[:200_000])):
        out.append("mailing layout (tables, tracking pixel)")
    return out


# Mail providers and shared sending platforms: one of their senders says nothing about the others.
_SHARED_DOMAINS = {
    "gmail.com", "googlemail.com", "ymail.com", "rocketmail.com", "msn.com", "passport.com", "aim.com", "icloud.com",
    "me.com", "mac.com", "web.de", "t-online.de", "freenet.de", "mail.ru", "inbox.ru", "list.ru", "bk.ru", "ya.ru",
    "proton.me", "pm.me", "tuta.io", "zoho.com", "hushmail.com", "mail.com", "email.com", "inbox.com", "gmx.com",
    "qq.com", "163.com", "126.com", "naver.com", "daum.net", "comcast.net", "verizon.net", "att.net",
    "sbcglobal.net", "bellsouth.net", "cox.net", "earthlink.net", "charter.net", "btinternet.com", "sky.com",
    "orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr", "libero.it", "virgilio.it", "tiscali.it",
    "alice.it", "rediffmail.com", "seznam.cz", "wp.pl", "o2.pl", "interia.pl", "onet.pl", "rambler.ru",
    "bigpond.com", "optusnet.com.au", "shaw.ca", "rogers.com", "sympatico.ca", "telus.net", "home.com",
    "mindspring.com", "netscape.net", "juno.com", "excite.com", "lycos.com", "bigfoot.com", "pobox.com",
    "rdslink.ro", "clicknet.ro", "k.ro", "go.ro", "home.ro", "xnet.ro", "email.ro", "mail.md",
    "substack.com", "googlegroups.com", "groups.io", "yahoogroups.com", "mailchimpapp.net", "beehiiv.com",
    "sendgrid.net", "amazonses.com", "mailgun.org", "sneakemail.com",
}
# Providers with a domain per country (yahoo.co.uk, hotmail.fr, gmx.de, outlook.ro).
_SHARED_BRANDS = {"yahoo", "hotmail", "outlook", "live", "aol", "gmx", "yandex", "protonmail", "tutanota",
                  "fastmail", "zohomail", "windowslive", "btopenworld", "virginmedia", "blueyonder"}


def sender_domain(sender: str | None) -> str | None:
    domain = (sender or "").rpartition("@")[2].strip().lower().rstrip(".")
    return domain if "@" in (sender or "") and "." in domain else None


def is_shared_domain(domain: str | None) -> bool:
    """A public mail provider (gmail.com, yahoo.*, outlook.com...) or a platform many senders share."""
    if not domain:
        return True
    labels = domain.split(".")
    return (domain in _SHARED_DOMAINS or ".".join(labels[-2:]) in _SHARED_DOMAINS
            or any(label in _SHARED_BRANDS for label in labels[:-1]))
